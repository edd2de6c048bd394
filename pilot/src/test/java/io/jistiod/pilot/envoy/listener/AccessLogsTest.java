package io.jistiod.pilot.envoy.listener;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLog;
import io.envoyproxy.envoy.config.accesslog.v3.ComparisonFilter;
import io.envoyproxy.envoy.config.core.v3.SubstitutionFormatString;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.extensions.access_loggers.file.v3.FileAccessLog;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.mesh.MeshConfigs;
import io.jistiod.pilot.envoy.listener.HttpConnectionManagers.ListenerClass;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The file access logs istiod derives from MeshConfig accessLogFile/Encoding/Format. */
class AccessLogsTest {
  private static final Proxy CURRENT = proxy("1.27.0");
  private static final ListenerClass OUT = ListenerClass.SIDECAR_OUTBOUND;

  private static Proxy proxy(String version) {
    Struct.Builder md =
        Struct.newBuilder()
            .putFields("NAMESPACE", Value.newBuilder().setStringValue("shop").build())
            .putFields("CLUSTER_ID", Value.newBuilder().setStringValue("Kubernetes").build());
    if (version != null) {
      md.putFields("ISTIO_VERSION", Value.newBuilder().setStringValue(version).build());
    }
    try {
      return Proxy.fromNode(
          "sidecar~10.9.0.1~client-1.shop~shop.svc.cluster.local", md.build(), Locality.UNKNOWN);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static PushContext push(String meshYaml) {
    return ListenerFixture.push(MeshConfigs.parse(meshYaml, "mesh.yaml"));
  }

  private static SubstitutionFormatString format(AccessLog al) throws Exception {
    assertThat(al.getName()).isEqualTo("envoy.access_loggers.file");
    FileAccessLog f = al.getTypedConfig().unpack(FileAccessLog.class);
    assertThat(f.getPath()).isEqualTo("/dev/stdout");
    return f.getLogFormat();
  }

  private static List<String> formatterNames(AccessLog al) throws Exception {
    return format(al).getFormattersList().stream().map(TypedExtensionConfig::getName).toList();
  }

  @Test
  void withoutAccessLogFileNothingIsLogged() {
    PushContext push = ListenerFixture.push(MeshConfigs.defaults());
    assertThat(AccessLogs.http(push, CURRENT, OUT)).isEmpty();
    assertThat(AccessLogs.tcp(push, CURRENT, OUT)).isEmpty();
    assertThat(AccessLogs.listener(push, CURRENT, OUT)).isEmpty();
    assertThat(AccessLogs.hboneOrigination(push, CURRENT, OUT)).isEmpty();
    assertThat(AccessLogs.hboneTermination(push, CURRENT)).isEmpty();
  }

  @Test
  void theDefaultTextFormatOnFiltersAndFilteredOnListenersAndHbone() throws Exception {
    PushContext push = push("accessLogFile: /dev/stdout");
    AccessLog http = AccessLogs.http(push, CURRENT, OUT).get(0);
    assertThat(format(http).getTextFormatSource().getInlineString())
        .isEqualTo(AccessLogs.DEFAULT_TEXT_FORMAT)
        .startsWith("[%START_TIME%] \"%REQ(:METHOD)%")
        .endsWith("%REQUESTED_SERVER_NAME% %ROUTE_NAME%\n");
    assertThat(http.hasFilter()).isFalse();
    assertThat(AccessLogs.tcp(push, CURRENT, OUT)).containsExactly(http);

    AccessLog listener = AccessLogs.listener(push, CURRENT, OUT).get(0);
    assertThat(listener.getFilter().getResponseFlagFilter().getFlagsList()).containsExactly("NR");
    assertThat(listener.toBuilder().clearFilter().build()).isEqualTo(http);
    assertThat(
            AccessLogs.hboneOrigination(push, CURRENT, OUT)
                .get(0)
                .getFilter()
                .getResponseFlagFilter()
                .getFlagsList())
        .containsExactly("UF");
    ComparisonFilter failed =
        AccessLogs.hboneTermination(push, CURRENT)
            .get(0)
            .getFilter()
            .getStatusCodeFilter()
            .getComparison();
    assertThat(failed.getOp()).isEqualTo(ComparisonFilter.Op.GE);
    assertThat(failed.getValue().getDefaultValue()).isEqualTo(400);
    assertThat(failed.getValue().getRuntimeKey()).isEqualTo("istio.io/unset");
  }

  @Test
  void disableEnvoyListenerLogDropsOnlyTheListenerLog() {
    PushContext push = push("accessLogFile: /dev/stdout\ndisableEnvoyListenerLog: true");
    assertThat(AccessLogs.listener(push, CURRENT, OUT)).isEmpty();
    assertThat(AccessLogs.http(push, CURRENT, OUT)).hasSize(1);
  }

  @Test
  void defaultAccessLoggingProvidersHandTheDecisionToTelemetry() throws Exception {
    // the built-in envoy provider: the mesh format, to its own path
    PushContext push =
        push(
            "accessLogFile: /tmp/mesh.log\naccessLogEncoding: JSON\n"
                + "defaultProviders: {accessLogging: [envoy]}");
    List<AccessLog> http = AccessLogs.http(push, CURRENT, OUT);
    assertThat(http).hasSize(1);
    FileAccessLog f = http.get(0).getTypedConfig().unpack(FileAccessLog.class);
    assertThat(f.getPath()).isEqualTo("/dev/stdout");
    assertThat(f.getLogFormat().getJsonFormat()).isEqualTo(AccessLogs.DEFAULT_JSON_FORMAT);
    assertThat(AccessLogs.listener(push, CURRENT, OUT).get(0).getFilter().hasResponseFlagFilter())
        .isTrue();
    // a default provider nobody defined configures nothing: the mesh file applies again
    PushContext unknown =
        push("accessLogFile: /tmp/mesh.log\ndefaultProviders: {accessLogging: [nope]}");
    assertThat(
            AccessLogs.http(unknown, CURRENT, OUT)
                .get(0)
                .getTypedConfig()
                .unpack(FileAccessLog.class)
                .getPath())
        .isEqualTo("/tmp/mesh.log");
  }

  @Test
  void aCustomTextFormatGetsItsNewlineAndTheFormattersItNeeds() throws Exception {
    PushContext push =
        push(
            "accessLogFile: /dev/stdout\n"
                + "accessLogFormat: '%REQ_WITHOUT_QUERY(:PATH)% %METADATA(CLUSTER:istio)%"
                + " %CEL(request.path)%'");
    AccessLog current = AccessLogs.http(push, CURRENT, OUT).get(0);
    assertThat(format(current).getTextFormatSource().getInlineString())
        .isEqualTo("%REQ_WITHOUT_QUERY(:PATH)% %METADATA(CLUSTER:istio)% %CEL(request.path)%\n");
    // METADATA and CEL are built into the Envoy of Istio 1.26 and later (and of an unknown one)
    assertThat(formatterNames(current)).containsExactly("envoy.formatter.req_without_query");
    assertThat(formatterNames(AccessLogs.http(push, proxy(null), OUT).get(0)))
        .containsExactly("envoy.formatter.req_without_query");
    assertThat(formatterNames(AccessLogs.http(push, proxy("1.25.2"), OUT).get(0)))
        .containsExactly(
            "envoy.formatter.req_without_query", "envoy.formatter.metadata", "envoy.formatter.cel");
  }

  @Test
  void jsonEncodingUsesTheDefaultObjectOrTheUsersOne() throws Exception {
    SubstitutionFormatString def =
        format(
            AccessLogs.http(
                    push("accessLogFile: /dev/stdout\naccessLogEncoding: JSON"), CURRENT, OUT)
                .get(0));
    assertThat(def.getJsonFormat()).isEqualTo(AccessLogs.DEFAULT_JSON_FORMAT);
    assertThat(def.getJsonFormat().getFieldsMap()).hasSize(24).containsKey("response_code_details");
    assertThat(def.hasJsonFormatOptions()).isTrue();
    assertThat(def.getJsonFormatOptions().getSortProperties()).isFalse();

    SubstitutionFormatString own =
        format(
            AccessLogs.http(
                    push(
                        "accessLogFile: /dev/stdout\naccessLogEncoding: JSON\n"
                            + "accessLogFormat: '{\"p\": \"%REQ_WITHOUT_QUERY(:PATH)%\","
                            + " \"c\": \"%RESPONSE_CODE%\"}'"),
                    CURRENT,
                    OUT)
                .get(0));
    assertThat(own.getJsonFormat().getFieldsMap()).containsOnlyKeys("p", "c");
    assertThat(own.getFormattersList())
        .extracting(TypedExtensionConfig::getName)
        .containsExactly("envoy.formatter.req_without_query");
  }

  @Test
  void aJsonFormatThatDoesNotParseFallsBackToTheDefault() throws Exception {
    MeshConfig mesh =
        MeshConfigs.parse(
            "accessLogFile: /dev/stdout\naccessLogEncoding: JSON\naccessLogFormat: 'not json {'",
            "mesh.yaml");
    SubstitutionFormatString f =
        format(AccessLogs.http(ListenerFixture.push(mesh), CURRENT, OUT).get(0));
    assertThat(f.getJsonFormat()).isEqualTo(AccessLogs.DEFAULT_JSON_FORMAT);
  }
}

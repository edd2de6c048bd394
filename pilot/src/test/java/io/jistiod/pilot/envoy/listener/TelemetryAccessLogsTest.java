package io.jistiod.pilot.envoy.listener;

import static io.jistiod.pilot.envoy.listener.HttpConnectionManagers.ListenerClass.GATEWAY;
import static io.jistiod.pilot.envoy.listener.HttpConnectionManagers.ListenerClass.SIDECAR_INBOUND;
import static io.jistiod.pilot.envoy.listener.HttpConnectionManagers.ListenerClass.SIDECAR_OUTBOUND;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.accesslog.v3.AccessLog;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLogFilter;
import io.envoyproxy.envoy.extensions.access_loggers.file.v3.FileAccessLog;
import io.envoyproxy.envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter;
import io.envoyproxy.envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig;
import io.envoyproxy.envoy.extensions.access_loggers.grpc.v3.TcpGrpcAccessLogConfig;
import io.envoyproxy.envoy.extensions.access_loggers.open_telemetry.v3.OpenTelemetryAccessLogConfig;
import io.jistiod.galley.mesh.MeshConfigs;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Access logs from Telemetry resources, placed where the mesh config's file logger goes. */
class TelemetryAccessLogsTest {
  private static final String ROOT_ENVOY =
      """
      apiVersion: telemetry.istio.io/v1
      kind: Telemetry
      metadata: {name: mesh-default, namespace: istio-system}
      spec:
        accessLogging:
        - providers: [{name: envoy}]
      """;

  private static final String PROVIDERS =
      """
      accessLogFile: /tmp/mesh.log
      extensionProviders:
      - name: als
        envoyHttpAls: {service: als.shop.svc.cluster.local, port: 9000}
      - name: tcp-als
        envoyTcpAls: {service: shop/als.shop.svc.cluster.local, port: 9000, logName: tcp-log}
      - name: otel
        envoyOtelAls:
          service: als.shop.svc.cluster.local
          port: 4317
          logFormat:
            text: '%REQ_WITHOUT_QUERY(:PATH)%'
            labels: {z: '%RESPONSE_CODE%', a: '%METADATA(CLUSTER:istio)%'}
      - name: json-file
        envoyFileAccessLog:
          path: /var/log/access.json
          logFormat: {labels: {code: '%RESPONSE_CODE%'}}
      - name: nowhere
        envoyHttpAls: {service: missing.shop.svc.cluster.local, port: 9000}
      """;

  private static final String ALS_SERVICE =
      ListenerFixture.service("als", "10.9.1.1", 9000, "grpc", "10.9.1.2", 9000);

  private static PushContext push(String mesh, String... yaml) {
    return ListenerFixture.push(MeshConfigs.parse(mesh, "mesh.yaml"), yaml);
  }

  private static Proxy sidecar() {
    return ListenerFixture.sidecar(); // namespace shop, app=client
  }

  private static String path(AccessLog al) throws Exception {
    return al.getTypedConfig().unpack(FileAccessLog.class).getPath();
  }

  @Test
  void aRootTelemetryReplacesTheMeshFileLoggerEverywhere() throws Exception {
    PushContext push = push("accessLogFile: /tmp/mesh.log", ROOT_ENVOY);
    for (var cls : List.of(SIDECAR_OUTBOUND, SIDECAR_INBOUND)) {
      List<AccessLog> http = AccessLogs.http(push, sidecar(), cls);
      assertThat(http).hasSize(1);
      assertThat(path(http.get(0))).isEqualTo("/dev/stdout");
      assertThat(
              http.get(0)
                  .getTypedConfig()
                  .unpack(FileAccessLog.class)
                  .getLogFormat()
                  .getTextFormatSource()
                  .getInlineString())
          .isEqualTo(AccessLogs.DEFAULT_TEXT_FORMAT);
      assertThat(AccessLogs.listener(push, sidecar(), cls).get(0).getFilter())
          .isEqualTo(
              AccessLogFilter.newBuilder()
                  .setResponseFlagFilter(
                      io.envoyproxy.envoy.config.accesslog.v3.ResponseFlagFilter.newBuilder()
                          .addFlags("NR"))
                  .build());
    }
    // without Telemetry the mesh file is the logger
    assertThat(
            path(AccessLogs.tcp(push("accessLogFile: /tmp/mesh.log"), sidecar(), GATEWAY).get(0)))
        .isEqualTo("/tmp/mesh.log");
  }

  @Test
  void aNamespaceTurnsTheServerSideOffAndAWorkloadAddsACelFilter() throws Exception {
    String ns =
        """
        apiVersion: telemetry.istio.io/v1
        kind: Telemetry
        metadata: {name: no-server-logs, namespace: shop}
        spec:
          accessLogging:
          - match: {mode: SERVER}
            disabled: true
        """;
    PushContext push = push("accessLogFile: /tmp/mesh.log", ROOT_ENVOY, ns);
    // disabled is not "unconfigured": the mesh file logger does not come back
    assertThat(AccessLogs.http(push, sidecar(), SIDECAR_INBOUND)).isEmpty();
    assertThat(AccessLogs.listener(push, sidecar(), SIDECAR_INBOUND)).isEmpty();
    assertThat(AccessLogs.hboneTermination(push, sidecar())).isEmpty();
    assertThat(AccessLogs.http(push, sidecar(), SIDECAR_OUTBOUND)).hasSize(1);

    String workload =
        """
        apiVersion: telemetry.istio.io/v1
        kind: Telemetry
        metadata: {name: client-errors, namespace: shop}
        spec:
          selector: {matchLabels: {app: client}}
          accessLogging:
          - providers: [{name: envoy}]
            filter: {expression: 'response.code >= 400'}
        """;
    push = push("accessLogFile: /tmp/mesh.log", ROOT_ENVOY, ns, workload);
    AccessLog http = AccessLogs.http(push, sidecar(), SIDECAR_INBOUND).get(0);
    assertThat(http.getFilter().getExtensionFilter().getName())
        .isEqualTo("envoy.access_loggers.extension_filters.cel");
    assertThat(
            http.getFilter()
                .getExtensionFilter()
                .getTypedConfig()
                .unpack(ExpressionFilter.class)
                .getExpression())
        .isEqualTo("response.code >= 400");
    // on a listener: the NR filter and the CEL filter, both
    AccessLogFilter listener =
        AccessLogs.listener(push, sidecar(), SIDECAR_INBOUND).get(0).getFilter();
    assertThat(listener.getAndFilter().getFiltersList()).hasSize(2);
    assertThat(listener.getAndFilter().getFilters(0).getResponseFlagFilter().getFlags(0))
        .isEqualTo("NR");
    assertThat(listener.getAndFilter().getFilters(1)).isEqualTo(http.getFilter());
    // another workload of the namespace keeps the namespace's settings
    Proxy other = ListenerFixture.proxy("sidecar", "10.9.0.7", "db-1", "shop", Map.of("app", "db"));
    assertThat(AccessLogs.http(push, other, SIDECAR_INBOUND)).isEmpty();
  }

  @Test
  void providersOfEveryKindSortedByNameWithTheirClusters() throws Exception {
    String root =
        """
        apiVersion: telemetry.istio.io/v1
        kind: Telemetry
        metadata: {name: mesh-default, namespace: istio-system}
        spec:
          accessLogging:
          - providers: [{name: tcp-als}, {name: otel}, {name: json-file}, {name: als}, {name: nowhere}]
        """;
    PushContext push = push(PROVIDERS, ALS_SERVICE, root);
    List<AccessLog> logs = AccessLogs.http(push, sidecar(), SIDECAR_OUTBOUND);
    // "nowhere" names a service that does not exist: no logger, as istiod
    assertThat(logs)
        .extracting(AccessLog::getName)
        .containsExactly(
            "envoy.access_loggers.http_grpc",
            "envoy.access_loggers.file",
            "envoy.access_loggers.open_telemetry",
            "envoy.tcp_grpc_access_log");

    var http = logs.get(0).getTypedConfig().unpack(HttpGrpcAccessLogConfig.class).getCommonConfig();
    assertThat(http.getLogName()).isEqualTo("http_envoy_accesslog");
    assertThat(http.getGrpcService().getEnvoyGrpc().getClusterName())
        .isEqualTo("outbound|9000||als.shop.svc.cluster.local");
    assertThat(http.getGrpcService().getEnvoyGrpc().getAuthority())
        .isEqualTo("als.shop.svc.cluster.local");
    assertThat(http.getFilterStateObjectsToLogList())
        .containsExactly("upstream_peer", "downstream_peer");

    var json = logs.get(1).getTypedConfig().unpack(FileAccessLog.class);
    assertThat(json.getPath()).isEqualTo("/var/log/access.json");
    assertThat(json.getLogFormat().getJsonFormat().getFieldsMap()).containsOnlyKeys("code");

    var otel = logs.get(2).getTypedConfig().unpack(OpenTelemetryAccessLogConfig.class);
    assertThat(otel.getCommonConfig().getLogName()).isEqualTo("otel_envoy_accesslog");
    assertThat(otel.getCommonConfig().getGrpcService().getEnvoyGrpc().getClusterName())
        .isEqualTo("outbound|4317||als.shop.svc.cluster.local");
    assertThat(otel.getDisableBuiltinLabels()).isTrue();
    assertThat(otel.getBody().getStringValue()).isEqualTo("%REQ_WITHOUT_QUERY(:PATH)%");
    assertThat(otel.getAttributes().getValuesList())
        .extracting(kv -> kv.getKey())
        .containsExactly("a", "z");
    assertThat(otel.getFormattersList())
        .extracting(f -> f.getName())
        .containsExactly("envoy.formatter.req_without_query");

    var tcp = logs.get(3).getTypedConfig().unpack(TcpGrpcAccessLogConfig.class).getCommonConfig();
    assertThat(tcp.getLogName()).isEqualTo("tcp-log");
  }

  @Test
  void onlyUnknownProvidersFallBackToTheMeshFile() throws Exception {
    String root =
        """
        apiVersion: telemetry.istio.io/v1
        kind: Telemetry
        metadata: {name: mesh-default, namespace: istio-system}
        spec:
          accessLogging:
          - providers: [{name: typo}, {name: prometheus}]
        """;
    PushContext push = push("accessLogFile: /tmp/mesh.log", root);
    assertThat(path(AccessLogs.http(push, sidecar(), SIDECAR_OUTBOUND).get(0)))
        .isEqualTo("/tmp/mesh.log");
  }

  @Test
  void providerNamesAreLookedUpIgnoringCaseAndTheBuiltInCanBeReplaced() throws Exception {
    String root =
        """
        apiVersion: telemetry.istio.io/v1
        kind: Telemetry
        metadata: {name: mesh-default, namespace: istio-system}
        spec:
          accessLogging:
          - providers: [{name: Envoy}]
        """;
    PushContext push =
        push(
            """
            extensionProviders:
            - name: envoy
              envoyFileAccessLog: {path: /var/log/envoy.log}
            """,
            root);
    assertThat(path(AccessLogs.http(push, sidecar(), GATEWAY).get(0)))
        .isEqualTo("/var/log/envoy.log");
  }
}

package io.jistiod.pilot.envoy.listener;

import static io.jistiod.pilot.envoy.listener.HttpConnectionManagers.ListenerClass.GATEWAY;
import static io.jistiod.pilot.envoy.listener.HttpConnectionManagers.ListenerClass.SIDECAR_INBOUND;
import static io.jistiod.pilot.envoy.listener.HttpConnectionManagers.ListenerClass.SIDECAR_OUTBOUND;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.trace.v3.DatadogConfig;
import io.envoyproxy.envoy.config.trace.v3.OpenTelemetryConfig;
import io.envoyproxy.envoy.config.trace.v3.SkyWalkingConfig;
import io.envoyproxy.envoy.config.trace.v3.ZipkinConfig;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig;
import io.envoyproxy.envoy.extensions.tracers.opentelemetry.samplers.v3.DynatraceSamplerConfig;
import io.envoyproxy.envoy.type.tracing.v3.CustomTag;
import io.jistiod.galley.mesh.MeshConfigs;
import io.jistiod.pilot.envoy.listener.HttpConnectionManagers.ListenerClass;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import org.junit.jupiter.api.Test;

/** An HCM's tracing block from the Telemetry API and MeshConfig tracing providers. */
class HcmTracingTest {
  private static final String PROVIDERS =
      """
      enableTracing: true
      extensionProviders:
      - name: zipkin
        zipkin: {service: zipkin.shop.svc.cluster.local, port: 9411, maxTagLength: 64}
      - name: dd
        datadog: {service: shop/datadog.shop.svc.cluster.local, port: 8126}
      - name: sky
        skywalking: {service: sky.shop.svc.cluster.local, port: 11800}
      - name: otel
        opentelemetry:
          service: otel.shop.svc.cluster.local
          port: 4318
          http:
            path: /v1/traces
            timeout: 2s
            headers: [{name: x-token, value: secret}]
          resourceDetectors: {environment: {}}
          dynatraceSampler: {tenant: t1, clusterId: 7}
      - name: otel-grpc
        opentelemetry: {service: otel.shop.svc.cluster.local, port: 4317}
      - name: nowhere
        zipkin: {service: missing.shop.svc.cluster.local, port: 9411}
      - name: light
        lightstep: {service: otel.shop.svc.cluster.local, port: 4317}
      """;

  private static final String[] COLLECTORS = {
    ListenerFixture.service("zipkin", "10.9.2.1", 9411, "http", "10.9.2.2", 9411),
    ListenerFixture.service("datadog", "10.9.2.3", 8126, "http", "10.9.2.4", 8126),
    ListenerFixture.service("sky", "10.9.2.5", 11800, "grpc", "10.9.2.6", 11800),
    ListenerFixture.service("otel", "10.9.2.7", 4318, "http", "10.9.2.8", 4318)
  };

  private static String rootTelemetry(String provider, String extra) {
    return """
        apiVersion: telemetry.istio.io/v1
        kind: Telemetry
        metadata: {name: mesh-default, namespace: istio-system}
        spec:
          tracing:
          - providers: [{name: %s}]
        %s
        """
        .formatted(provider, extra.indent(2).stripTrailing());
  }

  private static PushContext push(String mesh, String... telemetry) {
    String[] yaml = new String[COLLECTORS.length + telemetry.length];
    System.arraycopy(COLLECTORS, 0, yaml, 0, COLLECTORS.length);
    System.arraycopy(telemetry, 0, yaml, COLLECTORS.length, telemetry.length);
    return ListenerFixture.push(MeshConfigs.parse(mesh, "mesh.yaml"), yaml);
  }

  private static HttpConnectionManager hcm(PushContext push, Proxy proxy, ListenerClass cls) {
    HttpConnectionManager.Builder b = HttpConnectionManager.newBuilder();
    HcmTracing.apply(b, cls, proxy, push);
    return b.build();
  }

  private static Proxy sidecar() {
    return ListenerFixture.sidecar().withServiceCluster("client.shop");
  }

  private static boolean requestIdSampling(HttpConnectionManager h) throws Exception {
    return h.getRequestIdExtension()
        .getTypedConfig()
        .unpack(UuidRequestIdConfig.class)
        .getUseRequestIdForTraceSampling()
        .getValue();
  }

  @Test
  void zipkinFromARootTelemetryWithItsSampling() throws Exception {
    PushContext push = push(PROVIDERS, rootTelemetry("zipkin", "  randomSamplingPercentage: 12.5"));
    for (var cls : new ListenerClass[] {SIDECAR_OUTBOUND, SIDECAR_INBOUND, GATEWAY}) {
      var t = hcm(push, sidecar(), cls).getTracing();
      assertThat(t.getProvider().getName()).isEqualTo("envoy.tracers.zipkin");
      var z = t.getProvider().getTypedConfig().unpack(ZipkinConfig.class);
      assertThat(z.getCollectorCluster()).isEqualTo("outbound|9411||zipkin.shop.svc.cluster.local");
      assertThat(z.getCollectorHostname()).isEqualTo("zipkin.shop.svc.cluster.local");
      assertThat(z.getCollectorEndpoint()).isEqualTo("/api/v2/spans");
      assertThat(z.getCollectorEndpointVersion())
          .isEqualTo(ZipkinConfig.CollectorEndpointVersion.HTTP_JSON);
      assertThat(z.getTraceId128Bit()).isTrue();
      assertThat(z.hasSharedSpanContext()).isTrue();
      assertThat(z.getSharedSpanContext().getValue()).isFalse();
      assertThat(t.getRandomSampling().getValue()).isEqualTo(12.5);
      assertThat(t.getClientSampling().getValue()).isEqualTo(100);
      assertThat(t.getOverallSampling().getValue()).isEqualTo(100);
      assertThat(t.getMaxPathTagLength().getValue()).isEqualTo(64);
      assertThat(t.hasSpawnUpstreamSpan()).isFalse();
    }
  }

  @Test
  void datadogAndOpenTelemetryReportTheNodeClusterAsService() throws Exception {
    var dd = hcm(push(PROVIDERS, rootTelemetry("dd", "")), sidecar(), SIDECAR_OUTBOUND);
    var d = dd.getTracing().getProvider().getTypedConfig().unpack(DatadogConfig.class);
    assertThat(d.getServiceName()).isEqualTo("client.shop");
    assertThat(d.getCollectorCluster()).isEqualTo("outbound|8126||datadog.shop.svc.cluster.local");
    // no Telemetry sampling: the proxy config's (1% by default)
    assertThat(dd.getTracing().getRandomSampling().getValue()).isEqualTo(1.0);

    var grpc = hcm(push(PROVIDERS, rootTelemetry("otel-grpc", "")), sidecar(), SIDECAR_OUTBOUND);
    var g = grpc.getTracing().getProvider().getTypedConfig().unpack(OpenTelemetryConfig.class);
    assertThat(g.getServiceName()).isEqualTo("client.shop");
    assertThat(g.getGrpcService().getEnvoyGrpc().getClusterName())
        .isEqualTo("outbound|4317||otel.shop.svc.cluster.local");
    assertThat(g.getGrpcService().getEnvoyGrpc().getAuthority())
        .isEqualTo("otel.shop.svc.cluster.local");
  }

  @Test
  void anOpenTelemetrySamplerTakesAllSpansAndHasTheExportersHost() throws Exception {
    var h =
        hcm(
            push(PROVIDERS, rootTelemetry("otel", "  randomSamplingPercentage: 5")),
            sidecar(),
            SIDECAR_OUTBOUND);
    assertThat(h.getTracing().getRandomSampling().getValue()).isEqualTo(100);
    var o = h.getTracing().getProvider().getTypedConfig().unpack(OpenTelemetryConfig.class);
    var uri = o.getHttpService().getHttpUri();
    assertThat(uri.getUri()).isEqualTo("otel.shop.svc.cluster.local/v1/traces");
    assertThat(uri.getCluster()).isEqualTo("outbound|4318||otel.shop.svc.cluster.local");
    assertThat(uri.getTimeout().getSeconds()).isEqualTo(2);
    assertThat(o.getHttpService().getRequestHeadersToAdd(0).getHeader().getValue())
        .isEqualTo("secret");
    assertThat(o.getResourceDetectorsList())
        .extracting(r -> r.getName())
        .containsExactly("envoy.tracers.opentelemetry.resource_detectors.environment");
    assertThat(o.getSampler().getName())
        .isEqualTo("envoy.tracers.opentelemetry.samplers.dynatrace");
    var s = o.getSampler().getTypedConfig().unpack(DynatraceSamplerConfig.class);
    assertThat(s.getTenant()).isEqualTo("t1");
    assertThat(s.getClusterId()).isEqualTo(7);
    assertThat(s.getHttpService().getHttpUri().getUri())
        .isEqualTo("otel.shop.svc.cluster.local/api/v2/samplingConfiguration");
  }

  @Test
  void skywalkingSpawnsUpstreamSpans() throws Exception {
    var t =
        hcm(push(PROVIDERS, rootTelemetry("sky", "")), sidecar(), SIDECAR_OUTBOUND).getTracing();
    assertThat(t.getSpawnUpstreamSpan().getValue()).isTrue();
    assertThat(
            t.getProvider()
                .getTypedConfig()
                .unpack(SkyWalkingConfig.class)
                .getGrpcService()
                .getEnvoyGrpc()
                .getClusterName())
        .isEqualTo("outbound|11800||sky.shop.svc.cluster.local");
  }

  @Test
  void disabledSideUnknownCollectorAndLightstepGetNoTracing() throws Exception {
    String serverOff =
        """
        apiVersion: telemetry.istio.io/v1
        kind: Telemetry
        metadata: {name: no-server-spans, namespace: shop}
        spec:
          tracing:
          - match: {mode: SERVER}
            disableSpanReporting: true
            useRequestIdForTraceSampling: false
        """;
    PushContext push = push(PROVIDERS, rootTelemetry("zipkin", ""), serverOff);
    var inbound = hcm(push, sidecar(), SIDECAR_INBOUND);
    assertThat(inbound.hasTracing()).isFalse();
    // no tracing: the request ID extension keeps istiod's default
    assertThat(requestIdSampling(inbound)).isTrue();
    assertThat(hcm(push, sidecar(), SIDECAR_OUTBOUND).hasTracing()).isTrue();

    // enableTracing would give a provider-less block; a Telemetry that fails gives none
    assertThat(
            hcm(push(PROVIDERS, rootTelemetry("nowhere", "")), sidecar(), SIDECAR_OUTBOUND)
                .hasTracing())
        .isFalse();
    assertThat(
            hcm(push(PROVIDERS, rootTelemetry("light", "")), sidecar(), SIDECAR_OUTBOUND)
                .hasTracing())
        .isFalse();
  }

  @Test
  void customTagsOfEachKindSortedAndIstioTagsOff() throws Exception {
    String tags =
        """
          useRequestIdForTraceSampling: false
          enableIstioTags: false
          customTags:
            zone: {literal: {value: eu}}
            build: {environment: {name: BUILD_ID, defaultValue: dev}}
            agent: {header: {name: user-agent}}
        """;
    var h = hcm(push(PROVIDERS, rootTelemetry("zipkin", tags)), sidecar(), SIDECAR_OUTBOUND);
    assertThat(requestIdSampling(h)).isFalse();
    assertThat(h.getTracing().getCustomTagsList())
        .containsExactly(
            CustomTag.newBuilder()
                .setTag("agent")
                .setRequestHeader(CustomTag.Header.newBuilder().setName("user-agent"))
                .build(),
            CustomTag.newBuilder()
                .setTag("build")
                .setEnvironment(
                    CustomTag.Environment.newBuilder().setName("BUILD_ID").setDefaultValue("dev"))
                .build(),
            CustomTag.newBuilder()
                .setTag("zone")
                .setLiteral(CustomTag.Literal.newBuilder().setValue("eu"))
                .build());
  }

  @Test
  void withoutTelemetryEnableTracingUsesTheProxyConfig() throws Exception {
    String mesh =
        """
        enableTracing: true
        defaultConfig:
          tracing:
            sampling: 20
            maxPathTagLength: 99
            customTags:
              owner: {literal: {value: team-a}}
        """;
    var t = hcm(push(mesh), sidecar(), SIDECAR_OUTBOUND).getTracing();
    assertThat(t.hasProvider()).isFalse();
    assertThat(t.getRandomSampling().getValue()).isEqualTo(20);
    assertThat(t.getMaxPathTagLength().getValue()).isEqualTo(99);
    assertThat(t.getCustomTagsList())
        .extracting(CustomTag::getTag)
        .contains("owner", "istio.namespace", "istio.authorization.dry_run.allow_policy.name")
        .isSorted();
    // istiod reads the canonical labels only and fills in what the proxy did not send
    assertThat(t.getCustomTagsList())
        .filteredOn(c -> c.hasLiteral())
        .extracting(c -> c.getTag() + "=" + c.getLiteral().getValue())
        .containsExactly(
            "istio.canonical_revision=latest",
            "istio.canonical_service=unknown",
            "istio.cluster_id=Kubernetes",
            "istio.mesh_id=unknown",
            "istio.namespace=shop",
            "owner=team-a");
    assertThat(hcm(push("enableTracing: false"), sidecar(), SIDECAR_OUTBOUND).hasTracing())
        .isFalse();
  }
}

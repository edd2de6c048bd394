package io.jistiod.pilot.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.jistiod.galley.api.telemetry.v1alpha1.AccessLogging;
import io.jistiod.galley.api.telemetry.v1alpha1.ProviderRef;
import io.jistiod.galley.api.telemetry.v1alpha1.Telemetry;
import io.jistiod.galley.api.type.v1beta1.PolicyTargetReference;
import io.jistiod.galley.api.type.v1beta1.WorkloadSelector;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.ConfigMeta;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Proxy;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which Telemetries apply to a proxy: root, namespace and workload levels as istiod picks them. */
class TelemetrySelectionTest {
  private static Config telemetry(String ns, String name, Telemetry.Builder spec) {
    spec.addAccessLogging(
        AccessLogging.newBuilder().addProviders(ProviderRef.newBuilder().setName(name)));
    return new Config(
        new ConfigMeta(IstioKinds.TELEMETRY, name, ns, Map.of(), Map.of(), "1", 0), spec.build());
  }

  private static Telemetry.Builder selecting(String key, String value) {
    return Telemetry.newBuilder()
        .setSelector(WorkloadSelector.newBuilder().putMatchLabels(key, value));
  }

  private static Proxy proxy(String type, String ns, Map<String, String> labels) {
    Struct.Builder l = Struct.newBuilder();
    labels.forEach((k, v) -> l.putFields(k, Value.newBuilder().setStringValue(v).build()));
    Struct md =
        Struct.newBuilder()
            .putFields("NAMESPACE", Value.newBuilder().setStringValue(ns).build())
            .putFields("LABELS", Value.newBuilder().setStructValue(l).build())
            .build();
    try {
      return Proxy.fromNode(
          type + "~10.9.0.1~pod-1." + ns + "~" + ns + ".svc.cluster.local", md, Locality.UNKNOWN);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<String> sources(TelemetrySelection s, Proxy p) {
    return s.accessLogging(p).stream().map(TelemetrySelection.Level::source).toList();
  }

  @Test
  void rootThenNamespaceThenMatchingWorkloads() {
    TelemetrySelection s =
        new TelemetrySelection(
            "istio-system",
            List.of(
                telemetry("istio-system", "mesh", Telemetry.newBuilder()),
                telemetry("shop", "ns", Telemetry.newBuilder()),
                telemetry("shop", "second-ns-wide", Telemetry.newBuilder()),
                telemetry("shop", "app", selecting("app", "web")),
                telemetry("shop", "other", selecting("app", "db")),
                telemetry("istio-system", "root-selector", selecting("app", "web")),
                telemetry("elsewhere", "ns", Telemetry.newBuilder())));
    assertThat(sources(s, proxy("sidecar", "shop", Map.of("app", "web", "v", "1"))))
        .containsExactly("istio-system/mesh", "shop/ns", "shop/app");
    assertThat(sources(s, proxy("sidecar", "shop", Map.of("app", "db"))))
        .containsExactly("istio-system/mesh", "shop/ns", "shop/other");
    assertThat(sources(s, proxy("sidecar", "quiet", Map.of("app", "web"))))
        .containsExactly("istio-system/mesh");
    // in the root namespace the selector resources of the root namespace apply too
    assertThat(sources(s, proxy("router", "istio-system", Map.of("app", "web"))))
        .containsExactly("istio-system/mesh", "istio-system/root-selector");
  }

  @Test
  void targetRefsApplyToGatewayApiGatewaysOnly() {
    Telemetry.Builder toGateway =
        Telemetry.newBuilder()
            .addTargetRefs(
                PolicyTargetReference.newBuilder()
                    .setGroup("gateway.networking.k8s.io")
                    .setKind("Gateway")
                    .setName("gw"));
    TelemetrySelection s =
        new TelemetrySelection("istio-system", List.of(telemetry("shop", "gw", toGateway)));
    assertThat(sources(s, proxy("sidecar", "shop", Map.of("app", "web")))).isEmpty();
    assertThat(
            sources(
                s, proxy("router", "shop", Map.of("gateway.networking.k8s.io/gateway-name", "gw"))))
        .containsExactly("shop/gw");
    assertThat(
            sources(
                s,
                proxy("router", "shop", Map.of("gateway.networking.k8s.io/gateway-name", "other"))))
        .isEmpty();
  }

  @Test
  void resourcesWithoutAccessLoggingAreNoLevel() {
    Config metricsOnly =
        new Config(
            new ConfigMeta(
                IstioKinds.TELEMETRY, "metrics", "istio-system", Map.of(), Map.of(), "1", 0),
            Telemetry.getDefaultInstance());
    TelemetrySelection s = new TelemetrySelection("istio-system", List.of(metricsOnly));
    assertThat(s.accessLogging(proxy("sidecar", "shop", Map.of()))).isEmpty();
  }
}

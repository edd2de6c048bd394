package io.jistiod.istiod.gatewayapi;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.istiod.gatewayapi.GatewayDeploymentInputs.ClassInfo;
import org.junit.jupiter.api.Test;

class BuiltinClassesTest {
  private static final String ISTIO = "istio.io/gateway-controller";

  @Test
  void withoutAmbientIstioAndRemoteAreCreatedAndOnlyIstioDeploys() {
    BuiltinClasses b = new BuiltinClasses("istio", ISTIO, true, false, false);
    assertThat(b.toCreate())
        .containsExactly(
            java.util.Map.entry(
                "istio", new GatewayClassCreator.Builtin(ISTIO, "The default Istio GatewayClass")),
            java.util.Map.entry(
                "istio-remote",
                new GatewayClassCreator.Builtin(
                    "istio.io/unmanaged-gateway",
                    "Remote to this cluster. Does not deploy or affect configuration.")));
    assertThat(b.classes()).doesNotContainKeys("istio-waypoint", "istio-east-west");
    assertThat(b.controllers().get(ISTIO).template()).isEqualTo("kube-gateway");
    assertThat(b.controllers().get("istio.io/unmanaged-gateway").template()).isEmpty();
    // the remote class off: only istio
    assertThat(new BuiltinClasses("istio", ISTIO, false, false, false).toCreate())
        .containsOnlyKeys("istio");
  }

  @Test
  void ambientClassesDeployTheWaypointTemplate() {
    BuiltinClasses b = new BuiltinClasses("istio", ISTIO, true, true, true);
    assertThat(b.toCreate())
        .containsEntry(
            "istio-waypoint",
            new GatewayClassCreator.Builtin(
                "istio.io/mesh-controller", "The default Istio waypoint GatewayClass"))
        .containsEntry(
            "istio-east-west",
            new GatewayClassCreator.Builtin(
                "istio.io/eastwest-controller",
                "The default GatewayClass for Istio East West Gateways"));
    assertThat(b.classes())
        .containsEntry("istio-waypoint", "istio.io/mesh-controller")
        .containsEntry("istio-east-west", "istio.io/eastwest-controller");
    assertThat(b.controllers().get("istio.io/mesh-controller"))
        .isEqualTo(
            new ClassInfo(
                "istio.io/mesh-controller",
                "waypoint",
                "ClusterIP",
                true,
                "istio.io-mesh-controller"));
    assertThat(b.controllers().get("istio.io/eastwest-controller"))
        .isEqualTo(
            new ClassInfo(
                "istio.io/eastwest-controller",
                "waypoint",
                "LoadBalancer",
                true,
                "istio.io-eastwest-controller"));
  }

  @Test
  void theDefaultClassMayBeRenamed() {
    BuiltinClasses b = new BuiltinClasses("gw", "example.com/gw", false, true, false);
    assertThat(b.classes())
        .containsExactly(
            java.util.Map.entry("gw", "example.com/gw"),
            java.util.Map.entry("istio-waypoint", "istio.io/mesh-controller"));
  }
}

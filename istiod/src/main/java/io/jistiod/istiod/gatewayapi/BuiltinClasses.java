package io.jistiod.istiod.gatewayapi;

import io.jistiod.istiod.gatewayapi.GatewayDeploymentInputs.ClassInfo;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * istiod 1.27's built-in GatewayClasses as its feature flags switch them on, and the controller
 * behind each: which template a controller deploys its Gateways with, and the class the class
 * creator makes for it. One value, so the class creator, the deployment controller and the
 * converter agree on the same set.
 *
 * <ul>
 *   <li>{@code istio} (or PILOT_GATEWAY_API_DEFAULT_GATEWAYCLASS_NAME): always, kube-gateway;
 *   <li>{@code istio-remote} (PILOT_MULTI_NETWORK_DISCOVER_GATEWAY_API, on by default): a gateway
 *       of another cluster, never deployed;
 *   <li>{@code istio-waypoint} (ambient waypoints): the waypoint template, a ClusterIP Service;
 *   <li>{@code istio-east-west} (ambient multi-network): the waypoint template too, a LoadBalancer
 *       Service.
 * </ul>
 *
 * @param remote the {@code istio-remote} class is on
 * @param waypoints the {@code istio-waypoint} class is on
 * @param eastWest the {@code istio-east-west} class is on
 */
public record BuiltinClasses(
    String defaultClass,
    String controllerName,
    boolean remote,
    boolean waypoints,
    boolean eastWest) {

  static final String REMOTE_CLASS = "istio-remote";
  static final String REMOTE_CONTROLLER = "istio.io/unmanaged-gateway";
  static final String WAYPOINT_CLASS = "istio-waypoint";
  static final String WAYPOINT_CONTROLLER = "istio.io/mesh-controller";
  static final String EAST_WEST_CLASS = "istio-east-west";
  static final String EAST_WEST_CONTROLLER = "istio.io/eastwest-controller";

  /** A controller's class: its name, what its controller deploys, its description. */
  private record Entry(String className, ClassInfo info, String description) {}

  private Map<String, Entry> entries() {
    Map<String, Entry> out = new LinkedHashMap<>();
    out.put(
        controllerName,
        new Entry(
            defaultClass,
            new ClassInfo(
                controllerName,
                "kube-gateway",
                "LoadBalancer",
                false,
                "istio.io-gateway-controller"),
            "The default Istio GatewayClass"));
    if (remote) {
      // a gateway our cluster cannot see: no template, nothing deployed
      out.put(
          REMOTE_CONTROLLER,
          new Entry(
              REMOTE_CLASS,
              new ClassInfo(REMOTE_CONTROLLER, "", "", false, ""),
              "Remote to this cluster. Does not deploy or affect configuration."));
    }
    if (waypoints) {
      out.put(
          WAYPOINT_CONTROLLER,
          new Entry(
              WAYPOINT_CLASS,
              new ClassInfo(
                  WAYPOINT_CONTROLLER, "waypoint", "ClusterIP", true, "istio.io-mesh-controller"),
              "The default Istio waypoint GatewayClass"));
    }
    if (eastWest) {
      // an east-west gateway is a waypoint other networks reach through a load balancer
      out.put(
          EAST_WEST_CONTROLLER,
          new Entry(
              EAST_WEST_CLASS,
              new ClassInfo(
                  EAST_WEST_CONTROLLER,
                  "waypoint",
                  "LoadBalancer",
                  true,
                  "istio.io-eastwest-controller"),
              "The default GatewayClass for Istio East West Gateways"));
    }
    return out;
  }

  /** What each controller deploys, by controller name. */
  Map<String, ClassInfo> controllers() {
    Map<String, ClassInfo> out = new LinkedHashMap<>();
    entries().forEach((controller, e) -> out.put(controller, e.info()));
    return out;
  }

  /** The controller of each built-in class, by class name (for Gateways of a class not created). */
  Map<String, String> classes() {
    Map<String, String> out = new LinkedHashMap<>();
    entries().forEach((controller, e) -> out.put(e.className(), controller));
    return out;
  }

  /** The GatewayClasses the class creator makes, by name. */
  public Map<String, GatewayClassCreator.Builtin> toCreate() {
    Map<String, GatewayClassCreator.Builtin> out = new LinkedHashMap<>();
    entries()
        .forEach(
            (controller, e) ->
                out.put(
                    e.className(), new GatewayClassCreator.Builtin(controller, e.description())));
    return out;
  }
}

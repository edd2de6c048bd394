package io.jistiod.pilot.gatewayapi;

import io.jistiod.galley.api.gateway.v1.GatewayClassSpec;
import io.jistiod.galley.api.gateway.v1.GatewayClassStatus;
import io.jistiod.galley.config.Config;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which of istiod's controllers handles a Gateway, decided from its class as istiod 1.27 decides
 * ({@code fetchClass}, {@code getClassInfos}), and the status istiod writes on the classes it
 * handles.
 */
final class GatewayClasses {
  static final String ISTIO_CONTROLLER = "istio.io/gateway-controller";
  static final String REMOTE_CONTROLLER = "istio.io/unmanaged-gateway";
  static final String WAYPOINT_CONTROLLER = "istio.io/mesh-controller";
  static final String EAST_WEST_CONTROLLER = "istio.io/eastwest-controller";

  /**
   * What a controller does with its Gateways.
   *
   * @param routesGenerated false for {@code istio-remote}: no config, a fixed status
   * @param istioConfig false for waypoints and east-west gateways: listeners give status only
   * @param nameSuffix whether the deployed Service is {@code <gateway>-<class>} (else {@code
   *     <gateway>})
   * @param addressType the address type reported in status: {@code Hostname}, or empty for both
   */
  record ClassInfo(
      String controller,
      boolean routesGenerated,
      boolean istioConfig,
      boolean nameSuffix,
      String addressType) {

    /** Whether XListenerSets may attach to its Gateways: only the {@code istio} class's. */
    boolean supportsListenerSets() {
      return controller.equals(ISTIO_CONTROLLER);
    }
  }

  /** A Gateway's class: its name and the controller handling it. */
  record Resolved(String name, ClassInfo info) {}

  private final Map<String, ClassInfo> controllers = new LinkedHashMap<>();
  private final Map<String, String> builtin = new LinkedHashMap<>();
  private final Map<String, Config> handled = new LinkedHashMap<>();

  GatewayClasses(List<Config> classes, GatewayApiOptions options) {
    add("istio", new ClassInfo(ISTIO_CONTROLLER, true, true, true, "Hostname"));
    if (options.remoteClass()) {
      add("istio-remote", new ClassInfo(REMOTE_CONTROLLER, false, false, true, "Hostname"));
    }
    if (options.waypointClass()) {
      add("istio-waypoint", new ClassInfo(WAYPOINT_CONTROLLER, true, false, false, ""));
    }
    if (options.eastWestClass()) {
      add("istio-east-west", new ClassInfo(EAST_WEST_CONTROLLER, true, false, false, ""));
    }
    for (Config c : classes) {
      if (controllers.containsKey(c.spec(GatewayClassSpec.class).getControllerName())) {
        handled.put(c.name(), c);
      }
    }
  }

  private void add(String className, ClassInfo info) {
    controllers.put(info.controller(), info);
    builtin.put(className, info.controller());
  }

  /**
   * The class of a Gateway naming {@code className}: the GatewayClass object if it names one of
   * istiod's controllers, else the builtin class of that name (so {@code istio} works without an
   * object, and an object for another controller does not hide it), else none: the Gateway is not
   * istiod's, and gets neither config nor status.
   */
  Optional<Resolved> resolve(String className) {
    Config c = handled.get(className);
    String controller =
        c != null ? c.spec(GatewayClassSpec.class).getControllerName() : builtin.get(className);
    return controller == null
        ? Optional.empty()
        : Optional.of(new Resolved(className, controllers.get(controller)));
  }

  /** The status istiod writes on each class it handles: {@code Accepted}, nothing else. */
  Map<Config, GatewayClassStatus> statuses(String now) {
    Map<Config, GatewayClassStatus> out = new LinkedHashMap<>();
    for (Config c : handled.values()) {
      GatewayClassStatus current = c.status(GatewayClassStatus.class);
      var conditions =
          Conditions.apply(
              c.meta().generation(),
              current.getConditionsList(),
              Map.of("Accepted", Conditions.Want.ok("Accepted", "Handled by Istio controller")),
              now);
      out.put(c, current.toBuilder().clearConditions().addAllConditions(conditions).build());
    }
    return out;
  }
}

package io.jistiod.pilot.gatewayapi;

import io.jistiod.galley.api.gateway.v1.Condition;
import io.jistiod.galley.api.gateway.v1.RouteParentStatus;
import io.jistiod.galley.api.gateway.v1.RouteStatus;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A route's status as istiod writes it ({@code createRouteStatus}): one entry per parentRef it
 * handles, merged into the entries other controllers wrote, which stay as they are.
 */
final class RouteStatuses {
  private RouteStatuses() {}

  /**
   * @param gatewayError the error of converting the route for its Gateway parents, or null
   * @param meshError the error of converting it for its mesh parents, or null
   */
  static RouteStatus build(
      RouteObject route,
      List<RouteParentRef> parents,
      StatusError gatewayError,
      StatusError meshError,
      String now) {
    String ns = route.namespace();
    List<RouteParentStatus> current = route.status().getParentsList();
    List<RouteParentStatus> out = new ArrayList<>(current);
    Map<String, Integer> ours = new HashMap<>();
    for (int i = 0; i < current.size(); i++) {
      RouteParentStatus p = current.get(i);
      if (p.getControllerName().equals(GatewayClasses.ISTIO_CONTROLLER)) {
        ours.putIfAbsent(RouteParents.refString(p.getParentRef(), ns), i);
      }
    }

    Map<Object, List<RouteParentRef>> byRef = new LinkedHashMap<>();
    for (RouteParentRef p : parents) {
      byRef.computeIfAbsent(p.group(), k -> new ArrayList<>()).add(p);
    }
    List<RouteParentStatus> added = new ArrayList<>();
    for (List<RouteParentRef> candidates : byRef.values()) {
      RouteParentRef first = candidates.get(0);
      StatusError denied = reported(candidates);
      long accepted = candidates.stream().filter(RouteParentRef::accepted).count();
      Map<String, Conditions.Want> conditions = new LinkedHashMap<>();
      Conditions.Want acceptedCondition =
          Conditions.Want.ok(
              "Accepted",
              accepted > 1
                  ? "Route was valid, bound to " + accepted + " parents"
                  : "Route was valid");
      conditions.put(
          "Accepted", denied == null ? acceptedCondition : acceptedCondition.failing(denied));
      StatusError routeError = first.isMesh() ? meshError : gatewayError;
      Conditions.Want resolved = Conditions.Want.ok("ResolvedRefs", "All references resolved");
      conditions.put("ResolvedRefs", routeError == null ? resolved : resolved.failing(routeError));

      String key = RouteParents.refString(first.original(), ns);
      List<Condition> existing = List.of();
      for (RouteParentStatus p : current) {
        if (RouteParents.refString(p.getParentRef(), ns).equals(key)
            && p.getControllerName().equals(GatewayClasses.ISTIO_CONTROLLER)) {
          existing = p.getConditionsList();
          break;
        }
      }
      RouteParentStatus entry =
          RouteParentStatus.newBuilder()
              .setParentRef(first.original())
              .setControllerName(GatewayClasses.ISTIO_CONTROLLER)
              .addAllConditions(
                  Conditions.apply(route.config().meta().generation(), existing, conditions, now))
              .build();
      Integer at = ours.remove(key);
      if (at != null) {
        out.set(at, entry);
      } else {
        added.add(entry);
      }
    }
    added.sort(
        Comparator.comparing((RouteParentStatus p) -> RouteParents.refString(p.getParentRef(), ns))
            .reversed());
    out.addAll(added);
    // Our entries for parentRefs no longer resolved are dropped.
    for (int i : new TreeSet<>(ours.values()).descendingSet()) {
      out.remove(i);
    }
    return RouteStatus.newBuilder().addAllParents(out).build();
  }

  /**
   * The denial to report for one parentRef: none if any of its listeners accepted the route, else
   * the most telling reason (not allowed, then no matching host name, then no matching parent),
   * messages of equally telling ones joined.
   */
  private static StatusError reported(List<RouteParentRef> candidates) {
    StatusError report = candidates.get(0).denied();
    int rank = rank(report);
    for (RouteParentRef c : candidates.subList(1, candidates.size())) {
      int r = rank(c.denied());
      if (r < rank) {
        rank = r;
        report = c.denied();
      } else if (r == rank && report != null) {
        report = report.join(c.denied());
      } else if (r == rank) {
        report = c.denied();
      }
    }
    return report;
  }

  private static int rank(StatusError denied) {
    if (denied == null) {
      return 0;
    }
    return switch (denied.reason()) {
      case RouteParents.NOT_ALLOWED -> 1;
      case RouteParents.NO_HOSTNAME -> 2;
      case "ParentRefConflict" -> 3;
      case RouteParents.NO_MATCHING_PARENT -> 4;
      default -> 0;
    };
  }
}

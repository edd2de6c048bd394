package io.jistiod.pilot.gatewayapi;

import io.jistiod.galley.api.gateway.v1.RouteStatus;
import io.jistiod.galley.api.networking.v1alpha3.ServiceEntry;
import io.jistiod.galley.config.Config;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * What every route kind shares ({@code computeRoute}): its parents, its rules converted once for
 * its Gateway parents and once for its mesh parents (only where it has such parents), and its
 * status.
 *
 * @param parents every candidate parent, accepted or not
 */
record RouteTranslation<T>(
    RouteObject route,
    List<RouteParentRef> parents,
    Converted<T> mesh,
    Converted<T> gateway,
    RouteStatus status) {

  /**
   * @param convert converts the rules; its argument is true for mesh parents (which need no
   *     ReferenceGrants)
   */
  static <T> RouteTranslation<T> of(
      RouteObject route,
      RouteParents routeParents,
      Function<Boolean, Converted<T>> convert,
      String now) {
    List<RouteParentRef> parents = routeParents.resolve(route);
    boolean anyMesh = parents.stream().anyMatch(RouteParentRef::isMesh);
    boolean anyGateway = parents.stream().anyMatch(p -> !p.isMesh());
    Converted<T> mesh = anyMesh ? convert.apply(true) : Converted.none();
    Converted<T> gateway = anyGateway ? convert.apply(false) : Converted.none();
    RouteStatus status = RouteStatuses.build(route, parents, gateway.error(), mesh.error(), now);
    return new RouteTranslation<>(route, parents, mesh, gateway, status);
  }

  /** The parents that admit the route, by internal name ({@code filteredReferences}). */
  List<RouteParentRef> accepted() {
    return parents.stream()
        .filter(RouteParentRef::accepted)
        .sorted(Comparator.comparing(p -> p.info().internalName()))
        .toList();
  }

  /** The routes for a parent: its mode's. */
  List<T> routesFor(RouteParentRef parent) {
    return parent.isMesh() ? mesh.routes() : gateway.routes();
  }

  /**
   * The hosts of a mesh parent: the Service's name, or every host of the ServiceEntry (none if it
   * does not exist).
   */
  static List<String> meshHosts(
      RouteParentRef parent, Map<String, Config> serviceEntries, String domainSuffix) {
    ParentKey key = parent.key();
    if (key.kind().equals(GroupKind.SERVICE_ENTRY)) {
      Config se = serviceEntries.get(key.namespace() + "/" + key.name());
      return se == null ? List.of() : se.spec(ServiceEntry.class).getHostsList();
    }
    return List.of(key.name() + "." + key.namespace() + ".svc." + domainSuffix);
  }

  static Map<String, Config> serviceEntriesByName(List<Config> serviceEntries) {
    Map<String, Config> out = new HashMap<>();
    for (Config se : serviceEntries) {
      out.put(se.namespace() + "/" + se.name(), se);
    }
    return out;
  }
}

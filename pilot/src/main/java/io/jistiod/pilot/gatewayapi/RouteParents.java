package io.jistiod.pilot.gatewayapi;

import io.jistiod.galley.api.gateway.v1.ParentReference;
import io.jistiod.galley.api.gateway.v1.RouteGroupKind;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.HostName;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Resolves the parentRefs of a route to the listeners (or the mesh) they name, and decides for each
 * whether it admits the route, as istiod's {@code extractParentReferenceInfo} and {@code
 * referenceAllowed}.
 */
final class RouteParents {
  static final String NO_MATCHING_PARENT = "NoMatchingParent";
  static final String NOT_ALLOWED = "NotAllowedByListeners";
  static final String NO_HOSTNAME = "NoMatchingListenerHostname";

  private final Map<ParentKey, List<ParentInfo>> listeners = new LinkedHashMap<>();
  private final Set<String> kubernetesServices;
  private final Set<String> serviceEntries = new HashSet<>();

  RouteParents(List<GatewayListener> gatewayListeners, GatewayApiInputs in) {
    for (GatewayListener l : gatewayListeners) {
      listeners.computeIfAbsent(l.parent(), k -> new ArrayList<>()).add(l.info());
    }
    this.kubernetesServices = in.kubernetesServices();
    for (Config se : in.serviceEntries()) {
      serviceEntries.add(se.namespace() + "/" + se.name());
    }
  }

  /**
   * Every candidate parent of the route, in istiod's order: by parentRef ({@link #refString}), then
   * listener order. ParentRefs to kinds istiod does not handle, and to Gateways that are not
   * istiod's, give none.
   */
  List<RouteParentRef> resolve(RouteObject route) {
    List<RouteParentRef> out = new ArrayList<>();
    List<ParentReference> refs = route.parentRefs();
    for (int i = 0; i < refs.size(); i++) {
      ParentReference ref = refs.get(i);
      GroupKind kind =
          GroupKind.of(
              ref.hasGroup(), ref.getGroup(), ref.hasKind(), ref.getKind(), GroupKind.GATEWAY);
      if (!kind.equals(GroupKind.GATEWAY)
          && !kind.equals(GroupKind.SERVICE)
          && !kind.equals(GroupKind.SERVICE_ENTRY)
          && !kind.equals(GroupKind.LISTENER_SET)) {
        continue; // maybe another controller's
      }
      ParentKey key =
          new ParentKey(
              kind, ref.getName(), ref.hasNamespace() ? ref.getNamespace() : route.namespace());
      boolean mesh = kind.equals(GroupKind.SERVICE) || kind.equals(GroupKind.SERVICE_ENTRY);
      List<ParentInfo> candidates =
          mesh ? List.of(ParentInfo.MESH_PARENT) : listeners.getOrDefault(key, List.of());
      Object group = groupOf(ref, i);
      for (ParentInfo p : candidates) {
        Set<String> banned = new HashSet<>();
        for (ParentInfo other : candidates) {
          if (other != p && other.port() == p.port() && other.protocol().equals(p.protocol())) {
            banned.add(other.originalHostname());
          }
        }
        banned.remove(p.originalHostname());
        out.add(
            new RouteParentRef(key, p, group, ref, denied(route, key, ref, p), Set.copyOf(banned)));
      }
    }
    out.sort(Comparator.comparing(r -> refString(r.original(), route.namespace())));
    return out;
  }

  /**
   * The entry a candidate is reported under. istiod keys its status map by the parentRef value,
   * whose optional fields are pointers: two entries are one only if nothing but the name is set.
   */
  private static Object groupOf(ParentReference ref, int index) {
    boolean onlyName =
        !ref.hasGroup()
            && !ref.hasKind()
            && !ref.hasNamespace()
            && !ref.hasSectionName()
            && !ref.hasPort();
    return onlyName ? "name:" + ref.getName() : index;
  }

  private StatusError denied(RouteObject route, ParentKey key, ParentReference ref, ParentInfo p) {
    if (key.kind().equals(GroupKind.SERVICE)) {
      if (!kubernetesServices.contains(key.namespace() + "/" + key.name())) {
        return new StatusError(
            NO_MATCHING_PARENT, "parent service: " + quote(ref.getName()) + " not found");
      }
    } else if (key.kind().equals(GroupKind.SERVICE_ENTRY)) {
      if (!serviceEntries.contains(key.namespace() + "/" + key.name())) {
        return new StatusError(
            NO_MATCHING_PARENT, "parent service entry: " + quote(ref.getName()) + " not found");
      }
    } else {
      if (ref.getPort() != 0 && ref.getPort() != p.port()) {
        return new StatusError(NO_MATCHING_PARENT, "port " + ref.getPort() + " not found");
      }
      if (!ref.getSectionName().isEmpty() && !ref.getSectionName().equals(p.sectionName())) {
        return new StatusError(
            NO_MATCHING_PARENT, "sectionName " + quote(ref.getSectionName()) + " not found");
      }
      StatusError hosts = hostnameDenial(route, p);
      if (hosts != null) {
        return hosts;
      }
    }
    for (RouteGroupKind allowed : p.allowedKinds()) {
      String group = allowed.hasGroup() ? allowed.getGroup() : GroupKind.GATEWAY_GROUP;
      if (allowed.getKind().equals(route.kind().kind()) && group.equals(route.kind().group())) {
        return null;
      }
    }
    return new StatusError(NOT_ALLOWED, "kind " + route.gvk() + " is not allowed");
  }

  /**
   * Whether some route host name meets a listener host in a namespace the listener admits routes
   * from (host names match both ways, with wildcards on either side).
   */
  private static StatusError hostnameDenial(RouteObject route, ParentInfo p) {
    List<String> hostnames = route.hostnames().isEmpty() ? List.of("*") : route.hostnames();
    boolean hostMatched = false;
    for (String routeHost : hostnames) {
      for (String listenerHost : p.hostnames()) {
        int slash = listenerHost.indexOf('/');
        String ns = slash < 0 ? "*" : listenerHost.substring(0, slash);
        String host = slash < 0 ? listenerHost : listenerHost.substring(slash + 1);
        boolean hostMatch = HostName.matches(host, routeHost);
        hostMatched |= hostMatch;
        if (hostMatch && (ns.equals("*") || ns.equals(route.namespace()))) {
          return null;
        }
      }
    }
    if (hostMatched) {
      return new StatusError(
          NOT_ALLOWED,
          "hostnames matched parent hostname %s, but namespace %s is not allowed by the parent"
              .formatted(quote(p.originalHostname()), quote(route.namespace())));
    }
    return new StatusError(
        NO_HOSTNAME, "no hostnames matched parent hostname " + quote(p.originalHostname()));
  }

  /**
   * {@code group/kind/name/section/port.namespace} with the parentRef defaults, istiod's key for
   * ordering parents and matching status entries.
   */
  static String refString(ParentReference ref, String routeNamespace) {
    return (ref.hasGroup() ? ref.getGroup() : GroupKind.GATEWAY_GROUP)
        + "/"
        + (ref.hasKind() ? ref.getKind() : "Gateway")
        + "/"
        + ref.getName()
        + "/"
        + ref.getSectionName()
        + "/"
        + ref.getPort()
        + "."
        + (ref.hasNamespace() ? ref.getNamespace() : routeNamespace);
  }

  /** Go's {@code %q} for the plain strings of names and hosts. */
  static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}

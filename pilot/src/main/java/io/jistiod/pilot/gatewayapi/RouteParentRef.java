package io.jistiod.pilot.gatewayapi;

import io.jistiod.galley.api.gateway.v1.ParentReference;
import io.jistiod.galley.config.HostName;
import java.util.Set;

/**
 * One candidate parent of a route: a listener (or the mesh) that one of its parentRefs names, and
 * whether it admits the route.
 *
 * @param group which parentRef entry it came from, for status (istiod reports one entry per
 *     parentRef, however many listeners it names)
 * @param denied why the parent does not admit the route (reason NoMatchingParent,
 *     NotAllowedByListeners or NoMatchingListenerHostname), null if it does
 * @param banned host names of the parent's sibling listeners on the same port and protocol: a route
 *     host they match better is theirs, not this listener's
 */
record RouteParentRef(
    ParentKey key,
    ParentInfo info,
    Object group,
    ParentReference original,
    StatusError denied,
    Set<String> banned) {

  boolean isMesh() {
    return info.isMesh();
  }

  boolean accepted() {
    return denied == null;
  }

  /**
   * Whether a VirtualService for {@code host} may bind to this listener ({@code
   * hostnameAllowedByIsolation}): not if a sibling listener's host name covers it more exactly.
   */
  boolean allowsHost(String host) {
    String ours = info.originalHostname();
    if (!ours.isEmpty() && !HostName.isWildcard(ours)) {
      return true;
    }
    if (!ours.isEmpty() && !HostName.matches(host, ours)) {
      return false;
    }
    for (String other : banned) {
      if (ours.length() > other.length()) {
        continue; // ours is the more exact one
      }
      if (HostName.subsetOf(host, other)) {
        return false;
      }
    }
    return true;
  }
}

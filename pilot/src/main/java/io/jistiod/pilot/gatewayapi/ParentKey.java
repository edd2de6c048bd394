package io.jistiod.pilot.gatewayapi;

/**
 * What a route's parentRef names: a Gateway (or ListenerSet) by kind, name and namespace, or the
 * mesh ({@link #MESH}) for Service and ServiceEntry parents.
 */
record ParentKey(GroupKind kind, String name, String namespace) {
  static final ParentKey MESH =
      new ParentKey(new GroupKind(GroupKind.GATEWAY_GROUP, "Mesh"), "istio", "");
}

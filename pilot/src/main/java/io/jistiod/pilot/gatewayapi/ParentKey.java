package io.jistiod.pilot.gatewayapi;

/**
 * What a route's parentRef names: a Gateway (or ListenerSet), Service or ServiceEntry, by kind,
 * name and namespace (the route's when the parentRef has none).
 */
record ParentKey(GroupKind kind, String name, String namespace) {}

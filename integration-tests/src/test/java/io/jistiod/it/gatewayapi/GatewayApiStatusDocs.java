package io.jistiod.it.gatewayapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jistiod.it.support.Rig;

/**
 * The status of Gateway API objects on the rig, as side-by-side tests compare it: read without
 * transition times (when each writer saw a change differs), and cleared between the reference's
 * turn and ours.
 */
final class GatewayApiStatusDocs {
  private static final ObjectMapper JSON = new ObjectMapper();

  private GatewayApiStatusDocs() {}

  /** The status of {@code kind} (plural.group) {@code ns/name}, transition times removed. */
  static JsonNode status(Rig rig, String kind, String ns, String name) throws Exception {
    JsonNode o = JSON.readTree(rig.kubectl("get", kind, name, "-n", ns, "-o", "json"));
    return withoutTimes(o.path("status").deepCopy());
  }

  /** {@code n} with every {@code lastTransitionTime} removed (in place). */
  static JsonNode withoutTimes(JsonNode n) {
    if (n instanceof ObjectNode o) {
      o.remove("lastTransitionTime");
      o.forEach(GatewayApiStatusDocs::withoutTimes);
    } else if (n.isArray()) {
      n.forEach(GatewayApiStatusDocs::withoutTimes);
    }
    return n;
  }

  /** Gateway {@code ns/name} back to no status: what it had before any istiod saw it. */
  static void clearGateway(Rig rig, String ns, String name) throws Exception {
    patchStatus(
        rig,
        "gateways.gateway.networking.k8s.io",
        ns,
        name,
        "{\"status\":{\"conditions\":null,\"listeners\":null,\"addresses\":null}}");
  }

  /** HTTPRoute {@code ns/name} back to no parent status. */
  static void clearHttpRoute(Rig rig, String ns, String name) throws Exception {
    clearRoute(rig, "httproutes.gateway.networking.k8s.io", ns, name);
  }

  /** A route of {@code kind} (plural.group) {@code ns/name} back to no parent status. */
  static void clearRoute(Rig rig, String kind, String ns, String name) throws Exception {
    patchStatus(rig, kind, ns, name, "{\"status\":{\"parents\":[]}}");
  }

  private static void patchStatus(Rig rig, String kind, String ns, String name, String patch)
      throws Exception {
    rig.kubectl("patch", kind, name, "-n", ns, "--subresource=status", "--type=merge", "-p", patch);
  }
}

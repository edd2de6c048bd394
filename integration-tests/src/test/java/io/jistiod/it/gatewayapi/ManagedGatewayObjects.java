package io.jistiod.it.gatewayapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jistiod.it.support.Rig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.awaitility.Awaitility;

/**
 * The objects a Gateway deployment controller (istiod's or ours) created in a namespace, read back
 * from the API server and reduced to what the two must agree on: everything, managedFields
 * included, but the values the API server allocates (uid, resourceVersion, times, cluster IPs, node
 * ports).
 */
final class ManagedGatewayObjects {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The kinds a Gateway deployment creates. */
  static final String KINDS = "serviceaccounts,deployments,services,poddisruptionbudgets";

  private ManagedGatewayObjects() {}

  /** The managed objects of {@code ns} by kind/name, reduced to what both must agree on. */
  static Map<String, JsonNode> of(Rig rig, String ns) throws Exception {
    JsonNode list =
        JSON.readTree(
            rig.kubectl(
                "get",
                KINDS,
                "-n",
                ns,
                "-l",
                "gateway.istio.io/managed",
                // kubectl leaves them out unless asked
                "--show-managed-fields",
                "-o",
                "json"));
    Map<String, JsonNode> out = new TreeMap<>();
    for (JsonNode o : list.path("items")) {
      out.put(o.path("kind").asText() + "/" + o.at("/metadata/name").asText(), compared(o));
    }
    return out;
  }

  /** Waits for at least {@code count} objects, then a moment more for any later write. */
  static Map<String, JsonNode> await(Rig rig, String ns, int count) throws Exception {
    Awaitility.await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(300))
        .ignoreExceptions()
        .until(() -> of(rig, ns).size() >= count);
    // settled: nothing else arrives a moment later
    Awaitility.await().pollDelay(Duration.ofSeconds(2)).until(() -> true);
    return of(rig, ns);
  }

  private static JsonNode compared(JsonNode o) {
    ObjectNode c = o.deepCopy();
    c.remove("status");
    ObjectNode meta = (ObjectNode) c.path("metadata");
    for (String f : List.of("uid", "resourceVersion", "creationTimestamp", "generation")) {
      meta.remove(f);
    }
    ArrayNode fields = JSON.createArrayNode();
    for (JsonNode m : o.at("/metadata/managedFields")) {
      ObjectNode e = m.deepCopy();
      e.remove("time");
      fields.add(e);
    }
    meta.set("managedFields", fields);
    JsonNode spec = c.path("spec");
    if (spec instanceof ObjectNode s && "Service".equals(c.path("kind").asText())) {
      s.remove(List.of("clusterIP", "clusterIPs"));
      for (JsonNode p : s.path("ports")) {
        ((ObjectNode) p).remove("nodePort");
      }
    }
    return c;
  }
}

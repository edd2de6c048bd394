package io.jistiod.injector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * What decoding into k8s.io/api's Go Pod and encoding again does to a pod's JSON beyond dropping
 * unknown fields: quantities canonical, zero values of {@code omitempty} numbers and booleans
 * dropped, zero-valued structs ({@code resourceFieldRef.divisor}) present.
 */
final class GoPodTypes {
  private static final List<String> PROBE_NUMBERS =
      List.of(
          "initialDelaySeconds",
          "timeoutSeconds",
          "periodSeconds",
          "successThreshold",
          "failureThreshold");

  private GoPodTypes() {}

  static void apply(JsonNode pod) {
    JsonNode spec = pod.path("spec");
    for (String field : List.of("containers", "initContainers", "ephemeralContainers")) {
      for (JsonNode c : spec.path(field)) {
        if (c instanceof ObjectNode o) {
          container(o);
        }
      }
    }
    for (JsonNode v : spec.path("volumes")) {
      if (v.path("emptyDir").get("sizeLimit") != null) {
        quantity((ObjectNode) v.get("emptyDir"), "sizeLimit");
      }
      for (JsonNode item : v.path("downwardAPI").path("items")) {
        divisor(item.get("resourceFieldRef"));
      }
      for (JsonNode source : v.path("projected").path("sources")) {
        for (JsonNode item : source.path("downwardAPI").path("items")) {
          divisor(item.get("resourceFieldRef"));
        }
      }
    }
    if (spec.get("overhead") instanceof ObjectNode overhead) {
      quantities(overhead);
    }
  }

  private static void container(ObjectNode c) {
    if (c.get("resources") instanceof ObjectNode r) {
      for (String f : List.of("limits", "requests")) {
        if (r.get(f) instanceof ObjectNode q) {
          quantities(q);
        }
      }
    }
    for (JsonNode e : c.path("env")) {
      if (e instanceof ObjectNode o) {
        // Go's EnvVar has these three fields only: istiod's grpc-agent template can append a
        // volume mount to env, whose mountPath/readOnly decoding into the Go type drops
        o.retain("name", "value", "valueFrom");
      }
      if (e instanceof ObjectNode o
          && o.path("value").isTextual()
          && o.get("value").asText().isEmpty()) {
        o.remove("value"); // omitempty
      }
      divisor(e.path("valueFrom").get("resourceFieldRef"));
    }
    for (String probe : List.of("readinessProbe", "livenessProbe", "startupProbe")) {
      if (c.get(probe) instanceof ObjectNode p) {
        for (String f : PROBE_NUMBERS) {
          if (p.has(f) && p.get(f).isNumber() && p.get(f).asLong() == 0) {
            p.remove(f);
          }
        }
      }
    }
    for (JsonNode port : c.path("ports")) {
      if (port instanceof ObjectNode p
          && p.path("hostPort").isNumber()
          && p.get("hostPort").asLong() == 0) {
        p.remove("hostPort");
      }
    }
    for (JsonNode mount : c.path("volumeMounts")) {
      if (mount instanceof ObjectNode m
          && m.path("readOnly").isBoolean()
          && !m.get("readOnly").asBoolean()) {
        m.remove("readOnly");
      }
    }
  }

  private static void divisor(JsonNode ref) {
    if (ref instanceof ObjectNode r) {
      if (!r.has("divisor") || r.get("divisor").isNull()) {
        r.put("divisor", "0");
      } else {
        quantity(r, "divisor");
      }
    }
  }

  private static void quantities(ObjectNode map) {
    List<String> keys = new java.util.ArrayList<>();
    map.fieldNames().forEachRemaining(keys::add);
    keys.forEach(k -> quantity(map, k));
  }

  private static void quantity(ObjectNode owner, String field) {
    JsonNode v = owner.get(field);
    if (v != null && (v.isTextual() || v.isNumber())) {
      owner.put(field, Quantities.canonical(v.isTextual() ? v.asText() : v.asText()));
    }
  }
}

package io.jistiod.injector.template;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;

/**
 * A fabric8 model as encoding/json marshals the k8s.io/api struct: Go's field order for the types
 * templates marshal (ContainerPort for ISTIO_META_POD_PORTS), unset omitempty fields left out.
 */
final class K8sJson {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** Go field order and which fields are not omitempty, by fabric8 class simple name. */
  private static final Map<String, List<String>> ORDER =
      Map.of("ContainerPort", List.of("name", "hostPort", "!containerPort", "protocol", "hostIP"));

  private K8sJson() {}

  static Object toGoOrdered(Object model) {
    JsonNode n = MAPPER.valueToTree(model);
    List<String> order = ORDER.get(model.getClass().getSimpleName());
    if (order == null || !n.isObject()) {
      return GoJson.ordered(n);
    }
    Map<String, Object> out = new java.util.LinkedHashMap<>();
    for (String f : order) {
      boolean always = f.startsWith("!");
      String name = always ? f.substring(1) : f;
      JsonNode v = n.get(name);
      boolean empty =
          v == null
              || v.isNull()
              || (v.isTextual() && v.asText().isEmpty())
              || (v.isNumber() && v.asDouble() == 0);
      if (always && (v == null || v.isNull())) {
        out.put(name, 0L);
      } else if (always || !empty) {
        out.put(name, GoJson.ordered(v));
      }
    }
    return new GoStruct(out);
  }
}

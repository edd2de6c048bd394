package io.jistiod.injector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Pod as JSON, and the round trip through the typed model that istiod's code makes after every
 * merge (json.Unmarshal into corev1.Pod): fields of the wrong type fail there, empty ones drop.
 */
final class PodJson {
  static final ObjectMapper MAPPER = new ObjectMapper();
  static final String PROXY = "istio-proxy";

  private PodJson() {}

  /** The pod through the typed Pod model and back. */
  static ObjectNode normalize(JsonNode pod) throws InjectionException {
    try {
      ObjectNode out = MAPPER.valueToTree(MAPPER.treeToValue(pod, Pod.class));
      GoPodTypes.apply(out);
      return out;
    } catch (com.fasterxml.jackson.core.JsonProcessingException | IllegalArgumentException e) {
      throw new InjectionException("unmarshal patched pod: " + oneLine(e));
    }
  }

  static Pod typed(JsonNode pod) throws InjectionException {
    try {
      return MAPPER.treeToValue(pod, Pod.class);
    } catch (com.fasterxml.jackson.core.JsonProcessingException | IllegalArgumentException e) {
      throw new InjectionException("could not decode pod: " + oneLine(e));
    }
  }

  static String oneLine(Exception e) {
    String m = e.getMessage() == null ? e.toString() : e.getMessage();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  static ObjectNode object(ObjectNode parent, String field) {
    JsonNode n = parent.get(field);
    if (n instanceof ObjectNode o) {
      return o;
    }
    return parent.putObject(field);
  }

  static ObjectNode spec(ObjectNode pod) {
    return object(pod, "spec");
  }

  static ObjectNode annotations(ObjectNode pod) {
    return object(object(pod, "metadata"), "annotations");
  }

  static ObjectNode labels(ObjectNode pod) {
    return object(object(pod, "metadata"), "labels");
  }

  /** The pod's labels as they are (read only: no labels object is added). */
  static Map<String, String> labelMap(JsonNode pod) {
    Map<String, String> out = new java.util.LinkedHashMap<>();
    pod.path("metadata")
        .path("labels")
        .fields()
        .forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
    return out;
  }

  static String annotation(JsonNode pod, String name) {
    JsonNode v = pod.path("metadata").path("annotations").get(name);
    return v == null || v.isNull() ? null : v.asText();
  }

  /** The containers of list {@code field} ("containers", "initContainers"), in order. */
  static List<ObjectNode> containers(JsonNode pod, String field) {
    List<ObjectNode> out = new ArrayList<>();
    for (JsonNode c : pod.path("spec").path(field)) {
      if (c instanceof ObjectNode o) {
        out.add(o);
      }
    }
    return out;
  }

  static ObjectNode find(String name, List<ObjectNode> containers) {
    for (ObjectNode c : containers) {
      if (name.equals(c.path("name").asText(null))) {
        return c;
      }
    }
    return null;
  }

  /** A container of the pod by name, regular containers first, then init containers. */
  static ObjectNode findInPod(String name, JsonNode pod) {
    ObjectNode c = find(name, containers(pod, "containers"));
    return c != null ? c : find(name, containers(pod, "initContainers"));
  }

  static ArrayNode array(ObjectNode spec, String field) {
    JsonNode n = spec.get(field);
    if (n instanceof ArrayNode a) {
      return a;
    }
    return spec.putArray(field);
  }

  static void setContainers(ObjectNode pod, String field, List<? extends JsonNode> list) {
    ObjectNode spec = spec(pod);
    if (list.isEmpty() && !spec.has(field)) {
      return;
    }
    ArrayNode a = spec.putArray(field);
    list.forEach(a::add);
    if (list.isEmpty() && !field.equals("containers")) {
      spec.remove(field);
    }
  }
}

package io.jistiod.injector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Istio's metrics merging: the pod's {@code prometheus.io/*} annotations move to the proxy's {@code
 * ISTIO_PROMETHEUS_ANNOTATIONS} and are replaced by ones pointing at the agent, which serves the
 * application's and Envoy's metrics together. Annotation names compare as Prometheus sanitizes them
 * ({@code prometheus.io/port} = {@code prometheus-io/port}).
 */
final class PrometheusMerge {
  static final String ENV = "ISTIO_PROMETHEUS_ANNOTATIONS";
  static final String MERGE_ANNOTATION = "prometheus.istio.io/merge-metrics";
  private static final String SCRAPE = "prometheus_io_scrape";
  private static final String PORT = "prometheus_io_port";
  private static final String PATH = "prometheus_io_path";
  private static final Set<String> ALL = Set.of(SCRAPE, PORT, PATH);

  private PrometheusMerge() {}

  static void apply(ObjectNode pod, MeshConfig mesh) {
    ObjectNode annotations = PodJson.annotations(pod);
    if (!scrape(annotations) || !enabled(mesh, annotations)) {
      return;
    }
    String target = Integer.toString(mesh.getDefaultConfig().getStatusPort());
    String current = find(annotations, PORT);
    if (target.equals(current)) {
      return; // already merged: a re-injection
    }
    String scrape = "";
    String path = "";
    String port = "";
    for (var it = annotations.fields(); it.hasNext(); ) {
      var e = it.next();
      switch (sanitize(e.getKey())) {
        case PORT -> port = e.getValue().asText();
        case SCRAPE -> scrape = e.getValue().asText();
        case PATH -> path = e.getValue().asText();
        default -> {}
      }
    }
    ObjectNode sidecar = PodJson.findInPod(PodJson.PROXY, pod);
    if (sidecar != null && !(scrape.isEmpty() && path.isEmpty() && port.isEmpty())) {
      ObjectNode cfg = JsonNodeFactory.instance.objectNode();
      cfg.put("scrape", scrape).put("path", path).put("port", port);
      PodJson.array(sidecar, "env").addObject().put("name", ENV).put("value", cfg.toString());
    }
    clear(annotations);
    annotations.put("prometheus.io/port", target);
    annotations.put("prometheus.io/path", "/stats/prometheus");
    annotations.put("prometheus.io/scrape", "true");
  }

  private static boolean enabled(MeshConfig mesh, JsonNode annotations) {
    JsonNode v = annotations.get(MERGE_ANNOTATION);
    if (v != null) {
      Boolean b = GoBool.parse(v.asText());
      if (b != null) {
        return b;
      }
    }
    return !mesh.hasEnablePrometheusMerge() || mesh.getEnablePrometheusMerge().getValue();
  }

  private static boolean scrape(JsonNode annotations) {
    for (var it = annotations.fields(); it.hasNext(); ) {
      var e = it.next();
      if (sanitize(e.getKey()).equals(SCRAPE)) {
        Boolean b = GoBool.parse(e.getValue().asText());
        if (b != null) {
          return b;
        }
      }
    }
    return true;
  }

  /** The value of the annotation whose sanitized name is {@code sanitized}, or null. */
  static String find(JsonNode annotations, String sanitized) {
    for (var it = annotations.fields(); it.hasNext(); ) {
      var e = it.next();
      if (sanitize(e.getKey()).equals(sanitized)) {
        return e.getValue().asText();
      }
    }
    return null;
  }

  static String port(JsonNode annotations) {
    return find(annotations, PORT);
  }

  static void clear(ObjectNode annotations) {
    List<String> remove = new ArrayList<>();
    annotations
        .fieldNames()
        .forEachRemaining(
            k -> {
              if (ALL.contains(sanitize(k))) {
                remove.add(k);
              }
            });
    annotations.remove(remove);
  }

  /** Prometheus' label-name sanitizing: every character outside [a-zA-Z0-9_] becomes '_'. */
  static String sanitize(String name) {
    StringBuilder sb = new StringBuilder(name.length());
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
      sb.append(ok ? c : '_');
    }
    return sb.toString();
  }
}

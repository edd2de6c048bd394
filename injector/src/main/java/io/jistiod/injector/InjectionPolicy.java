package io.jistiod.injector;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a pod gets a sidecar, as istiod's {@code injectRequired} decides: the webhook's own
 * namespace/object selectors have already chosen the pod, and this is istiod's second look (host
 * network, system namespaces, the {@code sidecar.istio.io/inject} label or annotation, the
 * never/always selectors, and the config's policy).
 */
public final class InjectionPolicy {
  private static final Logger log = LoggerFactory.getLogger(InjectionPolicy.class);

  /** Namespaces istiod never injects into. */
  public static final Set<String> IGNORED_NAMESPACES =
      Set.of("kube-system", "kube-public", "kube-node-lease", "local-path-storage");

  public static final String INJECT = "sidecar.istio.io/inject";

  private InjectionPolicy() {}

  /**
   * @param policy the config's policy ({@code enabled}, {@code disabled}; else nothing is injected)
   * @param metadata the pod's metadata (JSON)
   * @param spec the pod's spec (JSON)
   */
  public static boolean required(
      String policy,
      List<JsonNode> neverInject,
      List<JsonNode> alwaysInject,
      JsonNode metadata,
      JsonNode spec) {
    if (spec.path("hostNetwork").asBoolean(false)) {
      return false;
    }
    String namespace = metadata.path("namespace").asText("");
    if (IGNORED_NAMESPACES.contains(namespace)) {
      return false;
    }
    Map<String, String> labels = strings(metadata.path("labels"));
    String selector = metadata.path("annotations").path(INJECT).asText("");
    if (labels.containsKey(INJECT)) {
      selector = labels.get(INJECT); // the label is the newer API and wins
    }
    boolean useDefault = false;
    boolean inject = false;
    switch (selector) {
      case "true" -> inject = true;
      case "false" -> inject = false;
      case "" -> useDefault = true;
      default -> {
        log.warn(
            "Invalid value for {}: \"{}\". Only 'true' and 'false' are accepted. Falling back to"
                + " default injection policy.",
            INJECT,
            selector);
        useDefault = true;
      }
    }
    if (useDefault && anyMatches(neverInject, labels, "NeverInjectSelector")) {
      inject = false;
      useDefault = false;
    }
    if (useDefault && anyMatches(alwaysInject, labels, "AlwaysInjectSelector")) {
      inject = true;
      useDefault = false;
    }
    return switch (policy) {
      case "disabled" -> !useDefault && inject;
      case "enabled" -> useDefault || inject;
      default -> {
        log.error(
            "Illegal value for autoInject:{}, must be one of [disabled,enabled]. Auto injection"
                + " disabled!",
            policy);
        yield false;
      }
    };
  }

  private static boolean anyMatches(
      List<JsonNode> selectors, Map<String, String> labels, String what) {
    for (JsonNode s : selectors) {
      try {
        if (!LabelSelectors.isEmpty(s) && LabelSelectors.matches(s, labels)) {
          return true;
        }
      } catch (LabelSelectors.InvalidSelector e) {
        log.warn("Invalid selector for {}: {} ({})", what, s, e.getMessage());
      }
    }
    return false;
  }

  static Map<String, String> strings(JsonNode map) {
    Map<String, String> out = new HashMap<>();
    for (var it = map.fields(); it.hasNext(); ) {
      var e = it.next();
      out.put(e.getKey(), e.getValue().isNull() ? "" : e.getValue().asText());
    }
    return out;
  }
}

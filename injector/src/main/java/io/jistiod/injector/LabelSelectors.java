package io.jistiod.injector;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/** A Kubernetes {@code metav1.LabelSelector} (JSON) matched against labels. */
final class LabelSelectors {
  private LabelSelectors() {}

  /** Why a selector cannot be used, as Kubernetes' LabelSelectorAsSelector refuses it. */
  static final class InvalidSelector extends Exception {
    InvalidSelector(String message) {
      super(message);
    }
  }

  /** True when the selector has no requirement at all (matches everything in Kubernetes). */
  static boolean isEmpty(JsonNode selector) {
    return selector == null
        || selector.isNull()
        || (selector.path("matchLabels").size() == 0
            && selector.path("matchExpressions").size() == 0);
  }

  static boolean matches(JsonNode selector, Map<String, String> labels) throws InvalidSelector {
    if (selector == null || selector.isNull()) {
      return true;
    }
    for (var it = selector.path("matchLabels").fields(); it.hasNext(); ) {
      var e = it.next();
      if (!e.getValue().isTextual()) {
        throw new InvalidSelector("matchLabels." + e.getKey() + ": not a string");
      }
      if (!e.getValue().asText().equals(labels.get(e.getKey()))) {
        return false;
      }
    }
    for (JsonNode expr : selector.path("matchExpressions")) {
      String key = expr.path("key").asText("");
      String op = expr.path("operator").asText("");
      Set<String> values = new HashSet<>();
      for (JsonNode v : expr.path("values")) {
        values.add(v.asText());
      }
      if (key.isEmpty()) {
        throw new InvalidSelector("matchExpressions: key must not be empty");
      }
      boolean has = labels.containsKey(key);
      switch (op) {
        case "In" -> {
          requireValues(op, values);
          if (!has || !values.contains(labels.get(key))) {
            return false;
          }
        }
        case "NotIn" -> {
          requireValues(op, values);
          if (has && values.contains(labels.get(key))) {
            return false;
          }
        }
        case "Exists" -> {
          requireNoValues(op, values);
          if (!has) {
            return false;
          }
        }
        case "DoesNotExist" -> {
          requireNoValues(op, values);
          if (has) {
            return false;
          }
        }
        default ->
            throw new InvalidSelector("\"" + op + "\" is not a valid label selector operator");
      }
    }
    return true;
  }

  private static void requireValues(String op, Set<String> values) throws InvalidSelector {
    if (values.isEmpty()) {
      throw new InvalidSelector(
          "for 'in', 'notin' operators, values set can't be empty (" + op + ")");
    }
  }

  private static void requireNoValues(String op, Set<String> values) throws InvalidSelector {
    if (!values.isEmpty()) {
      throw new InvalidSelector(
          "values set must be empty for exists and does not exist (" + op + ")");
    }
  }
}

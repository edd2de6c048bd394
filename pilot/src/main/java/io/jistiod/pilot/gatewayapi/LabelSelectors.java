package io.jistiod.pilot.gatewayapi;

import io.jistiod.galley.api.gateway.v1.LabelSelector;
import io.jistiod.galley.api.gateway.v1.LabelSelectorRequirement;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Kubernetes label selectors ({@code metav1.LabelSelectorAsSelector}): every {@code matchLabels}
 * entry and every expression must hold; an empty selector selects everything.
 */
public final class LabelSelectors {
  private LabelSelectors() {}

  /**
   * The selector as a predicate on labels, or null if it is invalid (an unknown operator, {@code
   * In}/{@code NotIn} without values, {@code Exists}/{@code DoesNotExist} with values), which
   * Kubernetes refuses to evaluate.
   */
  public static Predicate<Map<String, String>> of(LabelSelector selector) {
    for (LabelSelectorRequirement r : selector.getMatchExpressionsList()) {
      boolean valid =
          switch (r.getOperator()) {
            case "In", "NotIn" -> r.getValuesCount() > 0;
            case "Exists", "DoesNotExist" -> r.getValuesCount() == 0;
            default -> false;
          };
      if (!valid) {
        return null;
      }
    }
    return labels -> {
      for (var e : selector.getMatchLabelsMap().entrySet()) {
        if (!e.getValue().equals(labels.get(e.getKey()))) {
          return false;
        }
      }
      for (LabelSelectorRequirement r : selector.getMatchExpressionsList()) {
        String value = labels.get(r.getKey());
        boolean holds =
            switch (r.getOperator()) {
              case "In" -> value != null && r.getValuesList().contains(value);
              case "NotIn" -> value == null || !r.getValuesList().contains(value);
              case "Exists" -> value != null;
              default -> value == null; // DoesNotExist
            };
        if (!holds) {
          return false;
        }
      }
      return true;
    };
  }
}

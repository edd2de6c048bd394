package io.jistiod.pilot.kube;

import io.jistiod.galley.api.mesh.v1alpha1.LabelSelector;
import io.jistiod.galley.api.mesh.v1alpha1.LabelSelectorRequirement;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * MeshConfig {@code discoverySelectors}: the namespaces istiod sees. No selectors: every namespace.
 * Otherwise a namespace is seen when its labels match at least one selector (a selector's
 * matchLabels and matchExpressions must all hold, as Kubernetes label selectors); a namespace whose
 * labels are unknown (not in the informer) is not seen.
 */
public final class DiscoveryNamespaces implements Predicate<String> {
  private final Supplier<MeshConfig> mesh;
  private final Function<String, Map<String, String>> labelsOf;

  /**
   * @param labelsOf a namespace's labels, or null if the namespace is not known
   */
  public DiscoveryNamespaces(
      Supplier<MeshConfig> mesh, Function<String, Map<String, String>> labelsOf) {
    this.mesh = mesh;
    this.labelsOf = labelsOf;
  }

  @Override
  public boolean test(String namespace) {
    List<LabelSelector> selectors = mesh.get().getDiscoverySelectorsList();
    if (selectors.isEmpty()) {
      return true;
    }
    Map<String, String> labels = labelsOf.apply(namespace);
    return labels != null && selects(selectors, labels);
  }

  /** Whether any of {@code selectors} matches {@code labels}. */
  public static boolean selects(List<LabelSelector> selectors, Map<String, String> labels) {
    return selectors.stream().anyMatch(s -> matches(s, labels));
  }

  static boolean matches(LabelSelector s, Map<String, String> labels) {
    for (Map.Entry<String, String> e : s.getMatchLabelsMap().entrySet()) {
      if (!e.getValue().equals(labels.get(e.getKey()))) {
        return false;
      }
    }
    for (LabelSelectorRequirement r : s.getMatchExpressionsList()) {
      String value = labels.get(r.getKey());
      boolean ok =
          switch (r.getOperator()) {
            case "In" -> value != null && r.getValuesList().contains(value);
            case "NotIn" -> value == null || !r.getValuesList().contains(value);
            case "Exists" -> labels.containsKey(r.getKey());
            case "DoesNotExist" -> !labels.containsKey(r.getKey());
            default -> false; // an unknown operator selects nothing, as Kubernetes rejects it
          };
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}

package io.jistiod.galley.analysis;

import io.jistiod.galley.api.networking.v1alpha3.DestinationRule;
import io.jistiod.galley.api.networking.v1alpha3.Subset;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.validation.Deadline;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The subsets DestinationRules define, by host, so that "is subset s of host h defined" is a few
 * map lookups (one per dot of h) instead of a pass over every rule for every destination. Matching
 * is {@link HostNames#covers}: the rule's host equals h, or is a wildcard h falls under.
 */
final class SubsetIndex {
  private final Map<String, Set<String>> byHost = new HashMap<>();

  /** Wildcard rules by suffix ("*.x.com" -> ".x.com", "*" -> ""). */
  private final Map<String, Set<String>> byWildcardSuffix = new HashMap<>();

  /** Wildcards whose suffix does not start with a dot (invalid, rare): checked one by one. */
  private final List<Map.Entry<String, Set<String>>> odd = new ArrayList<>();

  SubsetIndex(List<Config> rules, String domain) {
    for (Config c : rules) {
      Deadline.check();
      DestinationRule dr = c.spec(DestinationRule.class);
      String host = HostNames.resolve(dr.getHost(), c.namespace(), domain);
      Set<String> names = new HashSet<>();
      for (Subset s : dr.getSubsetsList()) {
        names.add(s.getName());
      }
      byHost.computeIfAbsent(host, k -> new HashSet<>()).addAll(names);
      if (host.startsWith("*")) {
        String suffix = host.substring(1);
        if (suffix.isEmpty() || suffix.charAt(0) == '.') {
          byWildcardSuffix.computeIfAbsent(suffix, k -> new HashSet<>()).addAll(names);
        } else {
          odd.add(Map.entry(host, names));
        }
      }
    }
  }

  boolean defined(String host, String subset) {
    if (byHost.getOrDefault(host, Set.of()).contains(subset)) {
      return true;
    }
    for (Map.Entry<String, Set<String>> e : odd) {
      if (e.getValue().contains(subset) && HostNames.covers(e.getKey(), host)) {
        return true;
      }
    }
    // A wildcard rule covers host when its suffix ends host (ends host's own suffix if host is a
    // wildcard): look up every dot suffix of it, and "" for the rule "*".
    String name = host.startsWith("*") ? host.substring(1) : host;
    for (int i = name.indexOf('.'); i >= 0; i = name.indexOf('.', i + 1)) {
      if (byWildcardSuffix.getOrDefault(name.substring(i), Set.of()).contains(subset)) {
        return true;
      }
    }
    return byWildcardSuffix.getOrDefault("", Set.of()).contains(subset);
  }
}

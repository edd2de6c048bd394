package io.jistiod.pilot.push;

import io.jistiod.galley.api.networking.v1alpha3.DestinationRule;
import io.jistiod.galley.api.networking.v1alpha3.Subset;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.push.PushContext.ResolvedDestinationRule;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DestinationRules of one pool of {@link DestinationRuleIndex} (a namespace's local rules, the
 * rules a namespace exports, the root namespace's private rules) by host, several rules for one
 * host consolidated as istiod 1.27 does with its enhanced merge (the default):
 *
 * <ul>
 *   <li>a rule is merged into each rule already there for its host whose exportTo equals its own or
 *       is a non-empty subset of its own; a rule whose exportTo is neither stays apart (and so do
 *       rules whose workload selectors differ);
 *   <li>whether a merged rule is also kept on its own is what the last rule there for its host
 *       said: not if that one has the same exportTo, or both or neither have a selector; so a rule
 *       merged into a selector rule with a narrower exportTo is kept, one merged into a rule
 *       without a selector (even one exported more narrowly) is not;
 *   <li>merging adds the subsets whose names the merged rule does not have yet (a later duplicate
 *       is dropped) and its trafficPolicy if the merged rule has none; everything else (exportTo,
 *       selector, metadata) is the first rule's.
 * </ul>
 *
 * Rules are added in istiod's order (selector rules first, then by creation time, name, namespace),
 * so the first rule of a host wins where rules disagree. Immutable once built.
 */
final class DestinationRuleTable {
  private static final Logger log = LoggerFactory.getLogger(DestinationRuleTable.class);

  /** A (merged) rule and the exportTo it was filed with, as written ({@code .} not resolved). */
  record Entry(ResolvedDestinationRule rule, Set<String> exportTo) {}

  static final DestinationRuleTable EMPTY = new DestinationRuleTable(Map.of(), Map.of());

  private final Map<String, List<Entry>> exact;
  private final Map<String, List<Entry>> wildcard;

  private DestinationRuleTable(Map<String, List<Entry>> exact, Map<String, List<Entry>> wildcard) {
    this.exact = exact;
    this.wildcard = wildcard;
  }

  /**
   * The entries of the host that names {@code hostname} exactly, else of the most specific wildcard
   * that matches it (istiod's MostSpecificHostMatch); null if none.
   */
  List<Entry> mostSpecific(String hostname) {
    String needle = hostname.toLowerCase(Locale.ROOT);
    List<Entry> hit = (needle.startsWith("*") ? wildcard : exact).get(needle);
    if (hit != null) {
      return hit;
    }
    String suffix = needle.startsWith("*") ? needle.substring(1) : needle;
    String best = null;
    for (String w : wildcard.keySet()) {
      if (suffix.endsWith(w.substring(1)) && (best == null || moreSpecific(w, best))) {
        best = w;
      }
    }
    return best == null ? null : wildcard.get(best);
  }

  /** Longer wildcards are more specific; equal lengths are ordered alphabetically. */
  private static boolean moreSpecific(String a, String b) {
    return a.length() != b.length() ? a.length() > b.length() : a.compareTo(b) < 0;
  }

  /** Collects rules in istiod's order, merging as they come; not thread-safe. */
  static final class Builder {
    private final Map<String, List<Merging>> exact = new HashMap<>();
    private final Map<String, List<Merging>> wildcard = new HashMap<>();

    /** Files {@code rule} under its host, merged with the rules there it may merge with. */
    void add(ResolvedDestinationRule rule, Set<String> exportTo) {
      String host = rule.host().toLowerCase(Locale.ROOT);
      List<Merging> rules =
          (host.startsWith("*") ? wildcard : exact).computeIfAbsent(host, h -> new ArrayList<>());
      DestinationRule incoming = rule.spec();
      // whether the rule is also kept on its own: what the last rule it was weighed against said
      boolean alone = true;
      for (Merging m : rules) {
        if (exportTo.equals(m.exportTo)) {
          alone = false;
        } else if (!m.exportTo.isEmpty() && exportTo.containsAll(m.exportTo)) {
          // exported more widely: merged here for those who see both, and kept for the others
          alone = true;
        } else {
          alone = true;
          continue;
        }
        DestinationRule existing = m.first.spec();
        boolean bothSelect = incoming.hasWorkloadSelector() && existing.hasWorkloadSelector();
        boolean neitherSelects = !incoming.hasWorkloadSelector() && !existing.hasWorkloadSelector();
        if (bothSelect
            && !incoming
                .getWorkloadSelector()
                .getMatchLabelsMap()
                .equals(existing.getWorkloadSelector().getMatchLabelsMap())) {
          alone = true;
          continue;
        }
        if (neitherSelects || bothSelect) {
          alone = false;
        }
        m.merge(rule);
      }
      if (alone) {
        rules.add(new Merging(rule, exportTo));
      }
    }

    DestinationRuleTable build() {
      if (exact.isEmpty() && wildcard.isEmpty()) {
        return EMPTY;
      }
      return new DestinationRuleTable(freeze(exact), freeze(wildcard));
    }

    private static Map<String, List<Entry>> freeze(Map<String, List<Merging>> byHost) {
      Map<String, List<Entry>> out = new HashMap<>();
      byHost.forEach((host, rules) -> out.put(host, rules.stream().map(Merging::entry).toList()));
      return Map.copyOf(out);
    }
  }

  /** A rule being merged with the later rules of its host. */
  private static final class Merging {
    private final ResolvedDestinationRule first;
    private final Set<String> exportTo;
    private final List<String> from = new ArrayList<>();
    private final Set<String> subsetNames = new HashSet<>();
    private DestinationRule.Builder merged; // null until a second rule comes

    Merging(ResolvedDestinationRule first, Set<String> exportTo) {
      this.first = first;
      this.exportTo = exportTo;
      this.from.addAll(first.from());
      first.spec().getSubsetsList().forEach(s -> subsetNames.add(s.getName()));
    }

    void merge(ResolvedDestinationRule rule) {
      if (merged == null) {
        merged = first.spec().toBuilder();
      }
      DestinationRule incoming = rule.spec();
      // istiod checks the names the merged rule had before this rule, not those it adds
      Set<String> before = Set.copyOf(subsetNames);
      for (Subset s : incoming.getSubsetsList()) {
        if (before.contains(s.getName())) {
          log.debug(
              "DestinationRule {}: subset {} of host {} is already defined by {}; dropped",
              rule.key(),
              s.getName(),
              rule.host(),
              from);
        } else {
          merged.addSubsets(s);
          subsetNames.add(s.getName());
        }
      }
      if (!merged.hasTrafficPolicy() && incoming.hasTrafficPolicy()) {
        merged.setTrafficPolicy(incoming.getTrafficPolicy());
      }
      from.addAll(rule.from());
    }

    Entry entry() {
      if (merged == null) {
        return new Entry(first, exportTo);
      }
      Config config = new Config(first.config().meta(), merged.build());
      return new Entry(new ResolvedDestinationRule(config, first.host(), from), exportTo);
    }
  }
}

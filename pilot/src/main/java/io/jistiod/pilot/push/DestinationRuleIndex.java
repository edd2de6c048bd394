package io.jistiod.pilot.push;

import io.jistiod.galley.api.networking.v1alpha3.DestinationRule;
import io.jistiod.pilot.model.ExportTo;
import io.jistiod.pilot.push.PushContext.ResolvedDestinationRule;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One push's DestinationRules as istiod's {@code destinationRuleIndex} files them: per namespace
 * the rules that namespace's proxies see ({@code namespaceLocal}), per namespace the rules it
 * exports to others ({@code exportedByNamespace}), and the root namespace's private rules ({@code
 * rootNamespaceLocal}); in each, the rules for one host consolidated ({@link
 * DestinationRuleTable}).
 *
 * <p>A proxy in namespace N asking for a service of namespace S gets the rules of the first of: N's
 * local rules (the root's private ones when N is the root namespace), S's rules exported to N, the
 * root namespace's rules exported to N; in each, an exact host before the most specific wildcard.
 * Of those, outbound, the first whose workload selector (a rule of N) selects the proxy's labels,
 * else the last without a selector; inbound, selectors are ignored. Several rules without a
 * selector remain only where their exportTo differ. A rule with a workloadSelector stays in its own
 * namespace, whatever its exportTo.
 *
 * <p>Depends on DestinationRule config and the mesh config ({@code rootNamespace}, {@code
 * defaultDestinationRuleExportTo}). Immutable; lookups are memoised.
 */
public final class DestinationRuleIndex {
  /** What the index is built from; a change to any other kind leaves it valid. */
  public static final Set<IndexInput> INPUTS =
      Set.of(IndexInput.DESTINATION_RULE, IndexInput.MESH_CONFIG);

  /**
   * istiod's order of rules, which decides which rule's settings win a merge: rules with a
   * workloadSelector first, then the oldest, then by name and namespace.
   */
  static final Comparator<ResolvedDestinationRule> ISTIOD_ORDER =
      Comparator.comparing((ResolvedDestinationRule r) -> !r.spec().hasWorkloadSelector())
          .thenComparing(r -> r.config().meta().creationTimestamp())
          .thenComparing(r -> r.config().name())
          .thenComparing(r -> r.config().namespace());

  private static final Optional<ResolvedDestinationRule> NONE = Optional.empty();
  private static final Candidates NO_CANDIDATES = Candidates.of(List.of());

  private final String rootNamespace;
  private final List<ResolvedDestinationRule> all;
  private final Map<String, DestinationRuleTable> namespaceLocal;
  private final Map<String, DestinationRuleTable> exportedByNamespace;
  private final DestinationRuleTable rootNamespaceLocal;
  private final Map<String, List<ResolvedDestinationRule>> selectingByNamespace;
  private final Map<Lookup, Candidates> resolved = new ConcurrentHashMap<>();

  private record Lookup(String proxyNamespace, String hostname, String serviceNamespace) {}

  /**
   * The rules a proxy namespace may apply to one host, in istiod's order: the last without a
   * selector, and those with one (which a proxy's labels choose among).
   */
  private record Candidates(
      Optional<ResolvedDestinationRule> catchAll, List<ResolvedDestinationRule> selecting) {
    static Candidates of(List<ResolvedDestinationRule> rules) {
      ResolvedDestinationRule catchAll = null;
      List<ResolvedDestinationRule> selecting = new ArrayList<>();
      for (ResolvedDestinationRule r : rules) {
        if (r.spec().hasWorkloadSelector()) {
          selecting.add(r);
        } else {
          catchAll = r;
        }
      }
      return new Candidates(Optional.ofNullable(catchAll), List.copyOf(selecting));
    }
  }

  private DestinationRuleIndex(
      String rootNamespace,
      List<ResolvedDestinationRule> all,
      Map<String, DestinationRuleTable> namespaceLocal,
      Map<String, DestinationRuleTable> exportedByNamespace,
      DestinationRuleTable rootNamespaceLocal,
      Map<String, List<ResolvedDestinationRule>> selectingByNamespace) {
    this.rootNamespace = rootNamespace;
    this.all = all;
    this.namespaceLocal = namespaceLocal;
    this.exportedByNamespace = exportedByNamespace;
    this.rootNamespaceLocal = rootNamespaceLocal;
    this.selectingByNamespace = selectingByNamespace;
  }

  /**
   * The index of {@code rules} (host resolved, namespace/name order).
   *
   * @param meshDefault MeshConfig {@code defaultDestinationRuleExportTo}
   */
  public static DestinationRuleIndex of(
      List<ResolvedDestinationRule> rules, String rootNamespace, List<String> meshDefault) {
    List<ResolvedDestinationRule> ordered = new ArrayList<>(rules);
    ordered.sort(ISTIOD_ORDER);
    // istiod honours only "." in the default: without exportTo a rule is private or public
    boolean privateByDefault = meshDefault.contains(ExportTo.PRIVATE);
    Map<String, DestinationRuleTable.Builder> local = new HashMap<>();
    Map<String, DestinationRuleTable.Builder> exported = new HashMap<>();
    DestinationRuleTable.Builder rootLocal = new DestinationRuleTable.Builder();
    Map<String, List<ResolvedDestinationRule>> selecting = new HashMap<>();
    for (ResolvedDestinationRule dr : ordered) {
      String ns = dr.config().namespace();
      DestinationRule spec = dr.spec();
      // exportTo as written: merging compares the sets as they are ("." is not the namespace's
      // name); a rule with a workloadSelector is for its own namespace's workloads only
      Set<String> exportTo =
          spec.hasWorkloadSelector()
              ? Set.of(ExportTo.PRIVATE)
              : Set.copyOf(spec.getExportToList());
      if (spec.hasWorkloadSelector()) {
        selecting.computeIfAbsent(ns, n -> new ArrayList<>()).add(dr);
      }
      if (exportTo.isEmpty()
          || exportTo.contains(ExportTo.PUBLIC)
          || exportTo.contains(ExportTo.PRIVATE)
          || exportTo.contains(ns)) {
        local.computeIfAbsent(ns, n -> new DestinationRuleTable.Builder()).add(dr, exportTo);
      }
      boolean privateOnly =
          exportTo.isEmpty()
              ? privateByDefault
              : exportTo.size() == 1
                  && (exportTo.contains(ExportTo.PRIVATE) || exportTo.contains(ns));
      if (!privateOnly) {
        exported.computeIfAbsent(ns, n -> new DestinationRuleTable.Builder()).add(dr, exportTo);
      } else if (ns.equals(rootNamespace)) {
        rootLocal.add(dr, exportTo);
      }
    }
    return new DestinationRuleIndex(
        rootNamespace,
        List.copyOf(rules),
        build(local),
        build(exported),
        rootLocal.build(),
        copyOfLists(selecting));
  }

  private static Map<String, DestinationRuleTable> build(
      Map<String, DestinationRuleTable.Builder> builders) {
    Map<String, DestinationRuleTable> out = new HashMap<>();
    builders.forEach((ns, b) -> out.put(ns, b.build()));
    return Map.copyOf(out);
  }

  private static <K, V> Map<K, List<V>> copyOfLists(Map<K, List<V>> m) {
    Map<K, List<V>> out = new HashMap<>();
    m.forEach((k, v) -> out.put(k, List.copyOf(v)));
    return Map.copyOf(out);
  }

  /** Every DestinationRule as written, in namespace/name order. */
  public List<ResolvedDestinationRule> all() {
    return all;
  }

  /**
   * The (merged) rule a proxy in {@code proxyNamespace} with {@code labels} applies to {@code
   * hostname}, a service of {@code serviceNamespace} (empty if the host is no known service), for
   * its outbound traffic ({@code outbound}) or for its inbound clusters.
   */
  public Optional<ResolvedDestinationRule> forProxy(
      String proxyNamespace,
      Map<String, String> labels,
      boolean outbound,
      String hostname,
      String serviceNamespace) {
    if (all.isEmpty()) {
      return NONE;
    }
    Candidates c =
        resolved.computeIfAbsent(
            new Lookup(proxyNamespace, hostname, serviceNamespace), this::lookup);
    if (outbound) {
      for (ResolvedDestinationRule r : c.selecting()) {
        // selector rules are only ever filed for their own namespace; istiod checks it anyway
        if (r.config().namespace().equals(proxyNamespace) && selects(r.spec(), labels)) {
          return Optional.of(r);
        }
      }
    }
    return c.catchAll();
  }

  /**
   * What of a proxy's labels the choice of its rules depends on: the {@code namespace/name} of the
   * rules with a workloadSelector in its namespace that select {@code labels} (empty when none
   * does). Proxies of one namespace with the same answer get the same rule for every host.
   */
  public String selectorsMatching(String namespace, Map<String, String> labels) {
    List<ResolvedDestinationRule> rules = selectingByNamespace.get(namespace);
    if (rules == null) {
      return "";
    }
    StringBuilder out = new StringBuilder();
    for (ResolvedDestinationRule r : rules) {
      if (selects(r.spec(), labels)) {
        out.append(out.isEmpty() ? "" : ",").append(r.key());
      }
    }
    return out.toString();
  }

  private static boolean selects(DestinationRule rule, Map<String, String> labels) {
    return labels.entrySet().containsAll(rule.getWorkloadSelector().getMatchLabelsMap().entrySet());
  }

  private Candidates lookup(Lookup l) {
    DestinationRuleTable own =
        l.proxyNamespace().equals(rootNamespace)
            ? rootNamespaceLocal
            : namespaceLocal.get(l.proxyNamespace());
    if (own != null) {
      // the proxy's own namespace: every rule there is meant for it, whatever it exports; a host
      // found here ends the search even if no rule of it applies to the proxy
      List<DestinationRuleTable.Entry> match = own.mostSpecific(l.hostname());
      if (match != null) {
        return Candidates.of(match.stream().map(DestinationRuleTable.Entry::rule).toList());
      }
    }
    if (!l.serviceNamespace().isEmpty()) {
      List<ResolvedDestinationRule> r =
          exported(l.serviceNamespace(), l.hostname(), l.proxyNamespace());
      if (!r.isEmpty()) {
        return Candidates.of(r);
      }
    }
    List<ResolvedDestinationRule> r = exported(rootNamespace, l.hostname(), l.proxyNamespace());
    return r.isEmpty() ? NO_CANDIDATES : Candidates.of(r);
  }

  /**
   * The rules {@code owner} exports for the host to {@code proxyNamespace}: publicly or by name.
   */
  private List<ResolvedDestinationRule> exported(
      String owner, String hostname, String proxyNamespace) {
    DestinationRuleTable table = exportedByNamespace.get(owner);
    List<DestinationRuleTable.Entry> match = table == null ? null : table.mostSpecific(hostname);
    if (match == null) {
      return List.of();
    }
    List<ResolvedDestinationRule> out = new ArrayList<>(match.size());
    for (DestinationRuleTable.Entry e : match) {
      Set<String> exportTo = e.exportTo();
      if (exportTo.isEmpty()
          || exportTo.contains(ExportTo.PUBLIC)
          || exportTo.contains(proxyNamespace)) {
        out.add(e.rule());
      }
    }
    return out;
  }
}

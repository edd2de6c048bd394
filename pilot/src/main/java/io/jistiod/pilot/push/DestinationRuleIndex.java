package io.jistiod.pilot.push;

import io.jistiod.pilot.model.ExportTo;
import io.jistiod.pilot.push.PushContext.ResolvedDestinationRule;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One push's DestinationRules as istiod's {@code destinationRuleIndex} files them: per namespace
 * the rules that namespace's proxies see ({@code namespaceLocal}), per namespace the rules it
 * exports to others ({@code exportedByNamespace}), and the root namespace's private rules ({@code
 * rootNamespaceLocal}). A proxy in namespace N asking for a service of namespace S gets the rule
 * from the first of: N's local rules (the root's private ones when N is the root namespace), S's
 * exported rules, the root namespace's exported rules; in each, an exact host before the most
 * specific wildcard. Several rules for one host in one place: the first in namespace/name order. A
 * rule with a workloadSelector stays in its own namespace, whatever its exportTo.
 *
 * <p>Depends on DestinationRule config and the mesh config ({@code rootNamespace}, {@code
 * defaultDestinationRuleExportTo}). Immutable; lookups are memoised.
 */
public final class DestinationRuleIndex {
  /** What the index is built from; a change to any other kind leaves it valid. */
  public static final Set<IndexInput> INPUTS =
      Set.of(IndexInput.DESTINATION_RULE, IndexInput.MESH_CONFIG);

  private static final Optional<ResolvedDestinationRule> NONE = Optional.empty();

  private final String rootNamespace;
  private final List<ResolvedDestinationRule> all;
  private final Map<String, HostTable> namespaceLocal;
  private final Map<String, HostTable> exportedByNamespace;
  private final HostTable rootNamespaceLocal;
  private final Map<Lookup, Optional<ResolvedDestinationRule>> resolved = new ConcurrentHashMap<>();

  private record Lookup(String proxyNamespace, String hostname, String serviceNamespace) {}

  /** A rule with the namespaces it is exported to. */
  private record Entry(ResolvedDestinationRule rule, ExportTo exportTo) {}

  private DestinationRuleIndex(
      String rootNamespace,
      List<ResolvedDestinationRule> all,
      Map<String, HostTable> namespaceLocal,
      Map<String, HostTable> exportedByNamespace,
      HostTable rootNamespaceLocal) {
    this.rootNamespace = rootNamespace;
    this.all = all;
    this.namespaceLocal = namespaceLocal;
    this.exportedByNamespace = exportedByNamespace;
    this.rootNamespaceLocal = rootNamespaceLocal;
  }

  /**
   * The index of {@code rules} (host resolved, namespace/name order).
   *
   * @param meshDefault MeshConfig {@code defaultDestinationRuleExportTo}
   */
  public static DestinationRuleIndex of(
      List<ResolvedDestinationRule> rules, String rootNamespace, List<String> meshDefault) {
    Map<String, HostTable> local = new HashMap<>();
    Map<String, HostTable> exported = new HashMap<>();
    HostTable rootLocal = new HostTable();
    for (ResolvedDestinationRule dr : rules) {
      String ns = dr.config().namespace();
      // istiod never exports a rule with a workloadSelector: it is for its namespace's workloads
      ExportTo exportTo =
          dr.spec().hasWorkloadSelector()
              ? ExportTo.OWN_NAMESPACE
              : ExportTo.of(dr.spec().getExportToList(), meshDefault);
      Entry e = new Entry(dr, exportTo);
      if (exportTo.includesOwnNamespace(ns)) {
        local.computeIfAbsent(ns, n -> new HostTable()).add(e);
      }
      if (!exportTo.onlyOwnNamespace(ns)) {
        exported.computeIfAbsent(ns, n -> new HostTable()).add(e);
      } else if (ns.equals(rootNamespace)) {
        rootLocal.add(e);
      }
    }
    return new DestinationRuleIndex(
        rootNamespace, List.copyOf(rules), Map.copyOf(local), Map.copyOf(exported), rootLocal);
  }

  /** Every DestinationRule, in namespace/name order. */
  public List<ResolvedDestinationRule> all() {
    return all;
  }

  /**
   * The rule a proxy in {@code proxyNamespace} applies to {@code hostname}, a service of {@code
   * serviceNamespace} (empty if the host is no known service).
   */
  public Optional<ResolvedDestinationRule> forHost(
      String proxyNamespace, String hostname, String serviceNamespace) {
    if (all.isEmpty()) {
      return NONE;
    }
    return resolved.computeIfAbsent(
        new Lookup(proxyNamespace, hostname, serviceNamespace), this::lookup);
  }

  private Optional<ResolvedDestinationRule> lookup(Lookup l) {
    HostTable own =
        l.proxyNamespace().equals(rootNamespace)
            ? rootNamespaceLocal
            : namespaceLocal.get(l.proxyNamespace());
    if (own != null) {
      // the proxy's own namespace: every rule there is meant for it, whatever it exports
      List<Entry> match = own.mostSpecific(l.hostname());
      if (match != null) {
        return Optional.of(match.get(0).rule());
      }
    }
    if (!l.serviceNamespace().isEmpty()) {
      Optional<ResolvedDestinationRule> r =
          exported(l.serviceNamespace(), l.hostname(), l.proxyNamespace());
      if (r.isPresent()) {
        return r;
      }
    }
    return exported(rootNamespace, l.hostname(), l.proxyNamespace());
  }

  private Optional<ResolvedDestinationRule> exported(
      String owner, String hostname, String proxyNamespace) {
    HostTable table = exportedByNamespace.get(owner);
    List<Entry> match = table == null ? null : table.mostSpecific(hostname);
    if (match == null) {
      return NONE;
    }
    for (Entry e : match) {
      if (e.exportTo().exportedByNameTo(proxyNamespace)) {
        return Optional.of(e.rule());
      }
    }
    return NONE;
  }

  /** Rules by exact host and by wildcard host, each host's rules in namespace/name order. */
  private static final class HostTable {
    private final Map<String, List<Entry>> exact = new HashMap<>();
    private final Map<String, List<Entry>> wildcard = new HashMap<>();

    void add(Entry e) {
      String host = e.rule().host().toLowerCase(Locale.ROOT);
      (host.startsWith("*") ? wildcard : exact)
          .computeIfAbsent(host, h -> new ArrayList<>())
          .add(e);
    }

    /**
     * The rules of the host that names {@code hostname} exactly, else of the most specific wildcard
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
  }
}

package io.jistiod.pilot.security;

import io.jistiod.galley.api.security.v1beta1.PeerAuthentication;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.push.PushContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One push's PeerAuthentications by namespace, in istiod's order (oldest first, then name, then
 * namespace), with what istiod resolves once per push: the mesh-wide mode and each namespace's
 * mode. Built once per push ({@link #of}); a workload's policy is then resolved from two short
 * lists, its namespace's and the root namespace's.
 */
public final class PeerAuthenticationIndex {
  /** istiod's order: creation time, then name, then namespace (ties are common: seconds). */
  static final Comparator<Config> OLDEST_FIRST =
      Comparator.comparing((Config c) -> c.meta().creationTimestamp())
          .thenComparing(Config::name)
          .thenComparing(Config::namespace);

  private final String rootNamespace;
  private final Map<String, List<Config>> byNamespace;
  private final Map<String, MtlsMode> namespaceModes;
  private final MtlsMode meshMode; // null: no mesh-wide policy
  // every endpoint of every cluster asks; workloads share few (namespace, labels) pairs
  private final Map<Map.Entry<String, Map<String, String>>, EffectivePeerAuthentication> resolved =
      new java.util.concurrent.ConcurrentHashMap<>();

  private PeerAuthenticationIndex(String rootNamespace, List<Config> policies) {
    this.rootNamespace = rootNamespace;
    List<Config> sorted = new ArrayList<>(policies);
    sorted.sort(OLDEST_FIRST);
    Map<String, List<Config>> index = new HashMap<>();
    Map<String, PeerAuthentication.MutualTLS.Mode> namespaceWide = new HashMap<>();
    Set<String> seenWide = new HashSet<>();
    MtlsMode mesh = null;
    for (Config c : sorted) {
      PeerAuthentication spec = c.spec(PeerAuthentication.class);
      if (isNamespaceWide(spec)) {
        // one mesh/namespace-wide policy per namespace: the oldest; istiod ignores the others
        if (!seenWide.add(c.namespace())) {
          continue;
        }
        PeerAuthentication.MutualTLS.Mode m = declaredMode(spec);
        if (c.namespace().equals(rootNamespace)) {
          mesh = m == null ? MtlsMode.PERMISSIVE : convert(m);
        } else {
          namespaceWide.put(c.namespace(), m);
        }
      }
      index.computeIfAbsent(c.namespace(), n -> new ArrayList<>()).add(c);
    }
    this.meshMode = mesh;
    MtlsMode inherited = mesh == null ? MtlsMode.PERMISSIVE : mesh;
    Map<String, MtlsMode> modes = new HashMap<>();
    namespaceWide.forEach((ns, m) -> modes.put(ns, m == null ? inherited : convert(m)));
    this.namespaceModes = Map.copyOf(modes);
    index.replaceAll((ns, list) -> List.copyOf(list));
    this.byNamespace = Map.copyOf(index);
  }

  /** The index of {@code push}, built on first use and shared by the push's proxies. */
  public static PeerAuthenticationIndex of(PushContext push) {
    return push.index(
        PeerAuthenticationIndex.class,
        p -> new PeerAuthenticationIndex(p.rootNamespace(), p.security().peerAuthentications()));
  }

  /** An index of {@code policies} alone (tests, analysis). */
  static PeerAuthenticationIndex of(String rootNamespace, List<Config> policies) {
    return new PeerAuthenticationIndex(rootNamespace, policies);
  }

  /**
   * The policy of a workload in {@code namespace} with {@code labels}, merged as istiod's
   * ComposePeerAuthentication does: the oldest policy of each level (mesh: root namespace, no
   * selector; namespace: no selector; workload: a selector that matches, outside the root
   * namespace) and the narrowest level that sets a mode wins; UNSET inherits from the level above;
   * port-level modes come from the workload policy only.
   */
  public EffectivePeerAuthentication forWorkload(String namespace, Map<String, String> labels) {
    if (byNamespace.isEmpty()) {
      return EffectivePeerAuthentication.DEFAULT;
    }
    return resolved.computeIfAbsent(
        Map.entry(namespace, Map.copyOf(labels)), k -> compose(namespace, labels));
  }

  private EffectivePeerAuthentication compose(String namespace, Map<String, String> labels) {
    Config mesh = null;
    Config ns = null;
    Config workload = null;
    List<String> lookups =
        namespace.equals(rootNamespace) ? List.of(namespace) : List.of(namespace, rootNamespace);
    for (String lookup : lookups) {
      for (Config c : byNamespace.getOrDefault(lookup, List.of())) {
        PeerAuthentication spec = c.spec(PeerAuthentication.class);
        if (isNamespaceWide(spec)) {
          if (c.namespace().equals(rootNamespace)) {
            mesh = mesh == null ? c : mesh;
          } else {
            ns = ns == null ? c : ns;
          }
        } else if (!c.namespace().equals(rootNamespace)
            && workload == null
            && selects(spec.getSelector().getMatchLabelsMap(), labels)) {
          workload = c;
        }
      }
    }
    MtlsMode mode = MtlsMode.PERMISSIVE;
    for (Config level : new Config[] {mesh, ns, workload}) {
      PeerAuthentication.MutualTLS.Mode m =
          level == null ? null : declaredMode(level.spec(PeerAuthentication.class));
      if (m != null) {
        mode = convert(m);
      }
    }
    if (workload == null) {
      return new EffectivePeerAuthentication(mode, Map.of());
    }
    Map<Integer, MtlsMode> perPort = new HashMap<>();
    for (var e : workload.spec(PeerAuthentication.class).getPortLevelMtlsMap().entrySet()) {
      PeerAuthentication.MutualTLS.Mode m = modeOf(e.getValue());
      perPort.put(e.getKey(), m == null ? mode : convert(m));
    }
    return new EffectivePeerAuthentication(mode, perPort);
  }

  /**
   * The mode the mesh- and namespace-wide policies give {@code namespace}, as istiod infers a
   * service's mode for auto mTLS (workload policies are not consulted); PERMISSIVE without any.
   */
  public MtlsMode namespaceMode(String namespace) {
    MtlsMode m = namespaceModes.get(namespace);
    if (m != null) {
      return m;
    }
    return meshMode == null ? MtlsMode.PERMISSIVE : meshMode;
  }

  private static boolean isNamespaceWide(PeerAuthentication spec) {
    return !spec.hasSelector() || spec.getSelector().getMatchLabelsCount() == 0;
  }

  /** Every selector label is on the workload with the same value. */
  private static boolean selects(Map<String, String> selector, Map<String, String> labels) {
    for (var e : selector.entrySet()) {
      if (!e.getValue().equals(labels.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  /** The policy's own mode, null when UNSET (inherit). */
  private static PeerAuthentication.MutualTLS.Mode declaredMode(PeerAuthentication spec) {
    return spec.hasMtls() ? modeOf(spec.getMtls()) : null;
  }

  private static PeerAuthentication.MutualTLS.Mode modeOf(PeerAuthentication.MutualTLS mtls) {
    return switch (mtls.getMode()) {
      case DISABLE, PERMISSIVE, STRICT -> mtls.getMode();
      default -> null; // UNSET, or a value this build does not know: inherit, as istiod
    };
  }

  private static MtlsMode convert(PeerAuthentication.MutualTLS.Mode m) {
    return switch (m) {
      case DISABLE -> MtlsMode.DISABLE;
      case STRICT -> MtlsMode.STRICT;
      default -> MtlsMode.PERMISSIVE;
    };
  }
}

package io.jistiod.pilot.push;

import io.jistiod.galley.api.networking.v1alpha3.VirtualService;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.model.ExportTo;
import io.jistiod.pilot.model.Hosts;
import io.jistiod.pilot.push.PushContext.ResolvedVirtualService;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One push's VirtualServices by the gateway they bind to and the namespaces they are exported to,
 * as istiod's {@code virtualServiceIndex}: delegates merged into their roots once, when built, and
 * each VirtualService filed under {@code mesh} (no gateways) or {@code ns/name} gateway names, as
 * public, private to its namespace, or exported to named namespaces.
 *
 * <p>Depends on VirtualService config and the mesh config ({@code defaultVirtualServiceExportTo}).
 * Immutable once built; the per-viewer lists are memoised on first use.
 */
public final class VirtualServiceIndex {
  /** The gateway name of sidecars and proxyless clients: the mesh itself. */
  public static final String MESH = "mesh";

  /** What the index is built from; a change to any other kind leaves it valid. */
  public static final Set<IndexInput> INPUTS =
      Set.of(IndexInput.VIRTUAL_SERVICE, IndexInput.MESH_CONFIG);

  private final List<ResolvedVirtualService> merged;
  private final Map<String, List<ResolvedVirtualService>> publicByGateway;
  private final Map<Viewer, List<ResolvedVirtualService>> privateByViewer;
  private final Map<Viewer, List<ResolvedVirtualService>> exportedByViewer;
  private final Map<Viewer, Visible> visible = new ConcurrentHashMap<>();
  private final boolean matchesSourceLabels;

  /** istiod's order of VirtualServices: the oldest first, then by name and namespace. */
  static final Comparator<ResolvedVirtualService> ISTIOD_ORDER =
      Comparator.comparing((ResolvedVirtualService vs) -> vs.config().meta().creationTimestamp())
          .thenComparing(vs -> vs.config().name())
          .thenComparing(vs -> vs.config().namespace());

  /**
   * The annotation istiod puts on VirtualServices generated from the Gateway API ({@code gateway});
   * see io.jistiod.pilot.networking.RouteSemantics.
   */
  private static final String ROUTE_SEMANTICS = "internal.istio.io/route-semantics";

  /** A namespace looking at a gateway name. */
  private record Viewer(String namespace, String gateway) {}

  private VirtualServiceIndex(
      List<ResolvedVirtualService> merged,
      Map<String, List<ResolvedVirtualService>> publicByGateway,
      Map<Viewer, List<ResolvedVirtualService>> privateByViewer,
      Map<Viewer, List<ResolvedVirtualService>> exportedByViewer) {
    this.merged = merged;
    this.publicByGateway = publicByGateway;
    this.privateByViewer = privateByViewer;
    this.exportedByViewer = exportedByViewer;
    this.matchesSourceLabels = merged.stream().anyMatch(vs -> matchesSourceLabels(vs.spec()));
  }

  /**
   * Whether any VirtualService matches on {@code sourceLabels}: only then do two sidecars of one
   * namespace with the same Sidecar resource but other labels get different routes.
   */
  public boolean matchesSourceLabels() {
    return matchesSourceLabels;
  }

  private static boolean matchesSourceLabels(VirtualService vs) {
    for (var http : vs.getHttpList()) {
      for (var m : http.getMatchList()) {
        if (m.getSourceLabelsCount() > 0) {
          return true;
        }
      }
    }
    for (var tcp : vs.getTcpList()) {
      for (var m : tcp.getMatchList()) {
        if (m.getSourceLabelsCount() > 0) {
          return true;
        }
      }
    }
    for (var tls : vs.getTlsList()) {
      for (var m : tls.getMatchList()) {
        if (m.getSourceLabelsCount() > 0) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * The index of {@code virtualServices} (hosts resolved, in any order).
   *
   * @param meshDefault MeshConfig {@code defaultVirtualServiceExportTo}
   */
  public static VirtualServiceIndex of(
      List<ResolvedVirtualService> virtualServices, String domainSuffix, List<String> meshDefault) {
    // istiod sorts them all (its store's and those generated from the Gateway API or Ingresses)
    // after merging delegates: the first for a host wins it.
    List<ResolvedVirtualService> merged =
        DelegateVirtualServices.merge(virtualServices, domainSuffix, meshDefault).stream()
            .sorted(ISTIOD_ORDER)
            .toList();
    Map<String, List<ResolvedVirtualService>> pub = new HashMap<>();
    Map<Viewer, List<ResolvedVirtualService>> priv = new HashMap<>();
    Map<Viewer, List<ResolvedVirtualService>> exported = new HashMap<>();
    for (ResolvedVirtualService vs : merged) {
      String ns = vs.config().namespace();
      ExportTo exportTo = ExportTo.of(vs.spec().getExportToList(), meshDefault);
      for (String gw : gatewayNames(vs.config())) {
        if (exportTo.isPublic()) {
          pub.computeIfAbsent(gw, g -> new ArrayList<>()).add(vs);
          continue;
        }
        if (exportTo.includesOwnNamespace(ns)) {
          priv.computeIfAbsent(new Viewer(ns, gw), v -> new ArrayList<>()).add(vs);
        }
        for (String other : exportTo.namespaces()) {
          if (!other.equals(ns)) {
            exported.computeIfAbsent(new Viewer(other, gw), v -> new ArrayList<>()).add(vs);
          }
        }
      }
    }
    return new VirtualServiceIndex(merged, pub, priv, exported);
  }

  /**
   * The gateway names a VirtualService binds to: {@code mesh} without gateways, a bare name
   * qualified by the VirtualService's namespace; without duplicates, in declaration order.
   */
  static Set<String> gatewayNames(Config vs) {
    List<String> gateways = vs.spec(VirtualService.class).getGatewaysList();
    if (gateways.isEmpty()) {
      return Set.of(MESH);
    }
    Set<String> out = new LinkedHashSet<>();
    for (String g : gateways) {
      out.add(gatewayName(g, vs.namespace()));
    }
    return out;
  }

  /**
   * A gateway reference of a VirtualService (or of one of its matches) in {@code namespace} as a
   * full name, as istiod resolves it: {@code mesh} and {@code ns/name} as written, {@code ./name}
   * and a bare name in {@code namespace}, the legacy {@code name.ns[.svc.cluster.local]} as {@code
   * ns/name}.
   */
  public static String gatewayName(String reference, String namespace) {
    if (reference.equals(MESH)) {
      return reference;
    }
    int slash = reference.indexOf('/');
    if (slash >= 0) {
      return slash == 1 && reference.charAt(0) == '.'
          ? namespace + reference.substring(slash)
          : reference;
    }
    int dot = reference.indexOf('.');
    if (dot < 0) {
      return namespace + "/" + reference;
    }
    String rest = reference.substring(dot + 1);
    int next = rest.indexOf('.');
    return (next < 0 ? rest : rest.substring(0, next)) + "/" + reference.substring(0, dot);
  }

  /** Whether a list of gateway references (of a VirtualService or a match) includes the mesh. */
  public static boolean includesMesh(Collection<String> gateways) {
    return gateways.isEmpty() || gateways.contains(MESH);
  }

  /**
   * Every VirtualService with delegates merged (delegates themselves left out), in istiod's order
   * ({@link #ISTIOD_ORDER}).
   */
  public List<ResolvedVirtualService> all() {
    return merged;
  }

  /**
   * The VirtualServices bound to {@code gateway} that a proxy in {@code namespace} sees, in
   * istiod's order: those private to its namespace, those exported to it by name, then the public
   * ones; each group in {@link #ISTIOD_ORDER}, except that the Gateway API routes of the viewer's
   * namespace go first (in each group for the mesh, in the public one for a gateway).
   */
  public List<ResolvedVirtualService> forGateway(String namespace, String gateway) {
    return visible(namespace, gateway).list;
  }

  /**
   * The VirtualService routing {@code hostname} for a proxy in {@code namespace} at {@code
   * gateway}: the first of {@link #forGateway} naming it exactly, else the first whose wildcard
   * host matches it.
   */
  public Optional<ResolvedVirtualService> forHost(
      String namespace, String gateway, String hostname) {
    Visible v = visible(namespace, gateway);
    ResolvedVirtualService exact = v.exact.get(hostname.toLowerCase(Locale.ROOT));
    if (exact != null) {
      return Optional.of(exact);
    }
    for (Map.Entry<String, ResolvedVirtualService> w : v.wildcards) {
      if (Hosts.matches(w.getKey(), hostname)) {
        return Optional.of(w.getValue());
      }
    }
    return Optional.empty();
  }

  private Visible visible(String namespace, String gateway) {
    return visible.computeIfAbsent(new Viewer(namespace, gateway), this::collect);
  }

  private Visible collect(Viewer viewer) {
    List<ResolvedVirtualService> out = new ArrayList<>();
    List<ResolvedVirtualService> priv = privateByViewer.getOrDefault(viewer, List.of());
    List<ResolvedVirtualService> exported = exportedByViewer.getOrDefault(viewer, List.of());
    List<ResolvedVirtualService> pub = publicByGateway.getOrDefault(viewer.gateway(), List.of());
    if (viewer.gateway().equals(MESH)) {
      // Sidecars (istiod's SelectVirtualServices): in each list, the Gateway API routes of the
      // viewer's own namespace come first, so a consumer namespace's route (a parentRef to a
      // Service of another namespace) overrides the producer's, and a namespace's HTTPRoute wins
      // over a VirtualService for the same host.
      addOwnGatewayRoutesFirst(out, priv, viewer.namespace());
      addOwnGatewayRoutesFirst(out, exported, viewer.namespace());
    } else {
      // Gateways (istiod's VirtualServicesForGateway): only the public list is reordered.
      out.addAll(priv);
      out.addAll(exported);
    }
    addOwnGatewayRoutesFirst(out, pub, viewer.namespace());
    return new Visible(out);
  }

  private static void addOwnGatewayRoutesFirst(
      List<ResolvedVirtualService> out, List<ResolvedVirtualService> list, String namespace) {
    for (ResolvedVirtualService vs : list) {
      if (ownGatewayRoute(vs, namespace)) {
        out.add(vs);
      }
    }
    for (ResolvedVirtualService vs : list) {
      if (!ownGatewayRoute(vs, namespace)) {
        out.add(vs);
      }
    }
  }

  private static boolean ownGatewayRoute(ResolvedVirtualService vs, String namespace) {
    return vs.config().namespace().equals(namespace)
        && "gateway".equals(vs.config().meta().annotations().get(ROUTE_SEMANTICS));
  }

  /** What one viewer sees at one gateway, with its hosts looked up once. */
  private static final class Visible {
    final List<ResolvedVirtualService> list;
    final Map<String, ResolvedVirtualService> exact = new HashMap<>();
    final List<Map.Entry<String, ResolvedVirtualService>> wildcards = new ArrayList<>();

    Visible(List<ResolvedVirtualService> list) {
      this.list = List.copyOf(list);
      for (ResolvedVirtualService vs : list) {
        for (String h : vs.hosts()) {
          if (h.startsWith("*")) {
            wildcards.add(Map.entry(h, vs));
          } else {
            exact.putIfAbsent(h.toLowerCase(Locale.ROOT), vs);
          }
        }
      }
    }
  }
}

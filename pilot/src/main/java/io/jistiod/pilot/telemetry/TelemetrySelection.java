package io.jistiod.pilot.telemetry;

import io.jistiod.galley.api.telemetry.v1alpha1.AccessLogging;
import io.jistiod.galley.api.telemetry.v1alpha1.Metrics;
import io.jistiod.galley.api.telemetry.v1alpha1.Telemetry;
import io.jistiod.galley.api.telemetry.v1alpha1.Tracing;
import io.jistiod.galley.api.type.v1beta1.PolicyTargetReference;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.model.PolicyAttachment;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which Telemetry resources apply to a proxy, as istiod 1.27 picks them: the first namespace-wide
 * resource (no selector labels, no {@code targetRefs}) of the root namespace, then the first of the
 * proxy's own namespace (unless that is the root namespace), then every resource of the proxy's
 * namespace that selects it (by {@code selector.matchLabels}, or, for a Kubernetes Gateway API
 * gateway, by a {@code targetRefs} Gateway). Later levels override earlier ones when merged. A
 * selector resource in the root namespace applies only to proxies of the root namespace.
 *
 * <p>One per push ({@link #of}): the resources by namespace, and the levels of each (namespace,
 * labels, proxy type) computed once, as every listener of every proxy asks.
 */
public final class TelemetrySelection {
  /**
   * The access logging settings of one applicable Telemetry resource.
   *
   * @param source {@code namespace/name} of the resource (for logs and tests)
   */
  public record Level(String source, List<AccessLogging> logging) {
    public Level {
      logging = List.copyOf(logging);
    }
  }

  private record Key(String namespace, Map<String, String> labels, Proxy.NodeType type) {}

  private final String rootNamespace;
  private final Map<String, List<Config>> byNamespace;
  private final Map<Key, List<Level>> selected = new ConcurrentHashMap<>();
  private final Map<Key, List<Metrics>> metrics = new ConcurrentHashMap<>();
  private final Map<Key, List<Tracing>> tracing = new ConcurrentHashMap<>();

  /**
   * @param telemetries every Telemetry, oldest first
   */
  TelemetrySelection(String rootNamespace, List<Config> telemetries) {
    this.rootNamespace = rootNamespace;
    Map<String, List<Config>> m = new HashMap<>();
    for (Config c : telemetries) {
      m.computeIfAbsent(c.namespace(), n -> new ArrayList<>()).add(c);
    }
    m.replaceAll((ns, list) -> List.copyOf(list));
    this.byNamespace = Map.copyOf(m);
  }

  /** The selection of {@code push}'s Telemetry resources, built on first use. */
  public static TelemetrySelection of(PushContext push) {
    return push.index(
        TelemetrySelection.class, p -> new TelemetrySelection(p.rootNamespace(), p.telemetries()));
  }

  /** Whether the push holds no Telemetry at all (then nothing can apply). */
  public boolean isEmpty() {
    return byNamespace.isEmpty();
  }

  /**
   * The access logging of the resources that apply to {@code proxy}, least specific first; only
   * resources with {@code accessLogging} entries are listed. The same list object for proxies of
   * the same namespace, labels and type within a push.
   */
  public List<Level> accessLogging(Proxy proxy) {
    if (byNamespace.isEmpty()) {
      return List.of();
    }
    Key key = new Key(proxy.configNamespace(), proxy.metadata().labels(), proxy.type());
    List<Level> hit = selected.get(key);
    return hit != null ? hit : selected.computeIfAbsent(key, k -> scan(proxy));
  }

  /**
   * The {@code metrics} entries of the resources that apply to {@code proxy}, least specific first,
   * all in one list (istiod merges them as one ordered list).
   */
  public List<Metrics> metrics(Proxy proxy) {
    if (byNamespace.isEmpty()) {
      return List.of();
    }
    Key key = new Key(proxy.configNamespace(), proxy.metadata().labels(), proxy.type());
    return metrics.computeIfAbsent(
        key,
        k -> {
          List<Metrics> out = new ArrayList<>();
          for (Config c : applicable(proxy)) {
            out.addAll(c.spec(Telemetry.class).getMetricsList());
          }
          return List.copyOf(out);
        });
  }

  /**
   * The {@code tracing} entries of the resources that apply to {@code proxy}, least specific first,
   * all in one list (istiod merges them in that order, each overriding what it sets).
   */
  public List<Tracing> tracing(Proxy proxy) {
    if (byNamespace.isEmpty()) {
      return List.of();
    }
    Key key = new Key(proxy.configNamespace(), proxy.metadata().labels(), proxy.type());
    return tracing.computeIfAbsent(
        key,
        k -> {
          List<Tracing> out = new ArrayList<>();
          for (Config c : applicable(proxy)) {
            out.addAll(c.spec(Telemetry.class).getTracingList());
          }
          return List.copyOf(out);
        });
  }

  private List<Level> scan(Proxy proxy) {
    List<Level> out = new ArrayList<>();
    for (Config c : applicable(proxy)) {
      addLevel(out, c);
    }
    return List.copyOf(out);
  }

  /** The resources that apply to {@code proxy}, least specific first. */
  private List<Config> applicable(Proxy proxy) {
    List<Config> out = new ArrayList<>();
    String namespace = proxy.configNamespace();
    if (!rootNamespace.isEmpty() && namespaceWide(rootNamespace) != null) {
      out.add(namespaceWide(rootNamespace));
    }
    if (!namespace.equals(rootNamespace) && namespaceWide(namespace) != null) {
      out.add(namespaceWide(namespace));
    }
    for (Config c : byNamespace.getOrDefault(namespace, List.of())) {
      Telemetry t = c.spec(Telemetry.class);
      if (isNamespaceWide(t)) {
        continue; // the first was taken above; later ones never apply
      }
      if (attaches(t, c, proxy)) {
        out.add(c);
      }
    }
    return out;
  }

  private static void addLevel(List<Level> out, Config c) {
    if (c == null) {
      return;
    }
    Telemetry t = c.spec(Telemetry.class);
    if (t.getAccessLoggingCount() > 0) {
      out.add(new Level(c.namespace() + "/" + c.name(), t.getAccessLoggingList()));
    }
  }

  private Config namespaceWide(String namespace) {
    for (Config c : byNamespace.getOrDefault(namespace, List.of())) {
      if (isNamespaceWide(c.spec(Telemetry.class))) {
        return c;
      }
    }
    return null;
  }

  private static boolean isNamespaceWide(Telemetry t) {
    return t.getSelector().getMatchLabelsCount() == 0 && targetRefs(t).isEmpty();
  }

  /** istiod's workload policy attachment for a selector or targetRefs resource. */
  private static boolean attaches(Telemetry t, Config c, Proxy proxy) {
    return PolicyAttachment.attaches(
        c.namespace(),
        targetRefs(t),
        t.hasSelector() ? t.getSelector().getMatchLabelsMap() : null,
        proxy.metadata().labels(),
        proxy.configNamespace(),
        proxy.type() == Proxy.NodeType.WAYPOINT);
  }

  private static List<PolicyTargetReference> targetRefs(Telemetry t) {
    if (t.getTargetRefsCount() == 0 && t.hasTargetRef()) {
      return List.of(t.getTargetRef());
    }
    return t.getTargetRefsList();
  }
}

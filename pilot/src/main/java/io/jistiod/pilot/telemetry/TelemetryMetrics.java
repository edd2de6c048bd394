package io.jistiod.pilot.telemetry;

import com.google.protobuf.Duration;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig.ExtensionProvider;
import io.jistiod.galley.api.telemetry.v1alpha1.MetricSelector;
import io.jistiod.galley.api.telemetry.v1alpha1.MetricSelector.IstioMetric;
import io.jistiod.galley.api.telemetry.v1alpha1.Metrics;
import io.jistiod.galley.api.telemetry.v1alpha1.MetricsOverrides;
import io.jistiod.galley.api.telemetry.v1alpha1.ProviderRef;
import io.jistiod.galley.api.telemetry.v1alpha1.WorkloadMode;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Telemetry API's {@code metrics} for one proxy, merged the way istiod 1.27 merges them: the
 * applicable resources' entries in order (root namespace, namespace, workload), each overriding
 * what came before. Providers: the last entry that names some wins, entries naming none inherit the
 * previous ones, and with no entries at all MeshConfig {@code defaultProviders.metrics} applies
 * (empty in istiod's own defaults; Istio's Helm chart sets {@code prometheus}). Overrides are
 * flattened per metric and per mode (client, server); disabling {@code ALL_METRICS} for a mode
 * drops that mode's filter entirely, until a later override for the mode turns it back on.
 */
public final class TelemetryMetrics {
  private TelemetryMetrics() {}

  /** Where a filter sits: decides client (outbound, gateway) or server (inbound) metrics. */
  public enum ListenerClass {
    SIDECAR_INBOUND,
    SIDECAR_OUTBOUND,
    GATEWAY
  }

  /** A change of one tag: removed, or set to a CEL expression. */
  public record TagOverride(String name, boolean remove, String value) {}

  /** One metric's settings, by Telemetry name (REQUEST_COUNT, or a custom metric's name). */
  public record MetricOverride(String name, boolean disabled, List<TagOverride> tags) {
    public MetricOverride {
      tags = List.copyOf(tags);
    }
  }

  /** One mode's (client or server) metrics: all off, or these overrides sorted by name. */
  public record ModeMetrics(boolean disabled, List<MetricOverride> overrides) {
    public ModeMetrics {
      overrides = List.copyOf(overrides);
    }
  }

  /**
   * The merged metrics of one provider.
   *
   * @param reportingInterval the last interval set for it, or null
   */
  public record ProviderMetrics(
      ExtensionProvider provider,
      ModeMetrics client,
      ModeMetrics server,
      Duration reportingInterval) {
    /** The metrics of the mode a listener class reports in. */
    public ModeMetrics forClass(ListenerClass cls) {
      return cls == ListenerClass.SIDECAR_INBOUND ? server : client;
    }
  }

  /** Every Istio metric by Telemetry name, except ALL_METRICS, sorted. */
  static final List<String> ALL_METRICS = allMetrics();

  private static List<String> allMetrics() {
    List<String> out = new ArrayList<>();
    for (IstioMetric m : IstioMetric.values()) {
      if (m != IstioMetric.ALL_METRICS && m != IstioMetric.UNRECOGNIZED) {
        out.add(m.name());
      }
    }
    out.sort(Comparator.naturalOrder());
    return List.copyOf(out);
  }

  /**
   * The merged metrics of {@code proxy}, by provider name (sorted), for the providers MeshConfig
   * knows (others are left out, as istiod does).
   */
  public static List<ProviderMetrics> forProxy(PushContext push, Proxy proxy) {
    // every HCM and TCP chain of every proxy asks: merged once per push for proxies that see the
    // same Telemetry resources (same namespace, labels and type)
    PerPush cache = push.index(PerPush.class, p -> new PerPush(new ConcurrentHashMap<>()));
    return cache
        .merged()
        .computeIfAbsent(
            new Key(proxy.configNamespace(), proxy.metadata().labels(), proxy.type()),
            k -> compute(push, proxy));
  }

  private record Key(String namespace, Map<String, String> labels, Proxy.NodeType type) {}

  private record PerPush(Map<Key, List<ProviderMetrics>> merged) {}

  private static List<ProviderMetrics> compute(PushContext push, Proxy proxy) {
    List<Metrics> entries = TelemetrySelection.of(push).metrics(proxy);
    MeshConfig mesh = push.meshConfig();
    List<ProviderMetrics> out = new ArrayList<>();
    for (Map.Entry<String, Merged> e : merge(entries, mesh).entrySet()) {
      Optional<ExtensionProvider> p = TelemetryProviders.find(mesh, e.getKey());
      p.ifPresent(provider -> out.add(e.getValue().toResult(provider)));
    }
    return List.copyOf(out);
  }

  /** A provider's merged state before its provider definition is looked up. */
  record Merged(ModeMetrics client, ModeMetrics server, Duration reportingInterval) {
    ProviderMetrics toResult(ExtensionProvider p) {
      return new ProviderMetrics(p, client, server, reportingInterval);
    }
  }

  /** One metric's accumulated override within a mode. */
  private static final class Acc {
    Boolean disabled;
    final Map<String, MetricsOverrides.TagOverride> tags = new HashMap<>();
  }

  /** The merge proper, by provider name in name order. */
  static Map<String, Merged> merge(List<Metrics> entries, MeshConfig mesh) {
    List<String> defaults = mesh.getDefaultProviders().getMetricsList();
    // provider -> mode -> metric -> override
    Map<String, Map<WorkloadMode, Map<String, Acc>>> providers = new LinkedHashMap<>();
    if (entries.isEmpty()) {
      for (String d : defaults) {
        providers.put(d, new LinkedHashMap<>());
      }
    }
    // the providers configured at all: the last entry naming any decides
    List<String> inScope = defaults;
    for (Metrics m : entries) {
      List<String> names = names(m);
      if (!names.isEmpty()) {
        inScope = names;
      }
    }
    Set<String> scope = new HashSet<>(inScope);
    List<String> parent = defaults;
    Set<String> allDisabled = new HashSet<>();
    Map<String, Duration> intervals = new HashMap<>();
    for (Metrics m : entries) {
      List<String> names = names(m);
      if (names.isEmpty()) {
        names = parent;
      }
      parent = names;
      for (String provider : names) {
        if (!scope.contains(provider)) {
          continue; // named higher up, replaced lower down
        }
        if (m.hasReportingInterval()) {
          intervals.put(provider, m.getReportingInterval());
        }
        Map<WorkloadMode, Map<String, Acc>> modes =
            providers.computeIfAbsent(
                provider,
                k -> {
                  Map<WorkloadMode, Map<String, Acc>> n = new LinkedHashMap<>();
                  n.put(WorkloadMode.CLIENT, new HashMap<>());
                  n.put(WorkloadMode.SERVER, new HashMap<>());
                  return n;
                });
        for (MetricsOverrides o : m.getOverridesList()) {
          if (isAllMetrics(o.getMatch()) && o.hasDisabled() && o.getDisabled().getValue()) {
            for (WorkloadMode mode : modes(o.getMatch().getMode())) {
              allDisabled.add(provider + "/" + mode);
            }
            continue;
          }
          for (WorkloadMode mode : modes(o.getMatch().getMode())) {
            allDisabled.remove(provider + "/" + mode);
            Map<String, Acc> metrics = modes.computeIfAbsent(mode, k -> new HashMap<>());
            for (String metric : matches(o.getMatch())) {
              Acc acc = metrics.computeIfAbsent(metric, k -> new Acc());
              if (o.hasDisabled()) {
                acc.disabled = o.getDisabled().getValue();
              }
              acc.tags.putAll(o.getTagOverridesMap());
            }
          }
        }
      }
    }
    Map<String, Merged> out = new TreeMap<>();
    for (var e : providers.entrySet()) {
      String provider = e.getKey();
      ModeMetrics client = mode(provider, WorkloadMode.CLIENT, e.getValue(), allDisabled);
      ModeMetrics server = mode(provider, WorkloadMode.SERVER, e.getValue(), allDisabled);
      out.put(provider, new Merged(client, server, intervals.get(provider)));
    }
    return out;
  }

  private static ModeMetrics mode(
      String provider,
      WorkloadMode mode,
      Map<WorkloadMode, Map<String, Acc>> modes,
      Set<String> allDisabled) {
    if (allDisabled.contains(provider + "/" + mode)) {
      return new ModeMetrics(true, List.of());
    }
    List<MetricOverride> overrides = new ArrayList<>();
    for (var m : modes.getOrDefault(mode, Map.of()).entrySet()) {
      List<TagOverride> tags = new ArrayList<>();
      for (var t : new TreeMap<>(m.getValue().tags).entrySet()) {
        boolean remove =
            t.getValue().getOperation() == MetricsOverrides.TagOverride.Operation.REMOVE;
        tags.add(new TagOverride(t.getKey(), remove, remove ? "" : t.getValue().getValue()));
      }
      overrides.add(
          new MetricOverride(m.getKey(), Boolean.TRUE.equals(m.getValue().disabled), tags));
    }
    overrides.sort(Comparator.comparing(MetricOverride::name));
    return new ModeMetrics(false, overrides);
  }

  private static List<String> names(Metrics m) {
    List<String> out = new ArrayList<>();
    for (ProviderRef p : m.getProvidersList()) {
      out.add(p.getName());
    }
    return out;
  }

  private static List<WorkloadMode> modes(WorkloadMode mode) {
    return mode == WorkloadMode.CLIENT || mode == WorkloadMode.SERVER
        ? List.of(mode)
        : List.of(WorkloadMode.CLIENT, WorkloadMode.SERVER);
  }

  private static boolean isAllMetrics(MetricSelector s) {
    return switch (s.getMetricMatchCase()) {
      case CUSTOM_METRIC -> false;
      case METRIC -> s.getMetric() == IstioMetric.ALL_METRICS;
      default -> true;
    };
  }

  private static List<String> matches(MetricSelector s) {
    return switch (s.getMetricMatchCase()) {
      case CUSTOM_METRIC -> List.of(s.getCustomMetric());
      case METRIC ->
          s.getMetric() == IstioMetric.ALL_METRICS ? ALL_METRICS : List.of(s.getMetric().name());
      default -> ALL_METRICS;
    };
  }
}

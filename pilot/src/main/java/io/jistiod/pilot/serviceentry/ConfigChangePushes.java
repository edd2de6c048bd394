package io.jistiod.pilot.serviceentry;

import io.jistiod.galley.api.networking.v1alpha3.ServiceEntry;
import io.jistiod.galley.api.networking.v1alpha3.WorkloadEntry;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.ConfigEvent;
import io.jistiod.galley.config.ConfigStore;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.push.ConfigKey;
import io.jistiod.pilot.push.Kind;
import io.jistiod.pilot.push.PushRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The push a config store event asks for. Most kinds are a full push keyed by the object; a
 * ServiceEntry or WorkloadEntry is judged as istiod's serviceentry controller judges it: a change
 * that leaves the services as they were and only moves endpoints is an endpoints-only push of the
 * affected hosts, except for DNS-resolved entries, whose endpoints are clusters' addresses and so
 * need a full push.
 */
public final class ConfigChangePushes {
  private static final String CONFIG = "config";
  private static final String ENDPOINT = "endpoint";

  private final ConfigStore store;
  private final SelectingServices kubernetesServices;

  /**
   * The hostnames of the Kubernetes Services of a namespace whose selector matches a workload's
   * labels (they take a WorkloadEntry as an endpoint, as in istiod).
   */
  @FunctionalInterface
  public interface SelectingServices {
    SelectingServices NONE = (namespace, labels) -> Set.of();

    Set<String> hostnames(String namespace, Map<String, String> labels);
  }

  /**
   * @param store read for the ServiceEntries that select a changed WorkloadEntry
   */
  public ConfigChangePushes(ConfigStore store) {
    this(store, SelectingServices.NONE);
  }

  /**
   * @param kubernetesServices the Kubernetes Services that select a changed WorkloadEntry
   */
  public ConfigChangePushes(ConfigStore store, SelectingServices kubernetesServices) {
    this.store = Objects.requireNonNull(store, "store");
    this.kubernetesServices = Objects.requireNonNull(kubernetesServices, "kubernetesServices");
  }

  /** The push for {@code event}, or empty if the change cannot affect any proxy. */
  public Optional<PushRequest> pushFor(ConfigEvent event, long nowNanos) {
    var kind = event.key().kind();
    if (kind.equals(IstioKinds.SERVICE_ENTRY)) {
      return Optional.of(serviceEntry(event, nowNanos));
    }
    if (kind.equals(IstioKinds.WORKLOAD_ENTRY)) {
      return workloadEntry(event, nowNanos);
    }
    return Optional.of(PushRequest.full(CONFIG, key(event.key()), nowNanos));
  }

  /**
   * A galley key in istiod's typed form. Only Istio's kinds are named by kind: a Gateway API
   * Gateway shares the name "Gateway" with Istio's, and until its converted Istio config is what
   * the push carries, any change to it may affect any proxy ({@link Kind#UNKNOWN}).
   */
  public static ConfigKey key(io.jistiod.galley.config.ConfigKey key) {
    Kind kind = IstioKinds.ALL.contains(key.kind()) ? Kind.of(key.kind().kind()) : Kind.UNKNOWN;
    return ConfigKey.of(kind, key.namespace(), key.name());
  }

  private static PushRequest serviceEntry(ConfigEvent event, long nowNanos) {
    List<Service> before =
        event.previous() == null ? List.of() : ServiceEntryRegistry.servicesOf(event.previous());
    List<Service> after =
        event.current() == null ? List.of() : ServiceEntryRegistry.servicesOf(event.current());
    Set<ConfigKey> keys = new TreeSet<>();
    String namespace = event.key().namespace();
    before.forEach(s -> keys.add(ConfigKey.service(s.hostname(), namespace)));
    after.forEach(s -> keys.add(ConfigKey.service(s.hostname(), namespace)));
    boolean endpointsOnly =
        event.type() == ConfigEvent.Type.UPDATE
            && before.equals(after)
            && sameTargetPorts(event.previous(), event.current())
            && !dns(event.current());
    return endpointsOnly
        ? PushRequest.incremental(ENDPOINT, keys, nowNanos)
        : PushRequest.full(CONFIG, keys, nowNanos);
  }

  private Optional<PushRequest> workloadEntry(ConfigEvent event, long nowNanos) {
    String namespace = event.key().namespace();
    List<Config> selecting = new ArrayList<>();
    List<Config> entries = store.list(IstioKinds.SERVICE_ENTRY, namespace);
    for (Config c : new Config[] {event.previous(), event.current()}) {
      if (c == null) {
        continue;
      }
      Map<String, String> labels = c.spec(WorkloadEntry.class).getLabelsMap();
      for (Config se : entries) {
        if (selects(se, labels) && !selecting.contains(se)) {
          selecting.add(se);
        }
      }
    }
    Set<ConfigKey> keys = new TreeSet<>();
    // Kubernetes Services whose selector takes the entry: their endpoints move too
    for (Config c : new Config[] {event.previous(), event.current()}) {
      if (c != null) {
        kubernetesServices
            .hostnames(namespace, c.spec(WorkloadEntry.class).getLabelsMap())
            .forEach(h -> keys.add(ConfigKey.service(h, namespace)));
      }
    }
    if (selecting.isEmpty() && keys.isEmpty()) {
      return Optional.empty(); // no service has it as an endpoint: nothing a proxy gets changes
    }
    boolean full = false;
    for (Config se : selecting) {
      full |= dns(se);
      for (String host : se.spec(ServiceEntry.class).getHostsList()) {
        keys.add(ConfigKey.service(host, se.namespace()));
      }
    }
    return Optional.of(
        full
            ? PushRequest.full(CONFIG, keys, nowNanos)
            : PushRequest.incremental(ENDPOINT, keys, nowNanos));
  }

  private static boolean selects(Config serviceEntry, Map<String, String> labels) {
    ServiceEntry se = serviceEntry.spec(ServiceEntry.class);
    return se.hasWorkloadSelector()
        && labels.entrySet().containsAll(se.getWorkloadSelector().getLabelsMap().entrySet());
  }

  /** istiod's isDNSTypeServiceEntry. */
  private static boolean dns(Config serviceEntry) {
    ServiceEntry.Resolution r = serviceEntry.spec(ServiceEntry.class).getResolution();
    return r == ServiceEntry.Resolution.DNS || r == ServiceEntry.Resolution.DNS_ROUND_ROBIN;
  }

  /** A changed targetPort changes clusters and listeners, so istiod pushes in full. */
  private static boolean sameTargetPorts(Config before, Config after) {
    List<Integer> a = new ArrayList<>();
    before.spec(ServiceEntry.class).getPortsList().forEach(p -> a.add(p.getTargetPort()));
    List<Integer> b = new ArrayList<>();
    after.spec(ServiceEntry.class).getPortsList().forEach(p -> b.add(p.getTargetPort()));
    return a.equals(b);
  }
}

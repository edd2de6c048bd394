package io.jistiod.pilot.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.jistiod.pilot.model.Endpoint;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServiceDiscovery;
import io.jistiod.pilot.model.ServicePort;
import io.jistiod.pilot.push.PushRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Services and endpoints from a Kubernetes cluster, through fabric8 informers on Services,
 * EndpointSlices, Pods and Namespaces.
 *
 * <p>The informers' caches are the state; {@link #services()} and {@link #endpoints()} read them
 * when a push context is built, joining EndpointSlices with their Service (by the {@code
 * kubernetes.io/service-name} label and port name) and their Pods (labels, service account).
 *
 * <p>Threads: each informer delivers events on its own thread; events become push requests for the
 * debouncer. A resync that changes nothing (same resource version) is dropped.
 */
public final class KubeServiceRegistry implements ServiceDiscovery, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KubeServiceRegistry.class);
  static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
  static final String LOCALITY_LABEL = "istio-locality";

  private final KubernetesClient client;
  private final String domainSuffix;
  private final String trustDomain;
  private final Consumer<PushRequest> changes;
  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
  private SharedIndexInformer<io.fabric8.kubernetes.api.model.Service> services;
  private SharedIndexInformer<EndpointSlice> slices;
  private SharedIndexInformer<Pod> pods;

  public KubeServiceRegistry(
      KubernetesClient client,
      String domainSuffix,
      String trustDomain,
      Consumer<PushRequest> changes) {
    this.client = Objects.requireNonNull(client, "client");
    this.domainSuffix = domainSuffix;
    this.trustDomain = trustDomain;
    this.changes = changes;
  }

  /** Starts the informers; {@link #hasSynced()} turns true once every initial list is in. */
  public void start() {
    services = client.services().inAnyNamespace().inform(handler("service", "Service"), 0);
    slices =
        client
            .discovery()
            .v1()
            .endpointSlices()
            .inAnyNamespace()
            .inform(handler("endpoint", "EndpointSlice"), 0);
    pods = client.pods().inAnyNamespace().inform(handler("proxy", "Pod"), 0);
    SharedIndexInformer<Namespace> namespaces =
        client.namespaces().inform(handler("namespace", "Namespace"), 0);
    informers.add(services);
    informers.add(slices);
    informers.add(pods);
    informers.add(namespaces);
  }

  public boolean hasSynced() {
    return !informers.isEmpty() && informers.stream().allMatch(SharedIndexInformer::hasSynced);
  }

  /** The pods the informer holds now (a snapshot; empty before {@link #start()}). */
  public List<Pod> pods() {
    return pods == null ? List.of() : List.copyOf(pods.getStore().list());
  }

  @Override
  public List<Service> services() {
    List<Service> out = new ArrayList<>();
    for (var s : services.getStore().list()) {
      try {
        out.add(KubeConversions.service(s, domainSuffix));
      } catch (RuntimeException e) {
        log.warn(
            "Service {}/{} skipped: {}",
            s.getMetadata().getNamespace(),
            s.getMetadata().getName(),
            e.getMessage());
      }
    }
    return out;
  }

  @Override
  public List<Endpoint> endpoints() {
    Map<String, Service> byKey = new HashMap<>();
    for (Service s : services()) {
      byKey.put(s.namespace() + "/" + s.attributes().name(), s);
    }
    Map<String, Pod> podsByKey = new HashMap<>();
    Map<String, Pod> podsByIp = new HashMap<>();
    for (Pod p : pods.getStore().list()) {
      podsByKey.put(p.getMetadata().getNamespace() + "/" + p.getMetadata().getName(), p);
      if (p.getStatus() != null && p.getStatus().getPodIP() != null) {
        podsByIp.put(p.getStatus().getPodIP(), p);
      }
    }
    List<Endpoint> out = new ArrayList<>();
    for (EndpointSlice slice : slices.getStore().list()) {
      if ("FQDN".equals(slice.getAddressType())
          || slice.getEndpoints() == null
          || slice.getPorts() == null) {
        continue;
      }
      String ns = slice.getMetadata().getNamespace();
      Map<String, String> labels = slice.getMetadata().getLabels();
      String serviceName = labels == null ? null : labels.get(SERVICE_NAME_LABEL);
      Service service = serviceName == null ? null : byKey.get(ns + "/" + serviceName);
      if (service == null) {
        continue;
      }
      for (var e : slice.getEndpoints()) {
        boolean ready =
            e.getConditions() == null || !Boolean.FALSE.equals(e.getConditions().getReady());
        Pod pod = null;
        if (e.getTargetRef() != null && "Pod".equals(e.getTargetRef().getKind())) {
          pod = podsByKey.get(ns + "/" + e.getTargetRef().getName());
        }
        for (String address : e.getAddresses()) {
          Pod owner = pod != null ? pod : podsByIp.get(address);
          for (var port : slice.getPorts()) {
            String portName = port.getName() == null ? "" : port.getName();
            ServicePort sp = service.portByName(portName).orElse(null);
            if (sp == null || port.getPort() == null) {
              continue;
            }
            out.add(endpoint(service, sp, address, port.getPort(), ready, owner, e.getZone()));
          }
        }
      }
    }
    return out;
  }

  private Endpoint endpoint(
      Service service,
      ServicePort sp,
      String address,
      int port,
      boolean ready,
      Pod pod,
      String zone) {
    Map<String, String> podLabels =
        pod == null || pod.getMetadata().getLabels() == null
            ? Map.of()
            : pod.getMetadata().getLabels();
    Locality locality =
        podLabels.containsKey(LOCALITY_LABEL)
            ? Locality.parse(podLabels.get(LOCALITY_LABEL))
            : new Locality("", zone == null ? "" : zone, "");
    return new Endpoint(
        service.hostname(),
        sp.port(),
        sp.name(),
        address,
        port,
        podLabels,
        locality,
        1,
        ready,
        pod == null ? "" : KubeConversions.serviceAccount(pod, trustDomain),
        pod == null ? service.namespace() : pod.getMetadata().getNamespace(),
        pod == null ? "" : pod.getMetadata().getName());
  }

  private <T extends HasMetadata> ResourceEventHandler<T> handler(String reason, String kind) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        changed(obj);
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        if (Objects.equals(
            oldObj.getMetadata().getResourceVersion(), newObj.getMetadata().getResourceVersion())) {
          return; // a resync: nothing changed
        }
        changed(newObj);
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {
        changed(obj);
      }

      private void changed(T obj) {
        if ("namespace".equals(reason)) {
          return; // namespace labels matter once discovery selectors and injection arrive
        }
        String key =
            kind + "/" + obj.getMetadata().getNamespace() + "/" + obj.getMetadata().getName();
        if ("endpoint".equals(reason)) {
          // Endpoints only: an incremental push that recomputes EDS alone, as istiod does.
          changes.accept(
              new PushRequest(
                  false, java.util.Set.of(key), java.util.Map.of(reason, 1), System.nanoTime()));
        } else {
          changes.accept(PushRequest.full(reason, key, System.nanoTime()));
        }
      }
    };
  }

  @Override
  public void close() {
    informers.forEach(SharedIndexInformer::stop);
  }
}

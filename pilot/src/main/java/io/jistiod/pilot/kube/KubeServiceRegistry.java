package io.jistiod.pilot.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.jistiod.pilot.model.Endpoint;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServiceDiscovery;
import io.jistiod.pilot.model.ServicePort;
import io.jistiod.pilot.model.WorkloadInstance;
import io.jistiod.pilot.networking.EnvoyEndpoints;
import io.jistiod.pilot.push.ConfigKey;
import io.jistiod.pilot.push.Kind;
import io.jistiod.pilot.push.PushRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Services and endpoints from a Kubernetes cluster, through fabric8 informers on Services,
 * EndpointSlices, Pods, Nodes and Namespaces.
 *
 * <p>The informers' caches are the state; {@link #services()} and {@link #endpoints()} read them
 * when a push context is built, joining EndpointSlices with their Service (by the {@code
 * kubernetes.io/service-name} label and port name) and their Pods (labels, service account,
 * locality).
 *
 * <p>A pod's locality is Istio's: its {@code topology.istio.io/locality} (else {@code
 * istio-locality}) label if set, else the topology labels of the node it runs on ({@code
 * spec.nodeName}): {@code topology.kubernetes.io/region} and {@code zone} (else their {@code
 * failure-domain.beta} forms) and {@code topology.istio.io/subzone}. An endpoint without a pod has
 * no locality; like istiod, the EndpointSlice's own {@code zone} field is not used.
 *
 * <p>Threads: each informer delivers events on its own thread; events become push requests for the
 * debouncer. A resync that changes nothing (same resource version) is dropped.
 */
public final class KubeServiceRegistry implements ServiceDiscovery, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KubeServiceRegistry.class);
  static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
  static final String POD_IP_INDEX = "podIP";

  /** On istiod's namespace: the network of this cluster's workloads (ambient). */
  static final String NETWORK_LABEL = "topology.istio.io/network";

  /** Labels added to every pod endpoint, as Istio's {@code AugmentLabels} does. */
  static final String HOSTNAME_LABEL = "kubernetes.io/hostname";

  private final KubernetesClient client;
  private final String domainSuffix;
  private final String trustDomain;
  private final Consumer<PushRequest> changes;
  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
  private SharedIndexInformer<io.fabric8.kubernetes.api.model.Service> services;
  private SharedIndexInformer<EndpointSlice> slices;
  private SharedIndexInformer<Pod> pods;
  private SharedIndexInformer<Node> nodes;
  private SharedIndexInformer<Namespace> namespaces;
  private volatile java.util.function.Predicate<String> namespaceFilter = ns -> true;
  private volatile WorkloadInstance.Source workloadEntries = WorkloadInstance.Source.NONE;
  private volatile java.util.function.BiConsumer<String, String> events = (type, event) -> {};

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

  /**
   * Told of every informer event as istiod's {@code pilot_k8s_reg_events} counts them: type {@code
   * Services}, {@code EndpointSlice}, {@code Pods} or {@code Nodes}; event {@code add}, {@code
   * update} or {@code delete}; counted as delivered, before anything is filtered. Set before {@link
   * #start()}.
   */
  public void countEventsWith(java.util.function.BiConsumer<String, String> counter) {
    this.events = Objects.requireNonNull(counter, "counter");
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
    pods = client.pods().inAnyNamespace().runnableInformer(0);
    pods.addIndexers(Map.of(POD_IP_INDEX, KubeServiceRegistry::podIps));
    pods.addEventHandler(handler("proxy", "Pod"));
    pods.start();
    nodes = client.nodes().inform(nodeHandler(), 0);
    namespaces = client.namespaces().inform(handler("namespace", "Namespace"), 0);
    informers.add(services);
    informers.add(slices);
    informers.add(pods);
    informers.add(nodes);
    informers.add(namespaces);
  }

  /**
   * Only services (and so endpoints) in namespaces {@code filter} accepts are seen: MeshConfig
   * discoverySelectors ({@link DiscoveryNamespaces}). Asked at every read.
   */
  public void setNamespaceFilter(java.util.function.Predicate<String> filter) {
    this.namespaceFilter = Objects.requireNonNull(filter, "filter");
  }

  /** The labels of {@code namespace}, or null if the informer does not hold it (yet). */
  /**
   * The hostnames of the Services of {@code namespace} whose (non-empty) selector matches {@code
   * labels}: those that take a workload with these labels as an endpoint.
   */
  public Set<String> servicesSelecting(String namespace, Map<String, String> labels) {
    if (services == null || labels.isEmpty()) {
      return Set.of();
    }
    Set<String> out = new java.util.TreeSet<>();
    for (var k : services.getStore().list()) {
      Map<String, String> selector = k.getSpec().getSelector();
      if (namespace.equals(k.getMetadata().getNamespace())
          && selector != null
          && !selector.isEmpty()
          && labels.entrySet().containsAll(selector.entrySet())) {
        out.add(KubeConversions.hostname(k.getMetadata().getName(), namespace, domainSuffix));
      }
    }
    return out;
  }

  /**
   * Where the WorkloadEntries a Service's selector also selects come from (istiod's workload
   * instances of the ServiceEntry registry); none until set.
   */
  public void setWorkloadEntries(WorkloadInstance.Source workloadEntries) {
    this.workloadEntries = Objects.requireNonNull(workloadEntries, "workloadEntries");
  }

  public Map<String, String> namespaceLabels(String namespace) {
    Namespace ns = namespaces == null ? null : namespaces.getStore().getByKey(namespace);
    if (ns == null) {
      return null;
    }
    return ns.getMetadata().getLabels() == null ? Map.of() : ns.getMetadata().getLabels();
  }

  /** Every namespace the informer holds, with its labels (a snapshot). */
  public Map<String, Map<String, String>> namespaceLabels() {
    Map<String, Map<String, String>> out = new java.util.TreeMap<>();
    if (namespaces != null) {
      for (Namespace ns : namespaces.getStore().list()) {
        Map<String, String> labels = ns.getMetadata().getLabels();
        out.put(ns.getMetadata().getName(), labels == null ? Map.of() : Map.copyOf(labels));
      }
    }
    return out;
  }

  public boolean hasSynced() {
    return !informers.isEmpty() && informers.stream().allMatch(SharedIndexInformer::hasSynced);
  }

  /** The pods the informer holds now (a snapshot; empty before {@link #start()}). */
  public List<Pod> pods() {
    return pods == null ? List.of() : List.copyOf(pods.getStore().list());
  }

  /**
   * What the workload API (ambient) is built from: the pods and Services of the discovery
   * namespaces, every node and namespace, and the network of {@code systemNamespace} (its {@code
   * topology.istio.io/network} label). Empty before {@link #start()}.
   */
  public io.jistiod.pilot.ambient.AmbientInputs ambientInputs(String systemNamespace) {
    if (pods == null) {
      return io.jistiod.pilot.ambient.AmbientInputs.EMPTY;
    }
    java.util.function.Predicate<String> selected = namespaceFilter;
    List<Pod> p = new ArrayList<>();
    for (Pod pod : pods.getStore().list()) {
      if (selected.test(pod.getMetadata().getNamespace())) {
        p.add(pod);
      }
    }
    List<io.fabric8.kubernetes.api.model.Service> s = new ArrayList<>();
    for (var svc : services.getStore().list()) {
      if (selected.test(svc.getMetadata().getNamespace())) {
        s.add(svc);
      }
    }
    List<EndpointSlice> es = new ArrayList<>();
    for (EndpointSlice slice : slices.getStore().list()) {
      if (selected.test(slice.getMetadata().getNamespace())) {
        es.add(slice);
      }
    }
    Map<String, String> system = namespaceLabels(systemNamespace);
    String network = system == null ? "" : system.getOrDefault(NETWORK_LABEL, "");
    return new io.jistiod.pilot.ambient.AmbientInputs(
            p, s, nodes.getStore().list(), network, namespaceLabels(), List.of(), List.of())
        .withEndpointSlices(es);
  }

  @Override
  public List<Service> services() {
    List<Service> out = new ArrayList<>();
    java.util.function.Predicate<String> selected = namespaceFilter;
    for (var s : services.getStore().list()) {
      if (!selected.test(s.getMetadata().getNamespace())) {
        continue;
      }
      try {
        out.add(KubeConversions.service(s, domainSuffix, trustDomain));
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
        // istiod: an unready endpoint is shutting down unless it says it is not terminating
        boolean terminating = !ready && !Boolean.FALSE.equals(e.getConditions().getTerminating());
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
            Endpoint ep = endpoint(service, sp, address, port.getPort(), ready, owner);
            out.add(terminating ? ep.asTerminating() : ep);
          }
        }
      }
    }
    out.addAll(workloadEntryEndpoints(byKey));
    return out;
  }

  /**
   * Endpoints of the WorkloadEntries a Service's selector picks (in the Service's namespace), as
   * istiod's Kubernetes registry adds them: for ClusterIP Services with a selector, each port's
   * targetPort; a named targetPort is looked up in the entry's ports (an entry without it is left
   * out), and an entry port named like the Service port overrides a numbered targetPort.
   */
  private List<Endpoint> workloadEntryEndpoints(Map<String, Service> byKey) {
    WorkloadInstance.Source source = workloadEntries;
    List<Endpoint> out = new ArrayList<>();
    for (var k : services.getStore().list()) {
      Service service = byKey.get(k.getMetadata().getNamespace() + "/" + k.getMetadata().getName());
      Map<String, String> selector = k.getSpec().getSelector();
      if (service == null
          || service.resolution() != io.jistiod.pilot.model.Resolution.STATIC
          || selector == null
          || k.getSpec().getPorts() == null) {
        continue;
      }
      List<WorkloadInstance> selected =
          source.inNamespace(service.namespace()).stream()
              .filter(w -> !w.endpoint().labels().isEmpty() && w.endpoint().matches(selector))
              .toList();
      if (selected.isEmpty()) {
        continue;
      }
      for (var p : k.getSpec().getPorts()) {
        String name = p.getName() == null ? "" : p.getName();
        ServicePort sp = service.port(p.getPort()).orElse(null);
        if (sp == null) {
          continue;
        }
        var target = p.getTargetPort();
        boolean named = target != null && target.getStrVal() != null;
        int number =
            target != null && target.getIntVal() != null && target.getIntVal() > 0
                ? target.getIntVal()
                : p.getPort();
        String lookup = named ? target.getStrVal() : name;
        for (WorkloadInstance w : selected) {
          Integer mapped = w.portMap().get(lookup);
          int port;
          if (mapped != null && mapped > 0) {
            port = mapped;
          } else if (named) {
            continue; // the entry does not serve the named port
          } else {
            port = number;
          }
          Endpoint e = w.endpoint();
          out.add(
              new Endpoint(
                  service.hostname(),
                  sp.port(),
                  sp.name(),
                  e.address(),
                  port,
                  e.labels(),
                  e.locality(),
                  e.weight(),
                  e.healthy(),
                  e.serviceAccount(),
                  e.tlsMode(),
                  e.namespace(),
                  e.workloadName(),
                  e.healthKnown()));
        }
      }
    }
    return out;
  }

  /**
   * The ready pods of {@code namespace} as workload instances a ServiceEntry's workloadSelector may
   * select, as istiod's pod cache hands them to the ServiceEntry controller: running (not
   * terminal), with an IP, not being deleted, Ready; outside the discovery namespaces none.
   */
  public List<WorkloadInstance> workloadInstances(String namespace) {
    if (pods == null || !namespaceFilter.test(namespace)) {
      return List.of();
    }
    List<WorkloadInstance> out = new ArrayList<>();
    for (Pod p : pods.getStore().list()) {
      if (!namespace.equals(p.getMetadata().getNamespace()) || !inEndpoints(p)) {
        continue;
      }
      String ip = p.getStatus().getPodIP();
      out.add(new WorkloadInstance(endpoint("", 0, "", namespace, ip, 0, true, p), namedPorts(p)));
    }
    out.sort(java.util.Comparator.comparing(w -> w.endpoint().workloadName()));
    return out;
  }

  private static boolean inEndpoints(Pod p) {
    var status = p.getStatus();
    if (status == null
        || status.getPodIP() == null
        || status.getPodIP().isEmpty()
        || "Succeeded".equals(status.getPhase())
        || "Failed".equals(status.getPhase())
        || p.getMetadata().getDeletionTimestamp() != null
        || status.getConditions() == null) {
      return false;
    }
    return status.getConditions().stream()
        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  /** The pod's named TCP container ports; the first of a name wins, as in Kubernetes. */
  private static Map<String, Integer> namedPorts(Pod p) {
    Map<String, Integer> out = new HashMap<>();
    if (p.getSpec() == null || p.getSpec().getContainers() == null) {
      return out;
    }
    for (var c : p.getSpec().getContainers()) {
      if (c.getPorts() == null) {
        continue;
      }
      for (var port : c.getPorts()) {
        String protocol = port.getProtocol() == null ? "TCP" : port.getProtocol();
        if (port.getName() != null
            && !port.getName().isEmpty()
            && protocol.equals("TCP")
            && port.getContainerPort() != null) {
          out.putIfAbsent(port.getName(), port.getContainerPort());
        }
      }
    }
    return out;
  }

  private Endpoint endpoint(
      Service service, ServicePort sp, String address, int port, boolean ready, Pod pod) {
    return endpoint(
        service.hostname(), sp.port(), sp.name(), service.namespace(), address, port, ready, pod);
  }

  private Endpoint endpoint(
      String hostname,
      int servicePort,
      String servicePortName,
      String serviceNamespace,
      String address,
      int port,
      boolean ready,
      Pod pod) {
    Map<String, String> podLabels =
        pod == null || pod.getMetadata().getLabels() == null
            ? Map.of()
            : pod.getMetadata().getLabels();
    Locality locality = pod == null ? Locality.UNKNOWN : podLocality(pod);
    return new Endpoint(
        hostname,
        servicePort,
        servicePortName,
        address,
        port,
        pod == null ? podLabels : topologyLabels(podLabels, locality, nodeName(pod)),
        locality,
        1,
        ready,
        pod == null ? "" : KubeConversions.serviceAccount(pod, trustDomain),
        // istiod: the pod's security.istio.io/tlsMode label as it is, "disabled" without one
        podLabels.getOrDefault(EnvoyEndpoints.TLS_MODE_LABEL, "disabled"),
        pod == null ? serviceNamespace : pod.getMetadata().getNamespace(),
        pod == null ? "" : pod.getMetadata().getName(),
        true);
  }

  /**
   * The locality of the proxy's pod, if it is known: the pod named by the proxy id ({@code
   * NAME.NAMESPACE}), else the pod with the proxy's first IP (host-network pods share the node's
   * IP, so they are not matched by IP).
   */
  @Override
  public Optional<Locality> workloadLocality(Proxy proxy) {
    if (pods == null) {
      return Optional.empty();
    }
    Pod pod = podOf(proxy);
    if (pod == null) {
      return Optional.empty();
    }
    Locality l = podLocality(pod);
    return l.isUnknown() ? Optional.empty() : Optional.of(l);
  }

  private Pod podOf(Proxy proxy) {
    String[] parts = proxy.id().split("\\.", -1);
    if (parts.length == 2 && parts[1].equals(proxy.configNamespace())) {
      Pod pod = pods.getStore().getByKey(parts[1] + "/" + parts[0]);
      if (pod != null) {
        return pod;
      }
    }
    if (proxy.ipAddresses().isEmpty()) {
      return null;
    }
    for (Pod p : pods.getIndexer().byIndex(POD_IP_INDEX, proxy.ipAddresses().get(0))) {
      if (p.getSpec() == null || !Boolean.TRUE.equals(p.getSpec().getHostNetwork())) {
        return p;
      }
    }
    return null;
  }

  /** The pod's locality label if set, else its node's topology labels, else unknown. */
  Locality podLocality(Pod pod) {
    Map<String, String> labels = pod.getMetadata().getLabels();
    Locality override = labels == null ? null : Locality.fromOverrideLabels(labels);
    if (override != null) {
      return override;
    }
    String nodeName = nodeName(pod);
    if (nodeName.isEmpty() || nodes == null) {
      return Locality.UNKNOWN;
    }
    Node node = nodes.getStore().getByKey(nodeName);
    if (node == null) {
      log.debug("node {} of pod {} is not known", nodeName, pod.getMetadata().getName());
      return Locality.UNKNOWN;
    }
    Map<String, String> nodeLabels = node.getMetadata().getLabels();
    return nodeLabels == null ? Locality.UNKNOWN : Locality.fromNodeLabels(nodeLabels);
  }

  private static String nodeName(Pod pod) {
    return pod.getSpec() == null || pod.getSpec().getNodeName() == null
        ? ""
        : pod.getSpec().getNodeName();
  }

  /** The pod's labels plus the topology labels Istio adds to a pod's endpoints. */
  private static Map<String, String> topologyLabels(
      Map<String, String> podLabels, Locality locality, String nodeName) {
    Map<String, String> out = new HashMap<>(podLabels);
    if (!locality.region().isEmpty()) {
      out.put(Locality.REGION_LABEL, locality.region());
    }
    if (!locality.zone().isEmpty()) {
      out.put(Locality.ZONE_LABEL, locality.zone());
    }
    if (!locality.subzone().isEmpty()) {
      out.put(Locality.SUBZONE_LABEL, locality.subzone());
    }
    if (!nodeName.isEmpty()) {
      out.put(HOSTNAME_LABEL, nodeName);
    }
    return out;
  }

  private static List<String> podIps(Pod pod) {
    if (pod.getStatus() == null) {
      return List.of();
    }
    List<String> ips = new ArrayList<>();
    if (pod.getStatus().getPodIP() != null) {
      ips.add(pod.getStatus().getPodIP());
    }
    if (pod.getStatus().getPodIPs() != null) {
      for (var ip : pod.getStatus().getPodIPs()) {
        if (ip.getIp() != null && !ips.contains(ip.getIp())) {
          ips.add(ip.getIp());
        }
      }
    }
    return ips;
  }

  /**
   * Node events matter only through locality: a node that appears or goes, or whose topology labels
   * change, recomputes endpoints. Status heartbeats, which change nothing here, are dropped.
   */
  private ResourceEventHandler<Node> nodeHandler() {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(Node node) {
        events.accept("Nodes", "add");
        changed(node);
      }

      @Override
      public void onUpdate(Node oldNode, Node newNode) {
        events.accept("Nodes", "update");
        if (!locality(oldNode).equals(locality(newNode))) {
          changed(newNode);
        }
      }

      @Override
      public void onDelete(Node node, boolean deletedFinalStateUnknown) {
        events.accept("Nodes", "delete");
        changed(node);
      }

      private Locality locality(Node node) {
        Map<String, String> labels = node.getMetadata().getLabels();
        return labels == null ? Locality.UNKNOWN : Locality.fromNodeLabels(labels);
      }

      private void changed(Node node) {
        // every endpoint on the node may change locality: an incremental push of all endpoints
        changes.accept(
            PushRequest.incremental(
                "endpoint",
                java.util.Set.of(ConfigKey.of(Kind.NODE, "", node.getMetadata().getName())),
                System.nanoTime()));
      }
    };
  }

  private <T extends HasMetadata> ResourceEventHandler<T> handler(String reason, String kind) {
    // istiod's type label; it does not count namespace events
    String counted =
        switch (kind) {
          case "Service" -> "Services";
          case "Pod" -> "Pods";
          case "EndpointSlice" -> "EndpointSlice";
          default -> null;
        };
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        count("add");
        changed(obj);
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        count("update");
        if (Objects.equals(
            oldObj.getMetadata().getResourceVersion(), newObj.getMetadata().getResourceVersion())) {
          return; // a resync: nothing changed
        }
        if ("namespace".equals(reason)
            && Objects.equals(oldObj.getMetadata().getLabels(), newObj.getMetadata().getLabels())) {
          return; // only labels decide what a namespace changes (discoverySelectors)
        }
        changed(newObj);
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {
        count("delete");
        changed(obj);
      }

      private void count(String event) {
        if (counted != null) {
          events.accept(counted, event);
        }
      }

      private void changed(T obj) {
        // A namespace added, removed or relabelled may enter or leave discoverySelectors: a full
        // push rebuilds the push context with what is seen now, as istiod does.
        ConfigKey key = key(obj);
        if ("endpoint".equals(reason)) {
          // Endpoints only: an incremental push that recomputes EDS alone, as istiod does.
          changes.accept(PushRequest.incremental(reason, Set.of(key), System.nanoTime()));
        } else {
          changes.accept(PushRequest.full(reason, key, System.nanoTime()));
        }
      }

      /**
       * As istiod keys it: a Service and its EndpointSlices by the service's hostname (kind
       * ServiceEntry), anything else by its own kind and name.
       */
      private ConfigKey key(T obj) {
        String ns = obj.getMetadata().getNamespace();
        String name = obj.getMetadata().getName();
        if ("Service".equals(kind)) {
          return ConfigKey.service(KubeConversions.hostname(name, ns, domainSuffix), ns);
        }
        if ("EndpointSlice".equals(kind)) {
          Map<String, String> labels = obj.getMetadata().getLabels();
          String service = labels == null ? null : labels.get(SERVICE_NAME_LABEL);
          if (service != null) {
            return ConfigKey.service(KubeConversions.hostname(service, ns, domainSuffix), ns);
          }
        }
        return ConfigKey.of(Kind.of(kind), ns, name);
      }
    };
  }

  @Override
  public void close() {
    informers.forEach(SharedIndexInformer::stop);
  }
}

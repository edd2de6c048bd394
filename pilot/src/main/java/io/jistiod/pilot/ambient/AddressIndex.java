package io.jistiod.pilot.ambient;

import com.google.protobuf.ByteString;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.api.workload.Address;
import io.jistiod.pilot.api.workload.ApplicationTunnel;
import io.jistiod.pilot.api.workload.GatewayAddress;
import io.jistiod.pilot.api.workload.NetworkAddress;
import io.jistiod.pilot.api.workload.Service;
import io.jistiod.pilot.api.workload.Workload;
import io.jistiod.pilot.xds.XdsResource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every workload and service of the workload API at one moment, immutable, with istiod's lookups:
 * by resource name (a workload's uid, a service's {@code namespace/hostname}), by {@code
 * network/IP}, and a service's workloads. Built from an {@link AmbientInputs} snapshot at every
 * push that may change it; an object whose inputs are the very ones the previous index was built
 * from (the informers hand out the same instance until the object changes) keeps its address
 * without being translated again, and an address equal to the previous one keeps its resource, so
 * digests are computed once however often the index is rebuilt.
 */
public final class AddressIndex {
  private static final Logger log = LoggerFactory.getLogger(AddressIndex.class);

  public static final AddressIndex EMPTY =
      new AddressIndex(Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), Set.of(), Map.of());

  /** The label by which a Service (or its namespace) sends gateway traffic to its waypoint. */
  static final String INGRESS_USE_WAYPOINT = "istio.io/ingress-use-waypoint";

  /**
   * A service's waypoint as sidecars and gateways reach it.
   *
   * @param hostname the waypoint's own service hostname
   * @param hbonePort the waypoint port that takes HBONE (the address's {@code hbone_mtls_port})
   * @param ingressUse whether gateways send the service's traffic to the waypoint ({@code
   *     istio.io/ingress-use-waypoint} on the service, else on its namespace)
   */
  public record ServiceWaypoint(String hostname, int hbonePort, boolean ingressUse) {}

  /** What does not vary per object: a change of any of these translates everything again. */
  private record Context(AmbientSettings settings, String network, String trustDomain) {}

  /**
   * What one Kubernetes object's address was built from, compared by identity (the object, the
   * Services a pod's workload used) and by value (its node's locality, its policies, the context: a
   * node's status changes often, its locality hardly ever).
   */
  private record Sources(
      Object object, List<Object> related, List<Object> values, Context context) {
    boolean same(Sources o) {
      if (object != o.object || related.size() != o.related.size()) {
        return false;
      }
      for (int i = 0; i < related.size(); i++) {
        if (related.get(i) != o.related.get(i)) {
          return false;
        }
      }
      return values.equals(o.values) && context.equals(o.context);
    }
  }

  /** An object's sources and the name of the address it gave, null if none. */
  private record Built(Sources sources, String name) {}

  /** By Kubernetes object ({@code Pod/ns/name}, {@code Service/ns/name}). */
  private final Map<String, Built> built;

  /** By resource name, sorted. */
  private final Map<String, XdsResource> byName;

  private final Map<String, Address> addresses;

  /** {@code network/IP} to the names of the workloads, then the services, with that address. */
  private final Map<String, List<String>> byAddress;

  /** A service's name to the names of the workloads backing it. */
  private final Map<String, List<String>> workloadsByService;

  /** The IPs of the workloads that take HBONE (tunnel protocol HBONE). */
  private final Set<String> hboneIps;

  /** A service's name to its resolved waypoint, for those that have one. */
  private final Map<String, ServiceWaypoint> serviceWaypoints;

  private AddressIndex(
      Map<String, XdsResource> byName,
      Map<String, Address> addresses,
      Map<String, List<String>> byAddress,
      Map<String, List<String>> workloadsByService,
      Map<String, Built> built,
      Set<String> hboneIps,
      Map<String, ServiceWaypoint> serviceWaypoints) {
    this.built = built;
    this.hboneIps = hboneIps;
    this.serviceWaypoints = serviceWaypoints;
    this.byName = byName;
    this.addresses = addresses;
    this.byAddress = byAddress;
    this.workloadsByService = workloadsByService;
  }

  /**
   * The addresses of {@code in}. An object that cannot be translated is logged and left out; the
   * others are served regardless.
   *
   * @param trustDomain the mesh's trust domain
   * @param policies the authorization policies, for each workload's list of those selecting it
   * @param rootNamespace the mesh's root namespace (its policies select in every namespace)
   * @param previous the index in use (or {@link #EMPTY}), whose unchanged resources are reused
   */
  public static AddressIndex build(
      AmbientInputs in,
      AmbientSettings settings,
      String trustDomain,
      ZtunnelPolicies policies,
      String rootNamespace,
      AddressIndex previous) {
    Map<String, Address> all = new TreeMap<>();
    Set<String> reused = new HashSet<>();
    Map<String, Built> built = new HashMap<>();
    Context context = new Context(settings, in.network(), trustDomain);
    Waypoints waypoints = Waypoints.of(in.gateways(), in.gatewayClasses(), in.network());
    Map<String, List<io.fabric8.kubernetes.api.model.Service>> selectorServices = new HashMap<>();
    // istiod's quirk: an object with no labels at all is selected by every Service of its
    // namespace (its label filter is skipped), selector or not
    Map<String, List<io.fabric8.kubernetes.api.model.Service>> servedServices = new HashMap<>();
    // per service name: whether gateways are to send its traffic to its waypoint
    Map<String, Boolean> ingressUse = new HashMap<>();
    for (var s : in.services()) {
      String ns = s.getMetadata().getNamespace();
      try {
        String key = "Service/" + ns + "/" + s.getMetadata().getName();
        Map<String, String> svcLabels =
            s.getMetadata().getLabels() == null ? Map.of() : s.getMetadata().getLabels();
        Waypoints.Waypoint wp = waypoints.forService(ns, svcLabels, in.namespaceLabels());
        GatewayAddress waypoint = wp == null ? null : wp.address();
        Sources from =
            new Sources(s, List.of(), java.util.Collections.singletonList(waypoint), context);
        if (!reuse(previous, key, from, all, reused, built)) {
          Optional<Service> svc = ServiceAddresses.of(s, settings, in.network(), waypoint);
          String name = svc.map(AddressIndex::name).orElse(null);
          svc.ifPresent(v -> all.put(name, Address.newBuilder().setService(v).build()));
          built.put(key, new Built(from, name));
        }
        if (built.get(key).name() != null) {
          servedServices.computeIfAbsent(ns, k -> new ArrayList<>()).add(s);
          ingressUse.put(
              built.get(key).name(), ingressUseWaypoint(svcLabels, in.namespaceLabels().get(ns)));
        }
        Map<String, String> selector = s.getSpec() == null ? null : s.getSpec().getSelector();
        if (selector != null
            && !selector.isEmpty()
            && !"ExternalName".equals(s.getSpec().getType())) {
          selectorServices.computeIfAbsent(ns, k -> new ArrayList<>()).add(s);
        }
      } catch (RuntimeException e) {
        log.warn(
            "Service {}/{}: not served to ztunnel: {}",
            ns,
            s.getMetadata().getName(),
            e.toString());
      }
    }
    // ServiceEntries: a service per host, translated at every build (they are few)
    Map<String, List<EntryAddresses.EntryService>> selectingEntries = new HashMap<>();
    Map<String, List<EntryAddresses.EntryService>> allEntries = new HashMap<>();
    Map<Config, List<EntryAddresses.EntryService>> entryServices = new LinkedHashMap<>();
    for (Config c : in.serviceEntries()) {
      try {
        Waypoints.Waypoint wp =
            waypoints.forService(c.namespace(), EntryAddresses.labels(c), in.namespaceLabels());
        List<EntryAddresses.EntryService> svcs =
            EntryAddresses.services(c, in.network(), wp == null ? null : wp.address());
        entryServices.put(c, svcs);
        for (EntryAddresses.EntryService es : svcs) {
          all.putIfAbsent(es.key(), Address.newBuilder().setService(es.service()).build());
          ingressUse.putIfAbsent(
              es.key(),
              ingressUseWaypoint(
                  EntryAddresses.labels(c), in.namespaceLabels().get(c.namespace())));
          allEntries.computeIfAbsent(c.namespace(), k -> new ArrayList<>()).add(es);
          if (!es.selector().isEmpty()) {
            selectingEntries.computeIfAbsent(c.namespace(), k -> new ArrayList<>()).add(es);
          }
        }
      } catch (RuntimeException e) {
        log.warn(
            "ServiceEntry {}/{}: not served to ztunnel: {}", c.namespace(), c.name(), e.toString());
      }
    }
    for (var e : entryServices.entrySet()) {
      try {
        serviceEntryWorkloads(
            e.getKey(),
            e.getValue(),
            in,
            settings,
            trustDomain,
            policies,
            rootNamespace,
            waypoints,
            all);
      } catch (RuntimeException ex) {
        log.warn(
            "ServiceEntry {}/{}: endpoints not served to ztunnel: {}",
            e.getKey().namespace(),
            e.getKey().name(),
            ex.toString());
      }
    }
    for (Config c : in.workloadEntries()) {
      try {
        io.jistiod.galley.api.networking.v1alpha3.WorkloadEntry spec =
            c.spec(io.jistiod.galley.api.networking.v1alpha3.WorkloadEntry.class);
        Map<String, String> labels = new HashMap<>(spec.getLabelsMap());
        labels.putAll(EntryAddresses.labels(c)); // the metadata's win
        List<io.fabric8.kubernetes.api.model.Service> kube =
            selecting(selectorServices, servedServices, c.namespace(), labels);
        Waypoints.Waypoint instanceOf = waypoints.instanceOf(c.namespace(), labels);
        Waypoints.Waypoint wp =
            instanceOf != null
                ? null
                : waypoints.forWorkload(c.namespace(), labels, in.namespaceLabels());
        Workload w =
            EntryAddresses.workloadEntryWorkload(
                c,
                labels,
                kube,
                labels.isEmpty()
                    ? allEntries.getOrDefault(c.namespace(), List.of())
                    : selected(selectingEntries, c.namespace(), labels),
                new EntryAddresses.Common(
                    settings.clusterId(),
                    settings.domainSuffix(),
                    in.network(),
                    trustDomain,
                    policies.selecting(c.namespace(), labels, rootNamespace),
                    wp == null ? null : wp.address(),
                    instanceOf == null ? null : instanceOf.binding()));
        all.put(w.getUid(), Address.newBuilder().setWorkload(w).build());
      } catch (RuntimeException e) {
        log.warn(
            "WorkloadEntry {}/{}: not served to ztunnel: {}",
            c.namespace(),
            c.name(),
            e.toString());
      }
    }
    Map<String, Node> nodes = new HashMap<>();
    for (Node n : in.nodes()) {
      nodes.put(n.getMetadata().getName(), n);
    }
    for (Pod p : in.pods()) {
      String ns = p.getMetadata().getNamespace();
      try {
        Map<String, String> labels = WorkloadNames.labels(p);
        List<io.fabric8.kubernetes.api.model.Service> selecting =
            selecting(selectorServices, servedServices, ns, labels);
        String nodeName = p.getSpec() == null ? null : p.getSpec().getNodeName();
        Node node = nodeName == null ? null : nodes.get(nodeName);
        List<String> selectingPolicies = policies.selecting(ns, labels, rootNamespace);
        // a waypoint's own pods take its inbound binding; other pods may use a waypoint
        Waypoints.Waypoint instanceOf = waypoints.instanceOf(ns, labels);
        ApplicationTunnel tunnel = instanceOf == null ? null : instanceOf.binding();
        Waypoints.Waypoint wp =
            instanceOf != null ? null : waypoints.forWorkload(ns, labels, in.namespaceLabels());
        GatewayAddress waypoint = wp == null ? null : wp.address();
        List<EntryAddresses.EntryService> entries =
            labels.isEmpty()
                ? allEntries.getOrDefault(ns, List.of())
                : selected(selectingEntries, ns, labels);
        String key = "Pod/" + ns + "/" + p.getMetadata().getName();
        Sources from =
            new Sources(
                p,
                List.copyOf(selecting),
                java.util.Arrays.asList(
                    PodWorkloads.locality(node), selectingPolicies, waypoint, tunnel, entries),
                context);
        if (!reuse(previous, key, from, all, reused, built)) {
          Optional<Workload> w =
              PodWorkloads.of(
                  p,
                  selecting,
                  node,
                  settings,
                  in.network(),
                  trustDomain,
                  selectingPolicies,
                  waypoint,
                  tunnel,
                  entries);
          String name = w.map(Workload::getUid).orElse(null);
          w.ifPresent(v -> all.put(name, Address.newBuilder().setWorkload(v).build()));
          built.put(key, new Built(from, name));
        }
      } catch (RuntimeException e) {
        log.warn(
            "Pod {}/{}: not served to ztunnel: {}", ns, p.getMetadata().getName(), e.toString());
      }
    }
    sliceWorkloads(in, settings, trustDomain, built, all);
    return index(all, reused, built, previous, ingressUse);
  }

  /**
   * The endpoints of EndpointSlices that are not pods (a selector-less Service's, written by hand),
   * each a workload of the Service its slice names, if that Service has an address; translated at
   * every build (they are few).
   */
  private static void sliceWorkloads(
      AmbientInputs in,
      AmbientSettings settings,
      String trustDomain,
      Map<String, Built> built,
      Map<String, Address> all) {
    if (in.endpointSlices().isEmpty()) {
      return;
    }
    Map<String, io.fabric8.kubernetes.api.model.Service> kube = new HashMap<>();
    for (var s : in.services()) {
      kube.put(s.getMetadata().getNamespace() + "/" + s.getMetadata().getName(), s);
    }
    for (var slice : in.endpointSlices()) {
      String ns = slice.getMetadata().getNamespace();
      Map<String, String> labels = slice.getMetadata().getLabels();
      String svcName = labels == null ? null : labels.get(SliceWorkloads.SERVICE_NAME_LABEL);
      if (svcName == null) {
        continue; // not a Service's: an arbitrary bag of addresses
      }
      Built service = built.get("Service/" + ns + "/" + svcName);
      if (service == null || service.name() == null) {
        continue; // no such Service, or one ztunnel does not get (ExternalName)
      }
      try {
        for (Workload w :
            SliceWorkloads.of(
                slice,
                kube.get(ns + "/" + svcName),
                service.name(),
                settings,
                in.network(),
                trustDomain)) {
          all.put(w.getUid(), Address.newBuilder().setWorkload(w).build());
        }
      } catch (RuntimeException e) {
        log.warn(
            "EndpointSlice {}/{}: not served to ztunnel: {}",
            ns,
            slice.getMetadata().getName(),
            e.toString());
      }
    }
  }

  /**
   * istiod's reading of {@code istio.io/ingress-use-waypoint}: the service's label when it has one
   * (only {@code true}, in any case, turns it on), else its namespace's.
   */
  static boolean ingressUseWaypoint(Map<String, String> labels, Map<String, String> nsLabels) {
    String v = labels.get(INGRESS_USE_WAYPOINT);
    if (v == null && nsLabels != null) {
      v = nsLabels.get(INGRESS_USE_WAYPOINT);
    }
    return v != null && v.equalsIgnoreCase("true");
  }

  /**
   * The Kubernetes Services of {@code namespace} whose non-empty selector matches {@code labels};
   * every one of them if there are no labels, as istiod has it.
   */
  private static List<io.fabric8.kubernetes.api.model.Service> selecting(
      Map<String, List<io.fabric8.kubernetes.api.model.Service>> withSelector,
      Map<String, List<io.fabric8.kubernetes.api.model.Service>> served,
      String namespace,
      Map<String, String> labels) {
    if (labels.isEmpty()) {
      return served.getOrDefault(namespace, List.of());
    }
    List<io.fabric8.kubernetes.api.model.Service> out = new ArrayList<>();
    for (var s : withSelector.getOrDefault(namespace, List.of())) {
      if (labels.entrySet().containsAll(s.getSpec().getSelector().entrySet())) {
        out.add(s);
      }
    }
    return out;
  }

  /**
   * The ServiceEntry services of {@code namespace} whose workloadSelector matches {@code labels}.
   */
  private static List<EntryAddresses.EntryService> selected(
      Map<String, List<EntryAddresses.EntryService>> byNamespace,
      String namespace,
      Map<String, String> labels) {
    List<EntryAddresses.EntryService> out = new ArrayList<>();
    for (EntryAddresses.EntryService s : byNamespace.getOrDefault(namespace, List.of())) {
      if (labels.entrySet().containsAll(s.selector().entrySet())) {
        out.add(s);
      }
    }
    return out;
  }

  /**
   * The workloads of a ServiceEntry's endpoints; for a DNS ServiceEntry with neither endpoints nor
   * selector, one per host, reached by its name.
   */
  private static void serviceEntryWorkloads(
      Config c,
      List<EntryAddresses.EntryService> services,
      AmbientInputs in,
      AmbientSettings settings,
      String trustDomain,
      ZtunnelPolicies policies,
      String rootNamespace,
      Waypoints waypoints,
      Map<String, Address> all) {
    var se = c.spec(io.jistiod.galley.api.networking.v1alpha3.ServiceEntry.class);
    List<io.jistiod.galley.api.networking.v1alpha3.WorkloadEntry> endpoints = se.getEndpointsList();
    boolean implicit =
        endpoints.isEmpty()
            && (se.getResolution()
                    == io.jistiod.galley.api.networking.v1alpha3.ServiceEntry.Resolution.DNS
                || se.getResolution()
                    == io.jistiod.galley.api.networking.v1alpha3.ServiceEntry.Resolution
                        .DNS_ROUND_ROBIN)
            && !se.hasWorkloadSelector();
    if (implicit) {
      endpoints = new ArrayList<>();
      for (EntryAddresses.EntryService s : services) {
        endpoints.add(
            io.jistiod.galley.api.networking.v1alpha3.WorkloadEntry.newBuilder()
                .setAddress(s.service().getHostname())
                .build());
      }
    }
    List<String> selecting =
        policies.selecting(c.namespace(), EntryAddresses.labels(c), rootNamespace);
    // as istiod: an endpoint's network carries over to the endpoints after it
    String network = in.network();
    for (int i = 0; i < endpoints.size(); i++) {
      var e = endpoints.get(i);
      GatewayAddress waypoint = null;
      ApplicationTunnel tunnel = null;
      if (!implicit) {
        Waypoints.Waypoint instanceOf = waypoints.instanceOf(c.namespace(), e.getLabelsMap());
        tunnel = instanceOf == null ? null : instanceOf.binding();
        Waypoints.Waypoint wp =
            instanceOf != null
                ? null
                : waypoints.forWorkload(c.namespace(), e.getLabelsMap(), in.namespaceLabels());
        waypoint = wp == null ? null : wp.address();
      }
      if (!e.getNetwork().isEmpty()) {
        network = e.getNetwork();
      }
      Workload w =
          EntryAddresses.serviceEntryWorkload(
              c,
              e,
              implicit ? List.of(services.get(i)) : services,
              new EntryAddresses.Common(
                  settings.clusterId(),
                  settings.domainSuffix(),
                  network,
                  trustDomain,
                  selecting,
                  waypoint,
                  tunnel),
              network);
      all.put(w.getUid(), Address.newBuilder().setWorkload(w).build());
    }
  }

  /**
   * Whether the object {@code key} was built from the very same {@code from} last time: then its
   * address (if any) is taken over as it was, named in {@code reused}.
   */
  private static boolean reuse(
      AddressIndex previous,
      String key,
      Sources from,
      Map<String, Address> all,
      Set<String> reused,
      Map<String, Built> built) {
    Built before = previous.built.get(key);
    if (before == null || !before.sources().same(from)) {
      return false;
    }
    if (before.name() != null) {
      Address a = previous.addresses.get(before.name());
      if (a == null || all.containsKey(before.name())) {
        return false; // another object now gives that name: translate to decide
      }
      all.put(before.name(), a);
      reused.add(before.name());
    }
    built.put(key, before);
    return true;
  }

  /**
   * Indexes {@code all} (name to address): the {@code reused} ones and those equal to the previous
   * index's keep its resources.
   */
  private static AddressIndex index(
      Map<String, Address> all,
      Set<String> reused,
      Map<String, Built> built,
      AddressIndex previous,
      Map<String, Boolean> ingressUse) {
    Map<String, XdsResource> byName = new LinkedHashMap<>();
    Map<String, List<String>> byAddress = new HashMap<>();
    Map<String, List<String>> byService = new HashMap<>();
    List<XdsResource> services = new ArrayList<>();
    for (var e : all.entrySet()) {
      Address a = e.getValue();
      XdsResource old = previous.byName.get(e.getKey());
      XdsResource r =
          old != null
                  && (reused.contains(e.getKey()) || a.equals(previous.addresses.get(e.getKey())))
              ? old
              : new XdsResource(e.getKey(), com.google.protobuf.Any.pack(a), aliases(a));
      byName.put(e.getKey(), r);
      if (a.hasWorkload()) {
        Workload w = a.getWorkload();
        // a resource's aliases are its network/IP keys, formatted once when it was made
        for (String k : r.aliases()) {
          byAddress.computeIfAbsent(k, x -> new ArrayList<>()).add(e.getKey());
        }
        for (String svc : w.getServicesMap().keySet()) {
          byService.computeIfAbsent(svc, k -> new ArrayList<>()).add(e.getKey());
        }
      } else {
        services.add(r);
      }
    }
    // services after workloads: a lookup by IP finds workloads first, as istiod's does
    for (XdsResource r : services) {
      for (String k : r.aliases()) {
        byAddress.computeIfAbsent(k, x -> new ArrayList<>()).add(r.name());
      }
    }
    Set<String> hboneIps = new HashSet<>();
    Map<String, ServiceWaypoint> waypoints = new HashMap<>();
    for (var e : all.entrySet()) {
      Address a = e.getValue();
      if (a.hasWorkload()) {
        if (a.getWorkload().getTunnelProtocol()
            == io.jistiod.pilot.api.workload.TunnelProtocol.HBONE) {
          for (ByteString ip : a.getWorkload().getAddressesList()) {
            hboneIps.add(IpBytes.format(ip));
          }
        }
      } else if (a.getService().hasWaypoint()) {
        ServiceWaypoint wp =
            waypoint(
                a.getService().getWaypoint(),
                byAddress,
                all,
                ingressUse.getOrDefault(e.getKey(), false));
        if (wp != null) {
          waypoints.put(e.getKey(), wp);
        }
      }
    }
    return new AddressIndex(
        Collections.unmodifiableMap(byName),
        Map.copyOf(all),
        freeze(byAddress),
        freeze(byService),
        Map.copyOf(built),
        Set.copyOf(hboneIps),
        Map.copyOf(waypoints));
  }

  /**
   * The waypoint service a service's waypoint address names: directly by hostname, or the service
   * with that VIP; null if no service has it.
   */
  private static ServiceWaypoint waypoint(
      GatewayAddress wp,
      Map<String, List<String>> byAddress,
      Map<String, Address> all,
      boolean ingressUse) {
    if (wp.hasHostname()) {
      return new ServiceWaypoint(wp.getHostname().getHostname(), wp.getHboneMtlsPort(), ingressUse);
    }
    if (!wp.hasAddress()) {
      return null;
    }
    NetworkAddress na = wp.getAddress();
    for (String n : byAddress.getOrDefault(key(na.getNetwork(), na.getAddress()), List.of())) {
      Address a = all.get(n);
      if (a.hasService()) {
        return new ServiceWaypoint(a.getService().getHostname(), wp.getHboneMtlsPort(), ingressUse);
      }
    }
    return null;
  }

  /**
   * Whether the workload with this IP takes HBONE (ztunnel captures it, or it speaks HBONE itself).
   * By IP alone: istiod looks it up on the endpoint's network, which in a single-network cluster is
   * the one every workload here is on.
   */
  public boolean takesHbone(String ip) {
    return hboneIps.contains(ip);
  }

  /** Whether one of {@code hostnames} is the waypoint gateways use for some service. */
  public boolean isIngressWaypoint(Set<String> hostnames) {
    for (ServiceWaypoint w : serviceWaypoints.values()) {
      if (w.ingressUse() && hostnames.contains(w.hostname())) {
        return true;
      }
    }
    return false;
  }

  /** The waypoint of the service {@code namespace/hostname}, if it has one. */
  public Optional<ServiceWaypoint> waypointOf(String namespace, String hostname) {
    return Optional.ofNullable(serviceWaypoints.get(namespace + "/" + hostname));
  }

  private static Map<String, List<String>> freeze(Map<String, List<String>> m) {
    Map<String, List<String>> out = new HashMap<>();
    m.forEach((k, v) -> out.put(k, List.copyOf(v)));
    return Map.copyOf(out);
  }

  static String name(Service s) {
    return s.getNamespace() + "/" + s.getHostname();
  }

  static String key(String network, ByteString ip) {
    return network + "/" + IpBytes.format(ip);
  }

  /** Every resource, in name order. */
  public List<XdsResource> all() {
    return List.copyOf(byName.values());
  }

  public int size() {
    return byName.size();
  }

  /** Every address (workloads and services), in resource name order. */
  public java.util.Collection<Address> addresses() {
    return java.util.Collections.unmodifiableCollection(addresses.values());
  }

  public Address address(String name) {
    return addresses.get(name);
  }

  /**
   * What ztunnel asking for {@code key} gets, as istiod's lookup: the workload with that uid; else
   * the workloads with that {@code network/IP}; else the service of that name or {@code network/IP}
   * and every workload backing it. Empty if none.
   */
  public List<XdsResource> lookup(String key) {
    XdsResource direct = byName.get(key);
    Address a = addresses.get(key);
    if (direct != null && a.hasWorkload()) {
      return List.of(direct);
    }
    List<String> byIp = byAddress.getOrDefault(key, List.of());
    List<XdsResource> workloads = new ArrayList<>();
    String service = direct != null ? key : null;
    for (String n : byIp) {
      if (addresses.get(n).hasWorkload()) {
        workloads.add(byName.get(n));
      } else if (service == null) {
        service = n;
      }
    }
    if (!workloads.isEmpty()) {
      return workloads;
    }
    if (service == null) {
      return List.of();
    }
    List<XdsResource> out = new ArrayList<>();
    out.add(byName.get(service));
    for (String w : workloadsByService.getOrDefault(service, List.of())) {
      out.add(byName.get(w));
    }
    return out;
  }

  /** The {@code network/IP} names a lookup also finds the resource {@code name} by. */
  public List<String> aliases(String name) {
    Address a = addresses.get(name);
    return a == null ? List.of() : aliases(a);
  }

  private static List<String> aliases(Address a) {
    List<String> out = new ArrayList<>();
    if (a.hasWorkload()) {
      for (ByteString ip : a.getWorkload().getAddressesList()) {
        out.add(key(a.getWorkload().getNetwork(), ip));
      }
    } else {
      for (NetworkAddress na : a.getService().getAddressesList()) {
        out.add(key(na.getNetwork(), na.getAddress()));
      }
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AddressIndex other && addresses.equals(other.addresses);
  }

  @Override
  public int hashCode() {
    return Objects.hash(addresses);
  }
}

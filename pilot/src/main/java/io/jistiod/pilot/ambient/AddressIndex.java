package io.jistiod.pilot.ambient;

import com.google.protobuf.ByteString;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.jistiod.pilot.api.workload.Address;
import io.jistiod.pilot.api.workload.NetworkAddress;
import io.jistiod.pilot.api.workload.Service;
import io.jistiod.pilot.api.workload.Workload;
import io.jistiod.pilot.xds.XdsResource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every workload and service of the workload API at one moment, immutable, with istiod's lookups:
 * by resource name (a workload's uid, a service's {@code namespace/hostname}), by {@code
 * network/IP}, and a service's workloads. Built whole from an {@link AmbientInputs} snapshot;
 * resources equal to the previous index's are reused, so their versions (digests) are computed once
 * however often the index is rebuilt.
 */
public final class AddressIndex {
  private static final Logger log = LoggerFactory.getLogger(AddressIndex.class);

  public static final AddressIndex EMPTY = new AddressIndex(Map.of(), Map.of(), Map.of(), Map.of());

  /** By resource name, sorted. */
  private final Map<String, XdsResource> byName;

  private final Map<String, Address> addresses;

  /** {@code network/IP} to the names of the workloads, then the services, with that address. */
  private final Map<String, List<String>> byAddress;

  /** A service's name to the names of the workloads backing it. */
  private final Map<String, List<String>> workloadsByService;

  private AddressIndex(
      Map<String, XdsResource> byName,
      Map<String, Address> addresses,
      Map<String, List<String>> byAddress,
      Map<String, List<String>> workloadsByService) {
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
    Map<String, List<io.fabric8.kubernetes.api.model.Service>> selectorServices = new HashMap<>();
    for (var s : in.services()) {
      String ns = s.getMetadata().getNamespace();
      try {
        ServiceAddresses.of(s, settings, in.network())
            .ifPresent(svc -> all.put(name(svc), Address.newBuilder().setService(svc).build()));
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
    Map<String, Node> nodes = new HashMap<>();
    for (Node n : in.nodes()) {
      nodes.put(n.getMetadata().getName(), n);
    }
    for (Pod p : in.pods()) {
      String ns = p.getMetadata().getNamespace();
      try {
        List<io.fabric8.kubernetes.api.model.Service> selecting = new ArrayList<>();
        Map<String, String> labels = WorkloadNames.labels(p);
        for (var s : selectorServices.getOrDefault(ns, List.of())) {
          if (labels.entrySet().containsAll(s.getSpec().getSelector().entrySet())) {
            selecting.add(s);
          }
        }
        String nodeName = p.getSpec() == null ? null : p.getSpec().getNodeName();
        PodWorkloads.of(
                p,
                selecting,
                nodeName == null ? null : nodes.get(nodeName),
                settings,
                in.network(),
                trustDomain,
                policies.selecting(ns, labels, rootNamespace))
            .ifPresent(w -> all.put(w.getUid(), Address.newBuilder().setWorkload(w).build()));
      } catch (RuntimeException e) {
        log.warn(
            "Pod {}/{}: not served to ztunnel: {}", ns, p.getMetadata().getName(), e.toString());
      }
    }
    return index(all, previous);
  }

  /** Indexes {@code all} (name to address), reusing {@code previous}'s equal resources. */
  static AddressIndex index(Map<String, Address> all, AddressIndex previous) {
    Map<String, XdsResource> byName = new LinkedHashMap<>();
    Map<String, List<String>> byAddress = new HashMap<>();
    Map<String, List<String>> byService = new HashMap<>();
    List<Map.Entry<String, Address>> services = new ArrayList<>();
    for (var e : all.entrySet()) {
      Address a = e.getValue();
      XdsResource old = previous.byName.get(e.getKey());
      byName.put(
          e.getKey(),
          old != null && a.equals(previous.addresses.get(e.getKey()))
              ? old
              : new XdsResource(e.getKey(), com.google.protobuf.Any.pack(a), aliases(a)));
      if (a.hasWorkload()) {
        Workload w = a.getWorkload();
        for (ByteString ip : w.getAddressesList()) {
          byAddress
              .computeIfAbsent(key(w.getNetwork(), ip), k -> new ArrayList<>())
              .add(e.getKey());
        }
        for (String svc : w.getServicesMap().keySet()) {
          byService.computeIfAbsent(svc, k -> new ArrayList<>()).add(e.getKey());
        }
      } else {
        services.add(e);
      }
    }
    // services after workloads: a lookup by IP finds workloads first, as istiod's does
    for (var e : services) {
      for (NetworkAddress na : e.getValue().getService().getAddressesList()) {
        byAddress
            .computeIfAbsent(key(na.getNetwork(), na.getAddress()), k -> new ArrayList<>())
            .add(e.getKey());
      }
    }
    return new AddressIndex(
        Collections.unmodifiableMap(byName), Map.copyOf(all), freeze(byAddress), freeze(byService));
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

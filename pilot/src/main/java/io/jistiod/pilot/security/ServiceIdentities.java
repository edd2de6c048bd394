package io.jistiod.pilot.security;

import io.jistiod.pilot.model.Endpoint;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.push.PushContext;
import java.util.List;
import java.util.TreeSet;

/**
 * The identities a client accepts from a service's servers, as istiod's {@code
 * PushContext.ServiceAccounts}: the SPIFFE identities of the service's endpoints and a
 * ServiceEntry's {@code subjectAltNames}, each SPIFFE identity repeated for every MeshConfig {@code
 * trustDomainAliases} entry (a workload whose certificate still names an old trust domain stays
 * reachable), sorted. Sidecar and proxyless clusters alike verify their servers against it.
 */
public final class ServiceIdentities {
  private static final String SPIFFE = "spiffe://";

  private ServiceIdentities() {}

  public static List<String> of(PushContext push, Service service) {
    TreeSet<String> ids = new TreeSet<>(service.attributes().subjectAltNames());
    for (Endpoint e : push.endpoints(service)) {
      if (!e.serviceAccount().isEmpty()) {
        ids.add(e.serviceAccount());
      }
    }
    List<String> aliases = push.meshConfig().getTrustDomainAliasesList();
    if (aliases.isEmpty()) {
      return List.copyOf(ids);
    }
    TreeSet<String> out = new TreeSet<>(ids);
    for (String id : ids) {
      if (!isWorkloadIdentity(id)) {
        continue; // a DNS name, say: kept as it is, no trust domain to swap
      }
      String path = id.substring(id.indexOf('/', SPIFFE.length()));
      for (String alias : aliases) {
        out.add(SPIFFE + alias + path);
      }
    }
    return List.copyOf(out);
  }

  /** {@code spiffe://TD/ns/NS/sa/SA}, the only form istiod re-homes to an alias. */
  private static boolean isWorkloadIdentity(String id) {
    if (!id.startsWith(SPIFFE)) {
      return false;
    }
    String[] parts = id.substring(SPIFFE.length()).split("/", -1);
    return parts.length == 5 && "ns".equals(parts[1]) && "sa".equals(parts[3]);
  }
}

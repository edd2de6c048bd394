package io.jistiod.pilot.gatewayapi;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Where a Gateway's listeners are served, as istiod resolves it for status ({@code
 * ResolveGatewayInstances}): each Service the Gateway runs behind, looked up in the Gateway's
 * namespace, and each listener port on it.
 *
 * @param internal {@code host:port} entries that have endpoints
 * @param internalIps the virtual IPs of those services
 * @param external their LoadBalancer addresses
 * @param pending hosts of LoadBalancer services still waiting for an address
 * @param warnings what could not be resolved, user-facing, sorted
 * @param allUsable false if a warning means traffic cannot arrive (a missing host or port)
 */
record GatewayInstances(
    List<String> internal,
    List<String> internalIps,
    List<String> external,
    List<String> pending,
    List<String> warnings,
    boolean allUsable) {

  static final String MANAGED_LABEL = "gateway.istio.io/managed";

  static GatewayInstances resolve(
      ServiceRegistryView registry,
      String namespace,
      List<String> gatewayServices,
      Collection<Integer> ports) {
    TreeSet<String> internal = new TreeSet<>();
    TreeSet<String> internalIps = new TreeSet<>();
    TreeSet<String> external = new TreeSet<>();
    TreeSet<String> pending = new TreeSet<>();
    List<String> warnings = new ArrayList<>();
    boolean unusable = false;
    for (String host : gatewayServices) {
      Optional<RegistryService> found = registry.service(host, namespace);
      if (found.isEmpty()) {
        List<String> others = new ArrayList<>();
        for (String ns : new TreeSet<>(registry.namespacesOf(host))) {
          others.add("\"" + ns + "\"");
        }
        warnings.add(
            others.isEmpty()
                ? "hostname \"%s\" not found".formatted(host)
                : "hostname \"%s\" not found in namespace \"%s\", but it was found in namespace(s) %s"
                    .formatted(host, namespace, String.join(", ", others)));
        unusable = true;
        continue;
      }
      RegistryService svc = found.get();
      for (int port : new TreeSet<>(ports)) {
        if (svc.hasEndpoints(port)) {
          internal.add(host + ":" + port);
          internalIps.addAll(svc.clusterIps());
          if (!svc.externalAddresses().isEmpty()) {
            external.addAll(svc.externalAddresses());
          } else if (svc.loadBalancer() && pending.add(host)) {
            warnings.add("address pending for hostname \"%s\"".formatted(host));
          }
        } else if (!svc.hasAnyEndpoint()) {
          warnings.add("no instances found for hostname \"%s\"".formatted(host));
        } else {
          // Did the listener name the workload's port instead of the service's?
          TreeSet<String> hints = new TreeSet<>();
          svc.endpointPorts()
              .forEach(
                  (servicePort, targets) -> {
                    if (targets.contains(port)) {
                      hints.add(String.valueOf(servicePort));
                    }
                  });
          if (!hints.isEmpty()) {
            warnings.add(
                ("port %d not found for hostname \"%s\" (hint: the service port should be"
                        + " specified, not the workload port. Did you mean one of these ports:"
                        + " [%s]?)")
                    .formatted(port, host, String.join(" ", hints)));
            unusable = true;
          } else if (!svc.labels().containsKey(MANAGED_LABEL) || !svc.ports().contains(port)) {
            // A deployed gateway declaring the port is only waiting for its endpoints.
            warnings.add("port %d not found for hostname \"%s\"".formatted(port, host));
            unusable = true;
          }
        }
      }
    }
    warnings.sort(null);
    return new GatewayInstances(
        List.copyOf(internal),
        List.copyOf(internalIps),
        List.copyOf(external),
        List.copyOf(pending),
        warnings,
        !unusable);
  }

  /** "a", "a and b", "a, b, and c", as istiod joins service lists in messages. */
  static String humanJoin(List<String> items) {
    return switch (items.size()) {
      case 0 -> "";
      case 1 -> items.get(0);
      case 2 -> items.get(0) + " and " + items.get(1);
      default ->
          String.join(", ", items.subList(0, items.size() - 1))
              + ", and "
              + items.get(items.size() - 1);
    };
  }
}

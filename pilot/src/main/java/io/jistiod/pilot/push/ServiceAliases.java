package io.jistiod.pilot.push;

import io.jistiod.pilot.model.Resolution;
import io.jistiod.pilot.model.Service;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Resolves Kubernetes ExternalName Services ({@link Resolution#ALIAS}) into the aliases of the
 * services they name, over the whole push as istiod does: a chain of aliases ends at the first host
 * that is not itself an alias, an alias loop names nothing (Kubernetes DNS answers NXDOMAIN), and a
 * host named by no service keeps its aliases to itself (nothing is generated for them).
 */
final class ServiceAliases {
  private ServiceAliases() {}

  /** {@code services} with each named service's {@code aliases} set; the input is not changed. */
  static SortedMap<String, Service> resolve(SortedMap<String, Service> services) {
    Map<String, String> aliasOf = new HashMap<>();
    for (Service s : services.values()) {
      if (s.resolution() == Resolution.ALIAS) {
        aliasOf.put(s.hostname(), s.attributes().externalName());
      }
    }
    if (aliasOf.isEmpty()) {
      return services;
    }
    Map<String, List<Service>> aliasesByTarget = new HashMap<>();
    for (Map.Entry<String, String> e : aliasOf.entrySet()) {
      String target = terminal(e.getKey(), e.getValue(), aliasOf);
      if (target != null) {
        aliasesByTarget
            .computeIfAbsent(target, t -> new ArrayList<>())
            .add(services.get(e.getKey()));
      }
    }
    SortedMap<String, Service> out = new TreeMap<>(services);
    aliasesByTarget.forEach(
        (target, aliases) -> {
          Service s = out.get(target);
          if (s == null) {
            return;
          }
          aliases.sort(Comparator.comparing(Service::namespace).thenComparing(Service::hostname));
          out.put(
              target,
              new Service(
                  s.hostname(),
                  s.namespace(),
                  s.ports(),
                  s.addresses(),
                  s.resolution(),
                  s.exportTo(),
                  s.attributes().withAliases(aliases.stream().map(Service::hostname).toList())));
        });
    return out;
  }

  /** The first host of the chain from {@code alias} that is no alias; null for a loop. */
  private static String terminal(String alias, String target, Map<String, String> aliasOf) {
    Set<String> seen = new HashSet<>(Set.of(alias, target));
    String current = target;
    while (aliasOf.containsKey(current)) {
      String next = aliasOf.get(current);
      if (!seen.add(next)) {
        return null;
      }
      current = next;
    }
    return current;
  }
}

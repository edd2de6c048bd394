package io.jistiod.istiod.security;

import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The DNS names istiod's serving certificate carries, as Istio's {@code getDNSNames} builds them:
 * the names under which workloads reach istiod in its namespace ({@code istiod}, {@code
 * istiod-remote}, {@code istio-pilot}, and {@code istiod-<rev>} for a non-default revision, each
 * {@code .<ns>.svc}) plus {@code ISTIOD_CUSTOM_HOST}s, sorted and without duplicates.
 */
public final class IstiodDnsNames {
  private IstiodDnsNames() {}

  public static List<String> of(String namespace, String revision, List<String> customHosts) {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(revision, "revision");
    Objects.requireNonNull(customHosts, "customHosts");
    TreeSet<String> names = new TreeSet<>(customHosts);
    for (String service : List.of("istiod", "istiod-remote", "istio-pilot")) {
      names.add(service + "." + namespace + ".svc");
    }
    if (!revision.isEmpty() && !revision.equals("default")) {
      names.add("istiod-" + revision + "." + namespace + ".svc");
    }
    return List.copyOf(names);
  }
}

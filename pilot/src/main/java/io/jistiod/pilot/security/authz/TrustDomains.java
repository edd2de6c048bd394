package io.jistiod.pilot.security.authz;

import java.util.ArrayList;
import java.util.List;

/**
 * The mesh's trust domain and its aliases (MeshConfig {@code trustDomain}, {@code
 * trustDomainAliases}): a principal naming any of them, or {@code cluster.local} (a stand-in for
 * the local trust domain), matches identities in every one of them, so a trust-domain migration
 * does not break policies.
 */
public record TrustDomains(List<String> domains) {
  private static final String CLUSTER_LOCAL = "cluster.local";

  public TrustDomains {
    domains = List.copyOf(domains);
  }

  public static TrustDomains of(String trustDomain, List<String> aliases) {
    List<String> all = new ArrayList<>();
    all.add(trustDomain);
    all.addAll(aliases);
    return new TrustDomains(all);
  }

  /** {@code principals} with each trust-domain-bound entry expanded to every alias. */
  public List<String> expand(List<String> principals) {
    List<String> out = new ArrayList<>();
    for (String p : principals) {
      String[] parts = p.split("/", -1);
      // not "TD/ns/NS/sa/SA", or "*" as trust domain: the trust domain is not checked
      if (parts.length != 5 || parts[0].equals("*")) {
        out.add(p);
        continue;
      }
      String td = parts[0];
      if (!matchesAny(td) && !td.equals(CLUSTER_LOCAL)) {
        out.add(p);
        continue;
      }
      List<String> expanded = new ArrayList<>();
      for (String d : domains) {
        String np = suffixMatch(d, td) ? p : d + p.substring(td.length());
        if (!expanded.contains(np)) {
          expanded.add(np);
        }
      }
      out.addAll(expanded);
    }
    return out;
  }

  /** Istio's loose trust-domain comparison: equal, or a {@code *} prefix/suffix either way. */
  private boolean matchesAny(String td) {
    for (String d : domains) {
      if (td.equals(d)
          || d.equals("*")
          || prefixMatch(td, d)
          || prefixMatch(d, td)
          || suffixMatch(td, d)
          || suffixMatch(d, td)) {
        return true;
      }
    }
    return false;
  }

  private static boolean prefixMatch(String a, String pattern) {
    return pattern.endsWith("*") && a.startsWith(pattern.substring(0, pattern.length() - 1));
  }

  /** A trust domain written {@code *suffix} in the policy is kept as is where it matches. */
  private static boolean suffixMatch(String a, String pattern) {
    return pattern.startsWith("*") && a.endsWith(pattern.substring(1));
  }
}

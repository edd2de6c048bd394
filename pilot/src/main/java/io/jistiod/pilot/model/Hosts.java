package io.jistiod.pilot.model;

import java.util.Locale;

/** Host name rules shared by the registries and generators. */
public final class Hosts {
  private Hosts() {}

  /**
   * Istio's short-name rule: a host without a dot, written in namespace {@code ns}, means {@code
   * host.ns.svc.<domain>}; anything with a dot, an IP or {@code *} is taken as written.
   */
  public static String resolveShortName(String host, String namespace, String domainSuffix) {
    if (host.equals("*") || host.indexOf('.') >= 0 || host.indexOf(':') >= 0) {
      return host;
    }
    return host + "." + namespace + ".svc." + domainSuffix;
  }

  /**
   * Whether {@code pattern} (exact, {@code *.suffix}, or {@code *}) matches the concrete host.
   * Comparison ignores case, as DNS does.
   */
  public static boolean matches(String pattern, String host) {
    String p = pattern.toLowerCase(Locale.ROOT);
    String h = host.toLowerCase(Locale.ROOT);
    if (p.equals("*")) {
      return true;
    }
    if (p.startsWith("*")) {
      return h.endsWith(p.substring(1));
    }
    return p.equals(h);
  }

  /**
   * The fully qualified name a client in {@code proxyNamespace} means by {@code name}, as a gRPC
   * target: {@code svc} and {@code svc.ns} or {@code svc.ns.svc} are completed with the proxy's DNS
   * domain. Returns null if {@code name} is not such a short name.
   */
  public static String completeShortName(String name, String proxyNamespace, String dnsDomain) {
    if (name.indexOf('.') < 0) {
      return name + "." + dnsDomain;
    }
    for (String suffix : new String[] {proxyNamespace, proxyNamespace + ".svc"}) {
      String shortName =
          name.endsWith("." + suffix)
              ? name.substring(0, name.length() - suffix.length() - 1)
              : null;
      if (shortName != null && dnsDomain.startsWith(suffix)) {
        return shortName + "." + dnsDomain;
      }
    }
    return null;
  }
}

package io.jistiod.pilot.envoy.route;

import io.jistiod.pilot.model.Resolution;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServiceAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * The Host header values a sidecar's virtual host of a service answers, as istiod 1.27 lists them:
 * the FQDN, the FQDN with a trailing dot, the short forms a client in the proxy's DNS domain may
 * use, the same for each of its aliases (ExternalName Services naming it), and the service's
 * addresses. For Envoy, which ignores ports in host matching, without {@code host:port} forms; for
 * proxyless gRPC each also with the port, right after it.
 */
public final class VirtualHostDomains {
  private VirtualHostDomains() {}

  /**
   * @param all every domain, in istiod's order
   * @param expanded the ones derived from the name (trailing dot, short forms); they give way to a
   *     service whose full name they are
   */
  record Domains(List<String> all, List<String> expanded) {}

  /** For Envoy: no {@code host:port} forms. */
  static Domains forService(Service s, String proxyDnsDomain) {
    return forService(s, proxyDnsDomain, NO_PORT);
  }

  /**
   * @param port the port to add to each form ({@code host:port}), or {@link #NO_PORT}
   */
  static Domains forService(Service s, String proxyDnsDomain, int port) {
    List<String> domains = new ArrayList<>();
    List<String> alt = new ArrayList<>();
    // the service's own name, then each ExternalName Service that is an alias of it
    List<String> names = new ArrayList<>();
    names.add(s.hostname());
    names.addAll(s.attributes().aliases());
    for (String h : names) {
      List<String> forms = altHosts(h, proxyDnsDomain, port);
      withPort(domains, h, port);
      domains.addAll(forms);
      alt.addAll(forms);
    }
    if (s.resolution() == Resolution.PASSTHROUGH
        && s.attributes().registry().equals(ServiceAttributes.KUBERNETES)) {
      // a headless service is also reached by pod names under its name
      int n = domains.size();
      for (int i = 0; i < n; i++) {
        domains.add("*." + domains.get(i));
      }
    }
    for (String a : s.addresses()) {
      if (!a.isEmpty() && !a.equals("0.0.0.0")) {
        withPort(domains, a, port);
      }
    }
    return new Domains(domains, alt);
  }

  /** No port suffix: Envoy sidecars match hosts ignoring the port. */
  public static final int NO_PORT = 0;

  /** Adds {@code host} (bracketed if IPv6) and, with a port, {@code host:port}. */
  static void withPort(List<String> out, String host, int port) {
    boolean ipv6 = host.indexOf(':') >= 0;
    out.add(ipv6 ? "[" + host + "]" : host);
    if (port != NO_PORT) {
      out.add((ipv6 ? "[" + host + "]" : host) + ":" + port);
    }
  }

  /**
   * {@code name.} (the absolute form) and, for a Kubernetes service seen from a proxy in
   * Kubernetes, {@code name}, {@code name.ns.svc}, {@code name.ns} in the same namespace or {@code
   * name.ns}, {@code name.ns.svc} in another; outside Kubernetes, the part of the name not shared
   * with the proxy's domain.
   */
  public static List<String> altHosts(String hostname, String proxyDomain, int port) {
    List<String> out = new ArrayList<>();
    if (!isIp(hostname)) {
      out.add(hostname + ".");
    }
    if (port != NO_PORT) {
      out.add(hostname + ".:" + port); // istiod adds it for any name, an IP too
    }
    int proxySvc = proxyDomain.indexOf(".svc.");
    if (proxySvc >= 0) {
      String kubeSuffix = proxySvc > 0 ? proxyDomain.substring(proxySvc) : proxyDomain;
      if (!hostname.endsWith(kubeSuffix)) {
        return out; // not a service of this cluster: short forms could clash with others
      }
      int ih = hostname.indexOf(".svc.");
      if (ih <= 0) {
        return out;
      }
      int ns = hostname.indexOf('.');
      if (ns + 1 >= hostname.length() || ns + 1 > ih) {
        return out;
      }
      String serviceNamespace = hostname.substring(ns + 1, ih);
      if (serviceNamespace.equals(proxyDomain.substring(0, proxySvc))) {
        withPort(out, hostname.substring(0, ns), port);
        withPort(out, hostname.substring(0, ih) + ".svc", port);
        withPort(out, hostname.substring(0, ih), port);
      } else {
        withPort(out, hostname.substring(0, ih), port);
        withPort(out, hostname.substring(0, ih) + ".svc", port);
      }
      return out;
    }
    String[] host = hostname.split("\\.", -1);
    String[] domain = proxyDomain.split("\\.", -1);
    int shared = 0;
    while (shared < Math.min(host.length, domain.length)
        && host[host.length - 1 - shared].equals(domain[domain.length - 1 - shared])) {
      shared++;
    }
    if (shared == 0) {
      return out;
    }
    int uniqueParts = host.length - shared;
    String unique = String.join(".", java.util.Arrays.copyOfRange(host, 0, uniqueParts));
    withPort(out, unique, port);
    if (uniqueParts == 2) {
      withPort(out, unique + "." + domain[domain.length - shared], port);
    }
    return out;
  }

  private static boolean isIp(String s) {
    return s.chars().allMatch(c -> Character.isDigit(c) || c == '.') || s.indexOf(':') >= 0;
  }
}

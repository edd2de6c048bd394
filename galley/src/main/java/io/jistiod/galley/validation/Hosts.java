package io.jistiod.galley.validation;

import io.jistiod.galley.config.HostName;

/**
 * Host names as Istio checks them: DNS-1123 names of at most 255 characters whose top-level label
 * is not all digits, optionally with a wildcard first label ({@code *}, {@code *.example.com}), and
 * the {@code namespace/host} form of Gateway and Sidecar hosts.
 *
 * <p>Methods named {@code ...Problem} return why a value is invalid, or null when it is fine.
 */
final class Hosts {
  private Hosts() {}

  private static String preconditions(String name) {
    if (name.length() > 255) {
      return "domain name \"" + abbreviate(name) + "\" is longer than 255 characters";
    }
    if (name.isEmpty()) {
      return "an empty domain name is not allowed";
    }
    return null;
  }

  private static String labelsProblem(String whole, String domain) {
    String[] parts = domain.split("\\.", -1);
    String tld = parts[parts.length - 1];
    if (isGoInteger(tld)) {
      return "invalid domain name \""
          + whole
          + "\": the top-level label \""
          + tld
          + "\" is all digits";
    }
    for (int i = 0; i < parts.length; i++) {
      if (i == parts.length - 1 && parts[i].isEmpty()) {
        return null; // a trailing dot ("istio.io.") is allowed
      }
      if (!Labels.isDns1123Label(parts[i])) {
        return "invalid domain name \"" + whole + "\": label \"" + parts[i] + "\" is invalid";
      }
    }
    return null;
  }

  /** A fully qualified (non-wildcard) DNS name; short names such as {@code reviews} pass. */
  static String fqdnProblem(String name) {
    String p = preconditions(name);
    return p != null ? p : labelsProblem(name, name);
  }

  /**
   * A DNS name whose first label may be a wildcard: {@code *}, {@code *.example.com}, and, as Istio
   * allows here, {@code *foo.example.com}.
   */
  static String wildcardDomainProblem(String name) {
    String p = preconditions(name);
    if (p != null) {
      return p;
    }
    int dot = name.indexOf('.');
    String first = dot < 0 ? name : name.substring(0, dot);
    if (!Labels.isWildcardDns1123Label(first)) {
      return "invalid domain name \"" + name + "\": label \"" + first + "\" is invalid";
    }
    return dot < 0 ? null : labelsProblem(name, name.substring(dot + 1));
  }

  /** A wildcard anywhere except as the whole host or as the leading {@code *.}. */
  static String partialWildcardProblem(String host) {
    if (host.contains("*") && host.length() != 1 && !host.startsWith("*.")) {
      return "partial wildcard \"" + host + "\" is not allowed";
    }
    return null;
  }

  /**
   * A VirtualService host bound to a gateway: as {@link #wildcardDomainProblem}, but for SNI hosts
   * also the names Istio generates for AUTO_PASSTHROUGH ({@code outbound_.PORT_._.HOST}).
   */
  static String gatewayBoundHostProblem(boolean sni, String name) {
    String p = preconditions(name);
    if (p != null) {
      return p;
    }
    if (sni && name.startsWith("outbound_")) {
      String[] parts = name.split("_", -1);
      String format = "outbound_.<PORT>_._.<HOSTNAME>";
      if (parts.length < 4) {
        return "invalid domain name \"" + name + "\": expected the form " + format;
      }
      String port = trimDots(parts[1]);
      String host = trimDots(parts[3]);
      if (!containsDigit(port)) {
        return "invalid domain name \""
            + name
            + "\": label \""
            + port
            + "\" should follow "
            + format;
      }
      if (!containsLetter(host)) {
        return "invalid domain name \""
            + name
            + "\": label \""
            + host
            + "\" should follow "
            + format;
      }
      return null;
    }
    return wildcardDomainProblem(name);
  }

  /**
   * A Gateway server host or Sidecar egress host: {@code namespace/dnsName}; gateways also accept a
   * bare {@code dnsName} (old style) and IP addresses.
   */
  static String namespacedHostProblem(String hostname, boolean gateway) {
    int slash = hostname.indexOf('/');
    if (slash < 0) {
      if (gateway) {
        return hostPartProblem(hostname, true);
      }
      return "host \"" + hostname + "\" must be of the form namespace/dnsName";
    }
    String ns = hostname.substring(0, slash);
    String name = hostname.substring(slash + 1);
    if (ns.isEmpty() || name.isEmpty()) {
      return "host \"" + hostname + "\": the namespace and the dnsName must not be empty";
    }
    if (gateway) {
      if (!ns.equals("*") && !ns.equals(".") && !Labels.isDns1123Label(ns)) {
        return "invalid namespace \"" + ns + "\" in gateway host \"" + hostname + "\"";
      }
    } else {
      String bare = ns.startsWith("~") ? ns.substring(1) : ns;
      if (!bare.isEmpty()
          && !bare.equals("*")
          && !bare.equals(".")
          && !Labels.isDns1123Label(bare)) {
        return "invalid namespace \"" + ns + "\" in sidecar host \"" + hostname + "\"";
      }
    }
    return hostPartProblem(name, gateway);
  }

  private static String hostPartProblem(String host, boolean gateway) {
    if (!host.equals("*") && !host.contains(".")) {
      return "short names (non FQDN) such as \"" + host + "\" are not allowed";
    }
    String p = wildcardDomainProblem(host);
    if (p != null && !(gateway && Ips.isAddress(host))) {
      return p;
    }
    return partialWildcardProblem(host);
  }

  /** Whether two hosts overlap (either covers the other), with Istio's wildcard semantics. */
  static boolean matches(String a, String b) {
    return HostName.matches(a, b);
  }

  /** Whether {@code a} is covered by {@code b}. */
  static boolean subsetOf(String a, String b) {
    return HostName.subsetOf(a, b);
  }

  static boolean isWildcarded(String h) {
    return HostName.isWildcard(h);
  }

  /** Go's strconv.Atoi accepts an optional sign followed by decimal digits. */
  private static boolean isGoInteger(String s) {
    int i = s.startsWith("+") || s.startsWith("-") ? 1 : 0;
    if (i >= s.length()) {
      return false;
    }
    for (; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  private static String trimDots(String s) {
    int b = 0;
    int e = s.length();
    while (b < e && s.charAt(b) == '.') {
      b++;
    }
    while (e > b && s.charAt(e - 1) == '.') {
      e--;
    }
    return s.substring(b, e);
  }

  private static boolean containsDigit(String s) {
    return s.chars().anyMatch(c -> c >= '0' && c <= '9');
  }

  private static boolean containsLetter(String s) {
    return s.chars().anyMatch(c -> (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
  }

  static String abbreviate(String s) {
    return s.length() > 64 ? s.substring(0, 64) + "..." : s;
  }
}

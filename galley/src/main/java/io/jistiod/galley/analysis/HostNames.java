package io.jistiod.galley.analysis;

/** Host names as routing resolves and matches them. */
final class HostNames {
  private HostNames() {}

  /**
   * {@code host} as written in an object of {@code namespace}, fully qualified: a name without a
   * dot is a Kubernetes service of that namespace ({@code reviews} -> {@code
   * reviews.default.svc.cluster.local}); anything else, wildcards included, is taken as written.
   */
  static String resolve(String host, String namespace, String domainSuffix) {
    if (host.equals("*") || host.contains(".")) {
      return host;
    }
    return host + "." + namespace + ".svc." + domainSuffix;
  }

  /**
   * Whether {@code a} covers {@code b}: equal, or {@code a} a wildcard whose suffix {@code b} has.
   */
  static boolean covers(String a, String b) {
    if (a.equals(b) || a.equals("*")) {
      return true;
    }
    if (!a.startsWith("*")) {
      return false;
    }
    String suffix = a.substring(1); // ".example.com"
    return b.startsWith("*") ? b.substring(1).endsWith(suffix) : b.endsWith(suffix);
  }

  /** Whether the two hosts can name the same service: either covers the other. */
  static boolean overlap(String a, String b) {
    return covers(a, b) || covers(b, a);
  }
}

package io.jistiod.galley.config;

/**
 * Istio's host name comparisons ({@code pkg/config/host.Name}), case-sensitive as istiod's: a name
 * starting with {@code *} is a wildcard over the suffix after it. Validation, analysis and the
 * Gateway API conversion all compare hosts this way.
 */
public final class HostName {
  private HostName() {}

  public static boolean isWildcard(String h) {
    return !h.isEmpty() && h.charAt(0) == '*';
  }

  /** Whether two hosts overlap (either covers the other), wildcards on either side. */
  public static boolean matches(String a, String b) {
    boolean aw = isWildcard(a);
    boolean bw = isWildcard(b);
    if (aw && bw) {
      return a.length() < b.length()
          ? b.substring(1).endsWith(a.substring(1))
          : a.substring(1).endsWith(b.substring(1));
    }
    if (aw) {
      return b.endsWith(a.substring(1));
    }
    if (bw) {
      return a.endsWith(b.substring(1));
    }
    return a.equals(b);
  }

  /** Whether every host {@code a} matches is matched by {@code b}. */
  public static boolean subsetOf(String a, String b) {
    boolean aw = isWildcard(a);
    boolean bw = isWildcard(b);
    if (aw) {
      return bw && a.length() >= b.length() && a.substring(1).endsWith(b.substring(1));
    }
    if (bw) {
      return a.endsWith(b.substring(1));
    }
    return a.equals(b);
  }
}

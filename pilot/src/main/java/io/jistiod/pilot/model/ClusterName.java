package io.jistiod.pilot.model;

/**
 * Istio's cluster names: {@code outbound|PORT|SUBSET|HOST} and {@code inbound|PORT||}. EDS uses the
 * same name as the cluster's service name, and the proxyless gRPC generator uses it as the RDS name
 * too, so every xDS type agrees on it.
 */
public record ClusterName(String direction, int port, String subset, String hostname) {

  public static final String OUTBOUND = "outbound";
  public static final String INBOUND = "inbound";

  public static ClusterName outbound(String hostname, int port, String subset) {
    return new ClusterName(OUTBOUND, port, subset == null ? "" : subset, hostname);
  }

  /**
   * Parses either form Istio accepts: {@code outbound|9080|v1|reviews.default.svc.cluster.local} or
   * the SNI form {@code outbound_.9080_.v1_.reviews.default.svc.cluster.local}. Returns null if the
   * name is neither.
   */
  public static ClusterName parse(String name) {
    String[] parts;
    if (name.indexOf('|') >= 0) {
      parts = name.split("\\|", -1);
    } else if (name.contains("_.")) {
      parts = name.split("_\\.", 4);
    } else {
      return null;
    }
    if (parts.length != 4) {
      return null;
    }
    if (!parts[0].equals(OUTBOUND) && !parts[0].equals(INBOUND)) {
      return null;
    }
    int port;
    try {
      port = Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      return null;
    }
    if (port < 0 || port > 65535) {
      return null;
    }
    return new ClusterName(parts[0], port, parts[2], parts[3]);
  }

  /** The cluster of the same service and port without a subset. */
  public ClusterName withoutSubset() {
    return new ClusterName(direction, port, "", hostname);
  }

  @Override
  public String toString() {
    return direction + "|" + port + "|" + subset + "|" + hostname;
  }
}

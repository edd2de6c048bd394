package io.jistiod.pilot.envoy.waypoint;

import io.jistiod.pilot.model.Protocol;

/**
 * The names of a waypoint's resources, as istiod 1.27 gives them (clients and tooling depend on
 * them), and which chains and clusters a port's protocol gets.
 */
public final class WaypointNames {
  private WaypointNames() {}

  /** The HBONE listener on port 15008: terminates CONNECT, hands the stream to main_internal. */
  public static final String CONNECT_TERMINATE = "connect_terminate";

  /** The internal listener (and the cluster to it) that dispatches by destination VIP. */
  public static final String MAIN_INTERNAL = "main_internal";

  /** The internal listener (and the cluster behind it) that opens HBONE to the destination. */
  public static final String CONNECT_ORIGINATE = "connect_originate";

  /** The cluster to the connect_originate listener: traffic to a workload, not a service. */
  public static final String ENCAP = "encap";

  /** The main_internal chains for traffic addressed to a workload rather than a service VIP. */
  public static final String DIRECT_TCP = "direct-tcp";

  public static final String DIRECT_HTTP = "direct-http";

  /** HBONE's port. */
  public static final int HBONE_PORT = 15008;

  /**
   * {@code inbound-vip|PORT|SUBSET|HOST}: the cluster (and main_internal chain) of one served
   * service port, {@code SUBSET} being {@code tcp} or {@code http}, with {@code /NAME} for a
   * DestinationRule subset.
   */
  public static String inboundVip(int port, String subset, String hostname) {
    return "inbound-vip|" + port + "|" + subset + "|" + hostname;
  }

  /** Whether a port of this protocol gets a TCP chain and cluster (sniffed ports get both). */
  public static boolean carriesTcp(Protocol p) {
    return p == Protocol.UNSUPPORTED || isTcp(p);
  }

  /** Whether a port of this protocol gets an HTTP chain and cluster (sniffed ports get both). */
  public static boolean carriesHttp(Protocol p) {
    return p == Protocol.UNSUPPORTED || p.isHttp();
  }

  /** Istio's IsTCP: protocols carried as opaque TCP, TLS included. */
  static boolean isTcp(Protocol p) {
    return switch (p) {
      case TCP, HTTPS, TLS, MONGO, REDIS, MYSQL -> true;
      default -> false;
    };
  }

  /** Istio's IsTLS. */
  static boolean isTls(Protocol p) {
    return p == Protocol.HTTPS || p == Protocol.TLS;
  }
}

package io.jistiod.pilot.xds;

import java.util.List;

/** The xDS type URLs istiod answers, and the order it pushes them in. */
public final class TypeUrls {
  private static final String PREFIX = "type.googleapis.com/";

  public static final String CLUSTER = PREFIX + "envoy.config.cluster.v3.Cluster";
  public static final String ENDPOINT = PREFIX + "envoy.config.endpoint.v3.ClusterLoadAssignment";
  public static final String LISTENER = PREFIX + "envoy.config.listener.v3.Listener";
  public static final String ROUTE = PREFIX + "envoy.config.route.v3.RouteConfiguration";
  public static final String SECRET = PREFIX + "envoy.extensions.transport_sockets.tls.v3.Secret";

  /** The workload API's workloads and services, served to ztunnel (WDS). */
  public static final String ADDRESS = PREFIX + "istio.workload.Address";

  /** The workload API's authorization policies, served to ztunnel (WADS). */
  public static final String AUTHORIZATION = PREFIX + "istio.security.Authorization";

  /**
   * Not a resource: a VM agent's health report of its application (its readiness probe), sent on
   * the ADS stream when the result changes; never answered.
   */
  public static final String HEALTH = PREFIX + "istio.v1.HealthInformation";

  /**
   * Push order within one push: clusters before their endpoints, listeners before their routes, so
   * no resource ever points at one the client has not been sent (Envoy's "make before break").
   */
  public static final List<String> PUSH_ORDER = List.of(CLUSTER, ENDPOINT, LISTENER, ROUTE, SECRET);

  private TypeUrls() {}

  /**
   * Types whose empty subscription means "everything" (wildcard). For the others (RDS, EDS, SDS) an
   * empty list means the client watches nothing.
   */
  public static boolean isWildcardType(String typeUrl) {
    // istiod's own types (the workload API) are wildcard too
    return CLUSTER.equals(typeUrl)
        || LISTENER.equals(typeUrl)
        || ADDRESS.equals(typeUrl)
        || AUTHORIZATION.equals(typeUrl);
  }

  /** Istio's short name used as the metric label: cds, eds, lds, rds, sds, wds, wads. */
  public static String shortName(String typeUrl) {
    switch (typeUrl) {
      case CLUSTER:
        return "cds";
      case ENDPOINT:
        return "eds";
      case LISTENER:
        return "lds";
      case ROUTE:
        return "rds";
      case SECRET:
        return "sds";
      case ADDRESS:
        return "wds";
      case AUTHORIZATION:
        return "wads";
      default:
        int dot = typeUrl.lastIndexOf('.');
        return dot < 0 ? typeUrl : typeUrl.substring(dot + 1);
    }
  }

  /** Sort key for {@link #PUSH_ORDER}; unknown types go last. */
  public static int pushRank(String typeUrl) {
    int i = PUSH_ORDER.indexOf(typeUrl);
    return i < 0 ? PUSH_ORDER.size() : i;
  }
}

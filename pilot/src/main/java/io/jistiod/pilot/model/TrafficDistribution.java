package io.jistiod.pilot.model;

import java.util.Locale;
import java.util.Map;

/**
 * Where a Kubernetes Service prefers its traffic to go ({@code spec.trafficDistribution}, or
 * Istio's {@code networking.istio.io/traffic-distribution} annotation when the field names no value
 * Istio knows), as istiod reads it: proxies then fail over by network, region and zone (and
 * sub-zone and node for {@link #PREFER_SAME_NODE}) without needing outlier detection, and see the
 * service's unready endpoints as unhealthy ones so they know when to spill over.
 */
public enum TrafficDistribution {
  ANY,
  PREFER_SAME_ZONE,
  PREFER_SAME_NODE;

  public static final String ANNOTATION = "networking.istio.io/traffic-distribution";

  /** The preference of a Service with {@code field} (may be null) and {@code annotations}. */
  public static TrafficDistribution of(String field, Map<String, String> annotations) {
    if (field != null) {
      switch (field) {
        case "PreferSameZone", "PreferClose" -> {
          return PREFER_SAME_ZONE;
        }
        case "PreferSameNode" -> {
          return PREFER_SAME_NODE;
        }
        default -> {}
      }
    }
    String a = annotations.getOrDefault(ANNOTATION, "").toLowerCase(Locale.ROOT);
    return switch (a) {
      case "preferclose", "prefersamezone" -> PREFER_SAME_ZONE;
      case "prefersamenode" -> PREFER_SAME_NODE;
      default -> ANY;
    };
  }
}

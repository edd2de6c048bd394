package io.jistiod.pilot.model;

import java.util.Map;

/** region/zone/subzone of an endpoint or proxy; empty parts are unknown. */
public record Locality(String region, String zone, String subzone) {
  public static final Locality UNKNOWN = new Locality("", "", "");

  /** Kubernetes' region label on nodes; before 1.17, {@link #REGION_LABEL_BETA}. */
  public static final String REGION_LABEL = "topology.kubernetes.io/region";

  public static final String REGION_LABEL_BETA = "failure-domain.beta.kubernetes.io/region";
  public static final String ZONE_LABEL = "topology.kubernetes.io/zone";
  public static final String ZONE_LABEL_BETA = "failure-domain.beta.kubernetes.io/zone";

  /** Istio's sub-zone label on nodes. */
  public static final String SUBZONE_LABEL = "topology.istio.io/subzone";

  /** Istio's locality override label on workloads; before it, {@link #LEGACY_LOCALITY_LABEL}. */
  public static final String LOCALITY_LABEL = "topology.istio.io/locality";

  public static final String LEGACY_LOCALITY_LABEL = "istio-locality";

  public Locality {
    region = region == null ? "" : region;
    zone = zone == null ? "" : zone;
    subzone = subzone == null ? "" : subzone;
  }

  /**
   * Parses Istio's {@code region/zone/subzone} form, as ServiceEntry and WorkloadEntry carry it:
   * parts beyond the third are ignored, as Istio does.
   */
  public static Locality parse(String s) {
    if (s == null || s.isEmpty()) {
      return UNKNOWN;
    }
    String[] parts = s.split("/", -1);
    return new Locality(
        parts[0], parts.length > 1 ? parts[1] : "", parts.length > 2 ? parts[2] : "");
  }

  /**
   * The locality a workload's labels set, or null: {@code topology.istio.io/locality}, else {@code
   * istio-locality}. Label values cannot hold '/', so a value without one separates its parts with
   * '.' ({@code us-east.zone-a}).
   */
  public static Locality fromOverrideLabels(Map<String, String> labels) {
    String value = labels.get(LOCALITY_LABEL);
    if (value == null) {
      value = labels.get(LEGACY_LOCALITY_LABEL);
    }
    if (value == null || value.isEmpty()) {
      return null;
    }
    return parse(value.contains("/") ? value : value.replace('.', '/'));
  }

  /**
   * The locality a Kubernetes node's topology labels give (GA labels first, then the beta ones), or
   * {@link #UNKNOWN}.
   */
  public static Locality fromNodeLabels(Map<String, String> labels) {
    return new Locality(
        firstNonEmpty(labels.get(REGION_LABEL), labels.get(REGION_LABEL_BETA)),
        firstNonEmpty(labels.get(ZONE_LABEL), labels.get(ZONE_LABEL_BETA)),
        labels.getOrDefault(SUBZONE_LABEL, ""));
  }

  public boolean isUnknown() {
    return region.isEmpty() && zone.isEmpty() && subzone.isEmpty();
  }

  private static String firstNonEmpty(String a, String b) {
    if (a != null && !a.isEmpty()) {
      return a;
    }
    return b == null ? "" : b;
  }

  @Override
  public String toString() {
    return region + "/" + zone + "/" + subzone;
  }
}

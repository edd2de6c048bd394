package io.jistiod.pilot.model;

/** region/zone/subzone of an endpoint or proxy; empty parts are unknown. */
public record Locality(String region, String zone, String subzone) {
  public static final Locality UNKNOWN = new Locality("", "", "");

  /** Parses Istio's {@code region/zone/subzone} form (label {@code istio-locality} uses dots). */
  public static Locality parse(String s) {
    if (s == null || s.isEmpty()) {
      return UNKNOWN;
    }
    String[] parts = s.split("[/.]", 3);
    return new Locality(
        parts[0], parts.length > 1 ? parts[1] : "", parts.length > 2 ? parts[2] : "");
  }

  @Override
  public String toString() {
    return region + "/" + zone + "/" + subzone;
  }
}

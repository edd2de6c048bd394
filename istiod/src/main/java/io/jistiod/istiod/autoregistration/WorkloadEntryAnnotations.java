package io.jistiod.istiod.autoregistration;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * The annotations istiod keeps on the WorkloadEntries it registers or health-checks, and the time
 * format of its connect and disconnect stamps (Go's RFC 3339 with nanoseconds, trailing zeros
 * trimmed).
 */
public final class WorkloadEntryAnnotations {
  /** The WorkloadGroup an entry was registered from: marks it auto-registered. */
  public static final String AUTO_REGISTRATION_GROUP = "istio.io/autoRegistrationGroup";

  /** The istiod instance (pod name) the workload is connected to. */
  public static final String WORKLOAD_CONTROLLER = "istio.io/workloadController";

  /** When the workload's current connection began. */
  public static final String CONNECTED_AT = "istio.io/connectedAt";

  /** When the workload's last connection ended; its entry goes after the grace period. */
  public static final String DISCONNECTED_AT = "istio.io/disconnectedAt";

  /** The agent probes the application and reports it: istiod keeps a Healthy condition. */
  public static final String HEALTH_CHECKS_ENABLED = "proxy.istio.io/health-checks-enabled";

  private static final DateTimeFormatter SECONDS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);

  private WorkloadEntryAnnotations() {}

  /** {@code t} as istiod writes it: UTC, fractional seconds without trailing zeros. */
  public static String format(Instant t) {
    StringBuilder out = new StringBuilder(SECONDS.format(t));
    if (t.getNano() != 0) {
      String fraction = String.format(java.util.Locale.ROOT, "%09d", t.getNano());
      int end = fraction.length();
      while (fraction.charAt(end - 1) == '0') {
        end--;
      }
      out.append('.').append(fraction, 0, end);
    }
    return out.append('Z').toString();
  }

  /** A stamp read back; empty when absent or unreadable (another writer, a hand edit). */
  public static Optional<Instant> parse(String stamp) {
    if (stamp == null || stamp.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(OffsetDateTime.parse(stamp).toInstant());
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }
}

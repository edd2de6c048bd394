package io.jistiod.citadel.ca;

import java.time.Duration;
import java.util.Objects;

/**
 * Workload certificate lifetimes: {@code DEFAULT_WORKLOAD_CERT_TTL} (24h) applies when the request
 * asks for none, and a request above {@code MAX_WORKLOAD_CERT_TTL} (90 days) is refused rather than
 * shortened, as Istio does, so a misconfigured agent notices.
 */
public record TtlPolicy(Duration defaultTtl, Duration maxTtl) {
  public static final TtlPolicy ISTIO_DEFAULTS =
      new TtlPolicy(Duration.ofHours(24), Duration.ofDays(90));

  public TtlPolicy {
    Objects.requireNonNull(defaultTtl, "defaultTtl");
    Objects.requireNonNull(maxTtl, "maxTtl");
    if (defaultTtl.isNegative() || defaultTtl.isZero()) {
      throw new IllegalArgumentException("defaultTtl: " + defaultTtl + " (expected: > 0)");
    }
    if (maxTtl.isNegative() || maxTtl.isZero()) {
      throw new IllegalArgumentException("maxTtl: " + maxTtl + " (expected: > 0)");
    }
  }

  /** The lifetime to issue for {@code requested}; zero or negative means the default. */
  public Duration resolve(Duration requested) throws CaException {
    Objects.requireNonNull(requested, "requested");
    if (requested.isNegative() || requested.isZero()) {
      return defaultTtl;
    }
    if (requested.compareTo(maxTtl) > 0) {
      throw new CaException(
          CaErrorType.TTL_ERROR,
          "requested TTL " + requested + " is greater than the max allowed TTL " + maxTtl);
    }
    return requested;
  }
}

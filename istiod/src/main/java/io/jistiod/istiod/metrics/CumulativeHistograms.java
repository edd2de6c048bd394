package io.jistiod.istiod.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import java.time.Duration;

/**
 * Makes every histogram count since start, as Prometheus histograms do.
 *
 * <p>Micrometer's simple registry keeps bucket counts in a ring of time windows that expire after
 * two minutes, while a timer's count and sum never expire. Written as a Prometheus histogram, the
 * buckets then fall back to zero under a {@code _count} that keeps growing: {@code rate()} of the
 * buckets goes negative and quantiles are wrong. One window that never expires keeps buckets, count
 * and sum in step.
 */
final class CumulativeHistograms implements MeterFilter {
  /** Longer than any process lives; kept well below what Duration arithmetic could overflow. */
  private static final Duration NEVER = Duration.ofDays(365L * 100);

  @Override
  public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
    return DistributionStatisticConfig.builder()
        .expiry(NEVER)
        .bufferLength(1)
        .build()
        .merge(config);
  }
}

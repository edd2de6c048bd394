package io.jistiod.pilot.xds;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class XdsMetricsTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final XdsMetrics metrics = new XdsMetrics(registry, "1.27.0");

  @Test
  void seriesIstiosDashboardsQueryExistFromStartAtZero() {
    for (String type : XdsMetrics.MAIN_TYPES) {
      assertThat(registry.get("pilot_xds_pushes").tag("type", type).counter().count()).isZero();
      assertThat(registry.get("pilot_xds_pushes").tag("type", type + "_senderr").counter().count())
          .isZero();
      assertThat(registry.get("pilot_total_xds_rejects").tag("type", type).counter().count())
          .isZero();
      assertThat(registry.get("pilot_xds_push_time").tag("type", type).timer().count()).isZero();
      assertThat(registry.get("pilot_xds_config_size_bytes").tag("type", type).summary().count())
          .isZero();
    }
    assertThat(registry.get("pilot_push_triggers").counters()).hasSize(12);
    assertThat(registry.get("pilot_total_xds_internal_errors").counter().count()).isZero();
    assertThat(registry.get("pilot_xds").gauge().value()).isZero();
  }

  @Test
  void aPushRecordsCountTimeAndSizeUnderIstiosBuckets() {
    metrics.pushed(TypeUrls.CLUSTER, Duration.ofMillis(50), 20_000);
    metrics.internalError();

    assertThat(registry.get("pilot_xds_pushes").tag("type", "cds").counter().count()).isEqualTo(1);
    var time = registry.get("pilot_xds_push_time").tag("type", "cds").timer().takeSnapshot();
    assertThat(time.count()).isEqualTo(1);
    assertThat(bounds(time.histogramCounts(), true))
        .containsExactly(0.01, 0.1, 1.0, 3.0, 5.0, 10.0, 20.0, 30.0);
    var size =
        registry.get("pilot_xds_config_size_bytes").tag("type", "cds").summary().takeSnapshot();
    assertThat(size.total()).isEqualTo(20_000);
    assertThat(bounds(size.histogramCounts(), false))
        .containsExactly(1.0, 10_000.0, 1_000_000.0, 4_000_000.0, 10_000_000.0, 40_000_000.0);
    assertThat(registry.get("pilot_total_xds_internal_errors").counter().count()).isEqualTo(1);
  }

  private static double[] bounds(CountAtBucket[] buckets, boolean seconds) {
    return Arrays.stream(buckets)
        .mapToDouble(b -> seconds ? b.bucket(TimeUnit.SECONDS) : b.bucket())
        .toArray();
  }
}

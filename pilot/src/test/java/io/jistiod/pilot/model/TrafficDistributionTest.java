package io.jistiod.pilot.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class TrafficDistributionTest {
  private static final String A = TrafficDistribution.ANNOTATION;

  @Test
  void theFieldWinsWhenItNamesAKnownValue() {
    assertThat(TrafficDistribution.of("PreferClose", Map.of(A, "PreferSameNode")))
        .isEqualTo(TrafficDistribution.PREFER_SAME_ZONE);
    assertThat(TrafficDistribution.of("PreferSameZone", Map.of()))
        .isEqualTo(TrafficDistribution.PREFER_SAME_ZONE);
    assertThat(TrafficDistribution.of("PreferSameNode", Map.of()))
        .isEqualTo(TrafficDistribution.PREFER_SAME_NODE);
  }

  @Test
  void elseTheAnnotationCaseInsensitivelyElseAny() {
    assertThat(TrafficDistribution.of("SomethingNew", Map.of(A, "prefersamenode")))
        .isEqualTo(TrafficDistribution.PREFER_SAME_NODE);
    assertThat(TrafficDistribution.of(null, Map.of(A, "PREFERCLOSE")))
        .isEqualTo(TrafficDistribution.PREFER_SAME_ZONE);
    assertThat(TrafficDistribution.of(null, Map.of(A, "nearby")))
        .isEqualTo(TrafficDistribution.ANY);
    assertThat(TrafficDistribution.of(null, Map.of())).isEqualTo(TrafficDistribution.ANY);
  }
}

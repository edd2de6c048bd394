package io.jistiod.galley.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** metadata.creationTimestamp as the API server writes it; it only orders, never rejects. */
class ConfigMetaTest {
  @Test
  void readsRfc3339AsTheApiServerWritesIt() {
    assertThat(ConfigMeta.parseTimestamp("2024-05-01T10:00:00Z"))
        .isEqualTo(Instant.parse("2024-05-01T10:00:00Z"));
    assertThat(ConfigMeta.parseTimestamp("2024-05-01T12:00:00+02:00"))
        .isEqualTo(Instant.parse("2024-05-01T10:00:00Z"));
  }

  @Test
  void missingOrUnreadableIsTheEpoch() {
    assertThat(ConfigMeta.parseTimestamp(null)).isEqualTo(Instant.EPOCH);
    assertThat(ConfigMeta.parseTimestamp("")).isEqualTo(Instant.EPOCH);
    assertThat(ConfigMeta.parseTimestamp("yesterday")).isEqualTo(Instant.EPOCH);
  }
}

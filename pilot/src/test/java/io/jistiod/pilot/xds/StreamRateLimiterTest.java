package io.jistiod.pilot.xds;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** XDS-04: new streams beyond the rate wait up to a limit, then are refused. */
class StreamRateLimiterTest {
  private final AtomicLong now = new AtomicLong();
  private final StreamRateLimiter limiter = new StreamRateLimiter(10, now::get);

  @Test
  void aBurstOfOneSecondIsAdmittedAtOnce() {
    for (int i = 0; i < 10; i++) {
      assertThat(limiter.reserve(0)).isZero();
    }
    assertThat(limiter.reserve(0)).isEqualTo(-1);
  }

  @Test
  void beyondTheBurstCallersWaitThenAreRefused() {
    for (int i = 0; i < 10; i++) {
      limiter.reserve(0);
    }
    // Ten more may wait up to one second in total (100 ms apart), the next is refused.
    for (int i = 1; i <= 10; i++) {
      assertThat(limiter.reserve(1_000_000_000L)).isEqualTo(i * 100_000_000L);
    }
    assertThat(limiter.reserve(1_000_000_000L)).isEqualTo(-1);
  }

  @Test
  void tokensRefillWithTime() {
    for (int i = 0; i < 10; i++) {
      limiter.reserve(0);
    }
    now.addAndGet(300_000_000L);
    assertThat(limiter.reserve(0)).isZero();
    assertThat(limiter.reserve(0)).isZero();
    assertThat(limiter.reserve(0)).isZero();
    assertThat(limiter.reserve(0)).isEqualTo(-1);
  }
}

package io.jistiod.istiod.ha;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

class LeaderElectionTest {
  @Test
  void istiodsTimingsAreAcceptedByTheElector() {
    for (Duration ttl : new Duration[] {LeaderElection.DEFAULT_TTL, Duration.ofSeconds(6)}) {
      // fabric8 validates the timings when the config is built; this throws if they do not fit
      new LeaderElectionConfigBuilder()
          .withName("x")
          .withLock(new LeaseLock("ns", "x", "me"))
          .withLeaseDuration(ttl)
          .withRenewDeadline(ttl.dividedBy(2))
          .withRetryPeriod(LeaderElection.retryPeriod(ttl))
          .withLeaderCallbacks(new LeaderCallbacks(() -> {}, () -> {}, id -> {}))
          .build();
    }
  }

  @Test
  void withoutElectionTheSingletonRunsAtOnceAndStopsOnClose() {
    AtomicInteger running = new AtomicInteger();
    LeaderElection e =
        LeaderElection.start(
            null,
            true,
            "ns",
            "me",
            "x",
            LeaderElection.DEFAULT_TTL,
            () -> {
              running.incrementAndGet();
              return running::decrementAndGet;
            });
    Awaitility.await().until(e::isLeader);
    assertThat(running).hasValue(1);
    e.close();
    assertThat(running).hasValue(0);
    assertThat(e.isLeader()).isFalse();
  }
}

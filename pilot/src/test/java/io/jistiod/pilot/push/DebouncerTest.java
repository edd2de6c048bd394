package io.jistiod.pilot.push;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.pilot.testing.FakeScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DebouncerTest {
  private final FakeScheduler clock = new FakeScheduler();
  private final List<PushRequest> pushes = new ArrayList<>();
  private final Debouncer debouncer =
      new Debouncer(Duration.ofMillis(100), Duration.ofSeconds(10), clock, pushes::add);

  private static PushRequest change(String name) {
    return PushRequest.full("config", key(name), 0);
  }

  private static ConfigKey key(String name) {
    return ConfigKey.of(Kind.VIRTUAL_SERVICE, "ns", name);
  }

  @Test
  void pushesOnceTheQuietPeriodPasses() {
    debouncer.enqueue(change("a"));
    clock.advance(Duration.ofMillis(99));
    assertThat(pushes).isEmpty();
    clock.advance(Duration.ofMillis(1));
    assertThat(pushes).hasSize(1);
    assertThat(pushes.get(0).configsUpdated()).containsExactly(key("a"));
  }

  @Test
  void mergesABurstIntoOnePush() {
    for (int i = 0; i < 50; i++) {
      debouncer.enqueue(change("k" + i));
      clock.advance(Duration.ofMillis(50));
    }
    assertThat(pushes).isEmpty();
    clock.advance(Duration.ofMillis(100));
    assertThat(pushes).hasSize(1);
    assertThat(pushes.get(0).configsUpdated()).hasSize(50);
    assertThat(pushes.get(0).reasons()).containsEntry("config", 50);
  }

  @Test
  void constantChurnStillPushesWithinMax() {
    // An event every 50 ms never leaves 100 ms of quiet; the 10 s cap must force a push.
    for (int i = 0; i < 199; i++) {
      debouncer.enqueue(change("k" + i));
      clock.advance(Duration.ofMillis(50));
    }
    assertThat(pushes).isEmpty();
    debouncer.enqueue(change("last"));
    clock.advance(Duration.ofMillis(50));
    assertThat(pushes).hasSize(1);
  }

  @Test
  void changesDuringAPushGoToTheNextOne() {
    List<PushRequest> seen = new ArrayList<>();
    Debouncer[] self = new Debouncer[1];
    self[0] =
        new Debouncer(
            Duration.ofMillis(100),
            Duration.ofSeconds(10),
            clock,
            r -> {
              seen.add(r);
              if (seen.size() == 1) {
                self[0].enqueue(change("during"));
              }
            });
    self[0].enqueue(change("first"));
    clock.advance(Duration.ofMillis(100));
    assertThat(seen).hasSize(1);
    clock.advance(Duration.ofMillis(100));
    assertThat(seen).hasSize(2);
    assertThat(seen.get(1).configsUpdated()).containsExactly(key("during"));
  }

  @Test
  void nothingPendingMeansNoTimers() {
    debouncer.enqueue(change("a"));
    clock.advance(Duration.ofSeconds(1));
    assertThat(pushes).hasSize(1);
    assertThat(clock.pendingTasks()).isZero();
  }

  @Test
  void mergeKeepsFullAndEarliestStart() {
    PushRequest a =
        new PushRequest(false, java.util.Set.of(key("x")), java.util.Map.of("endpoint", 1), 5);
    PushRequest b =
        new PushRequest(true, java.util.Set.of(key("y")), java.util.Map.of("endpoint", 2), 3);
    PushRequest m = a.merge(b);
    assertThat(m.full()).isTrue();
    assertThat(m.configsUpdated()).containsExactlyInAnyOrder(key("x"), key("y"));
    assertThat(m.reasons()).containsEntry("endpoint", 3);
    assertThat(m.startNanos()).isEqualTo(3);
  }

  @Test
  void mergerEqualsMergingInTurn() {
    PushRequest a =
        new PushRequest(false, java.util.Set.of(key("x")), java.util.Map.of("endpoint", 1), 5);
    PushRequest b =
        new PushRequest(true, java.util.Set.of(key("y")), java.util.Map.of("config", 2), 3);
    PushRequest c = PushRequest.fullForAll("global", 7);
    PushRequest merged = new PushRequest.Merger().add(a).add(b).add(c).build();
    assertThat(merged).isEqualTo(a.merge(b).merge(c));
    assertThat(merged.forced()).isTrue();
    assertThat(new PushRequest.Merger().add(a).build()).isEqualTo(a);
  }

  @Test
  void durationsAreLoggedAsGoPrintsThem() {
    assertThat(Debouncer.duration(100_630_112)).isEqualTo("100.630112ms");
    assertThat(Debouncer.duration(100_000_000)).isEqualTo("100ms");
    assertThat(Debouncer.duration(1_250_000_000)).isEqualTo("1.25s");
  }
}

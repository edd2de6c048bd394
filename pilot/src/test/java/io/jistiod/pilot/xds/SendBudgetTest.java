package io.jistiod.pilot.xds;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SendBudgetTest {
  private static long in(long millis) {
    return TimeUnit.MILLISECONDS.toNanos(millis);
  }

  @Test
  void aWriterWaitsUntilBytesInFlightAreReleased() throws Exception {
    SendBudget budget = new SendBudget(100);
    assertThat(budget.acquire(60, in(1000))).isEqualTo(60);
    CompletableFuture<Long> second =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return budget.acquire(60, in(10_000));
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            });
    Thread.sleep(200);
    assertThat(second).isNotDone(); // 60 + 60 > 100
    budget.release(60);
    assertThat(second.get(5, TimeUnit.SECONDS)).isEqualTo(60);
    assertThat(budget.inFlight()).isEqualTo(60);
  }

  @Test
  void theBoundIsSoftWhenNothingMovesAndForOversizedResponses() throws Exception {
    SendBudget budget = new SendBudget(100);
    // larger than the whole budget: let through alone, counted as the whole budget
    assertThat(budget.acquire(500, in(0))).isEqualTo(100);
    // the budget is full and nothing is released: after a stall a writer goes anyway
    long started = System.nanoTime();
    assertThat(budget.acquire(10, in(150))).isEqualTo(10);
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started))
        .isGreaterThanOrEqualTo(100);
    assertThat(budget.inFlight()).isEqualTo(110);
    budget.release(100);
    budget.release(10);
    assertThat(budget.inFlight()).isZero();
  }

  @Test
  void aWriterKeepsWaitingPastItsStallWhileTheBudgetMoves() throws Exception {
    SendBudget budget = new SendBudget(100);
    budget.acquire(50, in(0));
    budget.acquire(50, in(0));
    // holders of small pieces release one at a time, each within the stall, never enough for 60
    CompletableFuture<Long> big =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return budget.acquire(60, in(300));
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            });
    for (int i = 0; i < 5; i++) {
      Thread.sleep(150);
      budget.release(50);
      budget.acquire(50, in(0)); // someone else takes it back at once
    }
    // 750 ms, well past the 300 ms stall: still waiting, since releases kept coming
    assertThat(big).isNotDone();
    budget.release(50);
    assertThat(big.get(5, TimeUnit.SECONDS)).isEqualTo(60);
    assertThat(budget.inFlight()).isEqualTo(110);
  }
}

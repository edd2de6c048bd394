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
    for (int i = 0; i < 10; i++) {
      budget.acquire(10, in(0)); // ten holders of 10 bytes
    }
    CompletableFuture<Long> big = acquireAsync(budget, 95, 300);
    for (int i = 0; i < 5; i++) {
      Thread.sleep(150);
      budget.release(10); // one holder at a time is done: 95 does not fit until 9 are
    }
    // 750 ms, well past the 300 ms stall: still waiting, since releases kept coming
    assertThat(big).isNotDone();
    for (int i = 0; i < 5; i++) {
      budget.release(10);
    }
    assertThat(big.get(5, TimeUnit.SECONDS)).isEqualTo(95);
    assertThat(budget.inFlight()).isEqualTo(95);
  }

  @Test
  void writersAreServedInArrivalOrderSoSmallOnesCannotStarveALargeOne() throws Exception {
    SendBudget budget = new SendBudget(100);
    budget.acquire(50, in(0));
    CompletableFuture<Long> big = acquireAsync(budget, 60, 10_000);
    Thread.sleep(100);
    // 10 would fit (50 + 10), but the large writer came first
    CompletableFuture<Long> small = acquireAsync(budget, 10, 10_000);
    Thread.sleep(200);
    assertThat(big).isNotDone();
    assertThat(small).isNotDone();
    budget.release(50);
    assertThat(big.get(5, TimeUnit.SECONDS)).isEqualTo(60);
    assertThat(small.get(5, TimeUnit.SECONDS)).isEqualTo(10);
    assertThat(budget.inFlight()).isEqualTo(70);
  }

  private static CompletableFuture<Long> acquireAsync(SendBudget budget, long bytes, long stall) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return budget.acquire(bytes, in(stall));
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
        });
  }
}

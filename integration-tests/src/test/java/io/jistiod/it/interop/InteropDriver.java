package io.jistiod.it.interop;

import com.google.protobuf.TextFormat;
import io.grpc.testing.integration.Messages.LoadBalancerAccumulatedStatsResponse;
import io.grpc.testing.integration.Messages.LoadBalancerStatsResponse;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The test driver's checks from grpc/grpc {@code tools/run_tests/run_xds_tests.py}, re-expressed
 * with the same thresholds, each bounded in time. Peers are the hostnames backends report.
 */
final class InteropDriver {
  static final String UNARY = "UNARY_CALL";
  static final String EMPTY = "EMPTY_CALL";

  private final InteropClient client;
  private final int qps;

  /** {@code qps}: what the client sends per RPC type, to size waits and expected counts. */
  InteropDriver(InteropClient client, int qps) {
    this.client = client;
    this.qps = qps;
  }

  InteropClient client() {
    return client;
  }

  private int statsTimeoutSec(int numRpcs) {
    return Math.max(5, 2 * numRpcs / qps + 2);
  }

  /**
   * {@code wait_until_all_rpcs_go_to_given_backends}: repeats blocks of {@code numRpcs} RPCs until
   * one has exactly {@code backends} as peers (every one at least one RPC, no other) and, unless
   * {@code allowFailures}, no failed RPC. Returns that block's stats.
   */
  LoadBalancerStatsResponse awaitAllRpcsGoTo(
      Collection<String> backends, int numRpcs, Duration timeout, boolean allowFailures) {
    long deadline = System.nanoTime() + timeout.toNanos();
    String error;
    LoadBalancerStatsResponse stats;
    do {
      stats = client.stats(numRpcs, statsTimeoutSec(numRpcs));
      error = null;
      for (String b : backends) {
        if (!stats.containsRpcsByPeer(b)) {
          error = "backend " + b + " did not receive load";
          break;
        }
      }
      if (error == null && stats.getRpcsByPeerCount() > backends.size()) {
        error = "unexpected backend received load";
      }
      if (error == null && !allowFailures && stats.getNumFailures() > 0) {
        error = stats.getNumFailures() + " RPCs failed";
      }
      if (error == null) {
        return stats;
      }
    } while (System.nanoTime() < deadline);
    throw new AssertionError(
        "RPCs did not all go to "
            + new TreeSet<>(backends)
            + " within "
            + timeout
            + ": "
            + error
            + "; last block: "
            + brief(stats)
            + client.diagnostics());
  }

  /**
   * {@code compare_expected_instances} in a loop: until, in a block of {@code numRpcs}, each RPC
   * type's peers are exactly the expected ones.
   */
  LoadBalancerStatsResponse awaitPeersByMethod(
      Map<String, Set<String>> expected, int numRpcs, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    LoadBalancerStatsResponse stats;
    do {
      stats = client.stats(numRpcs, statsTimeoutSec(numRpcs));
      boolean ok = true;
      for (var e : expected.entrySet()) {
        var byPeer = stats.getRpcsByMethodOrDefault(e.getKey(), null);
        Set<String> peers =
            byPeer == null ? Set.of() : new TreeSet<>(byPeer.getRpcsByPeerMap().keySet());
        if (!peers.equals(e.getValue())) {
          ok = false;
        }
      }
      if (ok) {
        return stats;
      }
    } while (System.nanoTime() < deadline);
    throw new AssertionError(
        "RPCs did not reach "
            + expected
            + " within "
            + timeout
            + "; last block: "
            + brief(stats)
            + client.diagnostics());
  }

  /** Failed RPCs (any status but OK) of every type since {@code base}. */
  int failuresSince(LoadBalancerAccumulatedStatsResponse base) {
    LoadBalancerAccumulatedStatsResponse now = client.accumulated();
    int failed = 0;
    for (var m : now.getStatsPerMethodMap().entrySet()) {
      for (var r : m.getValue().getResultMap().entrySet()) {
        if (r.getKey() != 0) {
          int before =
              base.getStatsPerMethodOrDefault(m.getKey(), null) == null
                  ? 0
                  : base.getStatsPerMethodOrThrow(m.getKey()).getResultOrDefault(r.getKey(), 0);
          failed += r.getValue() - before;
        }
      }
    }
    return failed;
  }

  /** RPCs of {@code rpcType} started and not yet finished. */
  int inFlight(String rpcType) {
    var m = client.accumulated().getStatsPerMethodOrDefault(rpcType, null);
    if (m == null) {
      return 0;
    }
    int done = m.getResultMap().values().stream().mapToInt(Integer::intValue).sum();
    return m.getRpcsStarted() - done;
  }

  /**
   * {@code wait_until_rpcs_in_flight}: until {@code expected} RPCs of {@code rpcType} are in flight
   * (within {@code thresholdPercent}), then again after {@code stable}, to show it is steady.
   * Returns the last count.
   */
  int awaitInFlight(
      String rpcType, int expected, int thresholdPercent, Duration timeout, Duration stable)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    String error;
    int n;
    do {
      n = inFlight(rpcType);
      error = inFlightError(n, expected, thresholdPercent);
      if (error == null) {
        break;
      }
      Thread.sleep(500);
    } while (System.nanoTime() < deadline);
    if (error == null) {
      Thread.sleep(stable.toMillis());
      n = inFlight(rpcType);
      error = inFlightError(n, expected, thresholdPercent);
    }
    if (error != null) {
      throw new AssertionError(
          "wrong number of "
              + rpcType
              + " RPCs in flight: "
              + error
              + "; accumulated: "
              + TextFormat.shortDebugString(client.accumulated())
              + client.diagnostics());
    }
    return n;
  }

  private static String inFlightError(int actual, int expected, int thresholdPercent) {
    double t = thresholdPercent / 100.0;
    if (actual < expected * (1 - t)) {
      return "actual(" + actual + ") < expected(" + expected + " - " + thresholdPercent + "%)";
    }
    if (actual > expected * (1 + t)) {
      return "actual(" + actual + ") > expected(" + expected + " + " + thresholdPercent + "%)";
    }
    return null;
  }

  /**
   * The timeout and fault_injection check: over a window, the RPCs of each type that finished with
   * each status code are {@code fraction * qps * seconds}, within 10%. After the client was
   * reconfigured, waits {@code settle} (RPCs sent under the old config finish), then tries up to
   * {@code attempts} windows. Returns the counts of the window that passed.
   */
  Map<String, Map<Integer, Integer>> awaitStatusCounts(
      Map<String, Map<Integer, Double>> expected, Duration settle, Duration window, int attempts)
      throws InterruptedException {
    Thread.sleep(settle.toMillis());
    LoadBalancerAccumulatedStatsResponse before = client.accumulated();
    long beforeAt = System.nanoTime();
    StringBuilder tried = new StringBuilder();
    for (int i = 0; i < attempts; i++) {
      Thread.sleep(window.toMillis());
      LoadBalancerAccumulatedStatsResponse after = client.accumulated();
      long afterAt = System.nanoTime();
      double seconds = (afterAt - beforeAt) / 1e9;
      Map<String, Map<Integer, Integer>> counts = new TreeMap<>();
      boolean ok = true;
      for (var rpc : expected.entrySet()) {
        Map<Integer, Integer> byCode = delta(before, after, rpc.getKey());
        counts.put(rpc.getKey(), byCode);
        for (var code : rpc.getValue().entrySet()) {
          int qty = byCode.getOrDefault(code.getKey(), 0);
          double want = code.getValue() * qps * seconds;
          if (Math.abs(qty - want) > want * 0.1) {
            ok = false;
          }
        }
      }
      tried.append(String.format("%n  window %d (%.1f s): %s", i + 1, seconds, counts));
      if (ok) {
        System.out.printf("[interop]   status counts over %.1f s: %s%n", seconds, counts);
        return counts;
      }
      before = after;
      beforeAt = afterAt;
    }
    throw new AssertionError(
        "status counts never matched "
            + expected
            + " (fraction of "
            + qps
            + " qps, within 10%):"
            + tried
            + client.diagnostics());
  }

  private static Map<Integer, Integer> delta(
      LoadBalancerAccumulatedStatsResponse before,
      LoadBalancerAccumulatedStatsResponse after,
      String rpc) {
    Map<Integer, Integer> out = new TreeMap<>();
    var a = after.getStatsPerMethodOrDefault(rpc, null);
    if (a == null) {
      return out;
    }
    var b = before.getStatsPerMethodOrDefault(rpc, null);
    for (var r : a.getResultMap().entrySet()) {
      int prev = b == null ? 0 : b.getResultOrDefault(r.getKey(), 0);
      if (r.getValue() - prev != 0) {
        out.put(r.getKey(), r.getValue() - prev);
      }
    }
    return out;
  }

  static String brief(LoadBalancerStatsResponse stats) {
    return stats == null ? "none" : TextFormat.shortDebugString(stats);
  }
}

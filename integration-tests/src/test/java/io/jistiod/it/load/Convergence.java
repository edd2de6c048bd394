package io.jistiod.it.load;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Convergence of one change on one server: how long each affected proxy took from the API write
 * until it had ACKed a response showing the change. Proxies that never showed it count as the
 * timeout, so a stuck proxy makes p99 and max at least the timeout instead of vanishing.
 *
 * @param expected proxies the change affects
 * @param converged proxies that showed it before the timeout
 * @param sortedMs per proxy, ascending; the unconverged as the timeout
 */
record Convergence(int expected, int converged, List<Double> sortedMs) {

  /** From the per-proxy times (nulls: never converged) and the timeout they are capped at. */
  static Convergence of(List<Double> msOrNull, double timeoutMs) {
    List<Double> ms = new ArrayList<>();
    int converged = 0;
    for (Double d : msOrNull) {
      if (d == null) {
        ms.add(timeoutMs);
      } else {
        ms.add(d);
        converged++;
      }
    }
    Collections.sort(ms);
    return new Convergence(msOrNull.size(), converged, List.copyOf(ms));
  }

  boolean complete() {
    return converged == expected;
  }

  double p50() {
    return percentile(sortedMs, 0.50);
  }

  double p99() {
    return percentile(sortedMs, 0.99);
  }

  double max() {
    return sortedMs.isEmpty() ? Double.NaN : sortedMs.get(sortedMs.size() - 1);
  }

  /**
   * Nearest-rank percentile of an ascending list: the smallest value with {@code p} at or below.
   */
  static double percentile(List<Double> ascending, double p) {
    if (ascending.isEmpty()) {
      return Double.NaN;
    }
    int rank = (int) Math.ceil(p * ascending.size());
    return ascending.get(Math.max(0, Math.min(ascending.size(), rank) - 1));
  }
}

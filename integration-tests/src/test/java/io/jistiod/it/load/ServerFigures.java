package io.jistiod.it.load;

import java.util.Map;

/**
 * What one server did under the load.
 *
 * @param readySeconds process start to the first /ready 200
 * @param configuredSeconds process start to every proxy configured (includes the bounded connect)
 * @param cpuSeconds utime + stime over the whole run
 * @param cpuByPhase the same per phase (start, connect, each change), in run order
 * @param changes convergence per change, in run order
 * @param counts resources per proxy kind as received, e.g. "sidecar cds=2004 lds=4 ..."
 */
record ServerFigures(
    String kind,
    double readySeconds,
    double configuredSeconds,
    double cpuSeconds,
    Map<String, Double> cpuByPhase,
    long peakRssKib,
    long bytesTotal,
    long bytesInitial,
    Map<String, Convergence> changes,
    Map<String, String> counts) {

  /** The worst p99 over the changes (ms). */
  double worstP99() {
    return changes.values().stream().mapToDouble(Convergence::p99).max().orElse(Double.NaN);
  }
}

package io.jistiod.pilot.push;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Why a push is needed: what changed, and whether the push context must be rebuilt ({@code full}),
 * or only endpoints were touched.
 *
 * @param full rebuild the push context and recompute every type
 * @param configsUpdated what changed, e.g. {@code ServiceEntry/default/reviews}
 * @param reasons push trigger counts by Istio's reason names ({@code config}, {@code endpoint},
 *     {@code service}, ...), as reported in {@code pilot_push_triggers}
 * @param startNanos when the first merged change happened ({@code System.nanoTime()} base)
 */
public record PushRequest(
    boolean full, Set<String> configsUpdated, Map<String, Integer> reasons, long startNanos) {

  public PushRequest {
    configsUpdated = Set.copyOf(configsUpdated);
    reasons = Map.copyOf(reasons);
  }

  public static PushRequest full(String reason, String changed, long startNanos) {
    return new PushRequest(true, Set.of(changed), Map.of(reason, 1), startNanos);
  }

  /** A forced full push with no particular change, e.g. the first push after startup. */
  public static PushRequest fullForAll(String reason, long startNanos) {
    return new PushRequest(true, Set.of(), Map.of(reason, 1), startNanos);
  }

  /** Both changes in one request: full if either is, keys unioned, reasons summed. */
  public PushRequest merge(PushRequest other) {
    Set<String> keys = new HashSet<>(configsUpdated);
    keys.addAll(other.configsUpdated);
    Map<String, Integer> sum = new HashMap<>(reasons);
    other.reasons.forEach((k, v) -> sum.merge(k, v, Integer::sum));
    return new PushRequest(full || other.full, keys, sum, Math.min(startNanos, other.startNanos));
  }
}

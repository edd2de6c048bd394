package io.jistiod.pilot.push;

import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Why a push is needed, as istiod's {@code model.PushRequest}: what changed, whether the push
 * context must be rebuilt and every type reconsidered ({@code full}), or only endpoints or secrets
 * were touched.
 *
 * @param full the push context is rebuilt (for the kinds that changed) and every type whose
 *     dependencies include a changed kind is regenerated; false: only EDS (endpoints of the changed
 *     services) and SDS (changed Secrets) are pushed
 * @param configsUpdated what changed, typed; e.g. {@code
 *     ServiceEntry/default/reviews.default.svc.cluster.local}
 * @param reasons push trigger counts by Istio's reason names ({@code config}, {@code endpoint},
 *     {@code service}, ...), as reported in {@code pilot_push_triggers}
 * @param startNanos when the first merged change happened ({@code System.nanoTime()} base)
 * @param forced what changed is not known: every proxy and type is reconsidered (istiod's {@code
 *     Forced}); for an endpoints-only request, every service's endpoints
 */
public record PushRequest(
    boolean full,
    Set<ConfigKey> configsUpdated,
    Map<String, Integer> reasons,
    long startNanos,
    boolean forced) {

  public PushRequest {
    configsUpdated = Set.copyOf(configsUpdated);
    reasons = Map.copyOf(reasons);
  }

  /** A request that is forced exactly when it names no change. */
  public PushRequest(
      boolean full, Set<ConfigKey> configsUpdated, Map<String, Integer> reasons, long startNanos) {
    this(full, configsUpdated, reasons, startNanos, configsUpdated.isEmpty());
  }

  /** A full push for one change. */
  public static PushRequest full(String reason, ConfigKey changed, long startNanos) {
    return new PushRequest(true, Set.of(changed), Map.of(reason, 1), startNanos, false);
  }

  /** A full push for one change written {@code Kind/namespace/name}. */
  public static PushRequest full(String reason, String changed, long startNanos) {
    return full(reason, ConfigKey.parse(changed), startNanos);
  }

  /** A full push for several changes at once (none: forced). */
  public static PushRequest full(String reason, Set<ConfigKey> changed, long startNanos) {
    return new PushRequest(true, changed, Map.of(reason, 1), startNanos);
  }

  /** A forced full push with no particular change, e.g. the first push after startup. */
  public static PushRequest fullForAll(String reason, long startNanos) {
    return new PushRequest(true, Set.of(), Map.of(reason, 1), startNanos, true);
  }

  /**
   * An incremental push (istiod's {@code Full: false}): endpoints of the services named by {@link
   * Kind#SERVICE_ENTRY} keys (all services if none is named), and the Secrets named.
   */
  public static PushRequest incremental(String reason, Set<ConfigKey> changed, long startNanos) {
    return new PushRequest(false, changed, Map.of(reason, 1), startNanos);
  }

  /** Both changes in one request: full if either is, keys unioned, reasons summed. */
  public PushRequest merge(PushRequest other) {
    Set<ConfigKey> keys = new HashSet<>(configsUpdated);
    keys.addAll(other.configsUpdated);
    Map<String, Integer> sum = new HashMap<>(reasons);
    other.reasons.forEach((k, v) -> sum.merge(k, v, Integer::sum));
    return new PushRequest(
        full || other.full,
        keys,
        sum,
        Math.min(startNanos, other.startNanos),
        forced || other.forced);
  }

  /**
   * Merges many requests into one without copying at each step, as {@link #merge} would: what a
   * burst of thousands of changes needs. Not thread-safe.
   */
  public static final class Merger {
    private boolean full;
    private boolean forced;
    private final Set<ConfigKey> keys = new HashSet<>();
    private final Map<String, Integer> reasons = new HashMap<>();
    private long startNanos = Long.MAX_VALUE;

    public Merger add(PushRequest r) {
      full |= r.full;
      forced |= r.forced;
      keys.addAll(r.configsUpdated);
      r.reasons.forEach((k, v) -> reasons.merge(k, v, Integer::sum));
      startNanos = Math.min(startNanos, r.startNanos);
      return this;
    }

    /** The merged request: equal to merging every added request in turn. */
    public PushRequest build() {
      return new PushRequest(full, keys, reasons, startNanos, forced);
    }
  }

  /** The kinds that changed. */
  public Set<Kind> kinds() {
    Set<Kind> out = EnumSet.noneOf(Kind.class);
    configsUpdated.forEach(k -> out.add(k.kind()));
    return out;
  }

  /** Whether any change is of {@code kind}. */
  public boolean has(Kind kind) {
    for (ConfigKey k : configsUpdated) {
      if (k.kind() == kind) {
        return true;
      }
    }
    return false;
  }

  /** Hostnames of the services that changed ({@link Kind#SERVICE_ENTRY} keys). */
  public Set<String> servicesUpdated() {
    Set<String> out = new TreeSet<>();
    for (ConfigKey k : configsUpdated) {
      if (k.kind() == Kind.SERVICE_ENTRY) {
        out.add(k.name());
      }
    }
    return out;
  }
}

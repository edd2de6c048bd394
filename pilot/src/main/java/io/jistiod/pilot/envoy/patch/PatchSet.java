package io.jistiod.pilot.envoy.patch;

import io.jistiod.galley.api.networking.v1alpha3.EnvoyFilter.ApplyTo;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** The EnvoyFilter patches that apply to one proxy, by what they apply to, in applying order. */
public final class PatchSet {
  public static final PatchSet EMPTY = new PatchSet(Map.of());

  private final Map<ApplyTo, List<Patch>> byApplyTo;

  PatchSet(Map<ApplyTo, List<Patch>> byApplyTo) {
    Map<ApplyTo, List<Patch>> m = new EnumMap<>(ApplyTo.class);
    byApplyTo.forEach((k, v) -> m.put(k, List.copyOf(v)));
    this.byApplyTo = m;
  }

  public boolean isEmpty() {
    return byApplyTo.isEmpty();
  }

  /** The patches applying to {@code applyTo}, in order. */
  public List<Patch> get(ApplyTo applyTo) {
    return byApplyTo.getOrDefault(applyTo, List.of());
  }

  /** Whether any patch applies to one of {@code kinds}. */
  public boolean hasAny(ApplyTo... kinds) {
    for (ApplyTo k : kinds) {
      if (byApplyTo.containsKey(k)) {
        return true;
      }
    }
    return false;
  }
}

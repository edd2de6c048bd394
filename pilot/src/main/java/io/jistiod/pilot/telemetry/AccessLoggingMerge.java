package io.jistiod.pilot.telemetry;

import io.jistiod.galley.api.telemetry.v1alpha1.AccessLogging;
import io.jistiod.galley.api.telemetry.v1alpha1.ProviderRef;
import io.jistiod.galley.api.telemetry.v1alpha1.WorkloadMode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The access log providers of one proxy side (client or server), merged from the applicable
 * Telemetry levels as istiod 1.27 merges them:
 *
 * <ul>
 *   <li>no level with access logging: MeshConfig {@code defaultProviders.accessLogging};
 *   <li>the last level naming providers for this side replaces the set (a level naming none
 *       inherits the one above); providers dropped that way are off;
 *   <li>each entry of each level, for this side, sets its providers (or the previous entry's, when
 *       it names none) to {@code disabled}, or to enabled with the CEL filter last given with that
 *       provider's name.
 * </ul>
 *
 * A pure function; provider names are kept as written (looked up later, case-insensitively).
 */
public final class AccessLoggingMerge {
  private AccessLoggingMerge() {}

  /**
   * One provider's outcome.
   *
   * @param filter the CEL filter, or null
   */
  public record ProviderSpec(boolean disabled, AccessLogging.Filter filter) {
    static final ProviderSpec ENABLED = new ProviderSpec(false, null);
    static final ProviderSpec DISABLED = new ProviderSpec(true, null);
  }

  /**
   * @param levels the applicable levels, least specific first
   * @param defaults MeshConfig {@code defaultProviders.accessLogging}
   * @param mode the side: CLIENT (outbound, gateways) or SERVER (inbound)
   * @return provider name to outcome, in the order first set
   */
  public static Map<String, ProviderSpec> merge(
      List<TelemetrySelection.Level> levels, List<String> defaults, WorkloadMode mode) {
    Map<String, ProviderSpec> providers = new LinkedHashMap<>();
    if (levels.isEmpty()) {
      for (String d : defaults) {
        providers.put(d, ProviderSpec.ENABLED);
      }
      return providers;
    }
    // which providers are in scope: those of the last level naming any for this side
    Set<String> inScope = new HashSet<>(defaults);
    Map<String, AccessLogging.Filter> filters = new HashMap<>();
    for (TelemetrySelection.Level level : levels) {
      Set<String> names = new LinkedHashSet<>();
      for (AccessLogging l : level.logging()) {
        if (!matches(l, mode)) {
          continue;
        }
        for (String p : names(l)) {
          names.add(p);
          filters.put(p, l.hasFilter() ? l.getFilter() : null);
        }
      }
      if (!names.isEmpty()) {
        inScope = names;
      }
    }
    // istiod's second pass: an entry without providers takes the previous entry's (of any side)
    List<String> parent = defaults;
    for (TelemetrySelection.Level level : levels) {
      for (AccessLogging l : level.logging()) {
        List<String> names = names(l);
        if (names.isEmpty()) {
          names = parent;
        }
        parent = names;
        for (String p : names) {
          if (!inScope.contains(p) || !matches(l, mode)) {
            continue;
          }
          if (l.getDisabled().getValue()) {
            providers.put(p, ProviderSpec.DISABLED);
          } else {
            AccessLogging.Filter f = filters.get(p);
            providers.put(p, f == null ? ProviderSpec.ENABLED : new ProviderSpec(false, f));
          }
        }
      }
    }
    return providers;
  }

  /** Whether an entry applies to {@code mode}: no match, CLIENT_AND_SERVER, or that mode. */
  static boolean matches(AccessLogging l, WorkloadMode mode) {
    if (!l.hasMatch()) {
      return true;
    }
    WorkloadMode m = l.getMatch().getMode();
    return m == WorkloadMode.CLIENT_AND_SERVER || m == mode;
  }

  private static List<String> names(AccessLogging l) {
    List<String> out = new ArrayList<>(l.getProvidersCount());
    for (ProviderRef p : l.getProvidersList()) {
      out.add(p.getName());
    }
    return out;
  }
}

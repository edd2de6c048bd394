package io.jistiod.pilot.serviceentry;

import io.jistiod.galley.api.meta.v1alpha1.IstioCondition;
import io.jistiod.galley.api.meta.v1alpha1.IstioStatus;
import io.jistiod.galley.config.Config;
import java.util.Set;

/**
 * Whether a WorkloadEntry's endpoints are served, as istiod decides with health checks on (its
 * default): an entry annotated {@code proxy.istio.io/health-checks-enabled} is served only while
 * its {@code Healthy} condition is True (a new entry is not, until its first probe passes); any
 * other entry always is. An unhealthy entry is as if it did not exist, for ServiceEntries and
 * Kubernetes Services alike.
 */
public final class WorkloadEntryHealth {
  public static final String HEALTH_CHECKS_ENABLED = "proxy.istio.io/health-checks-enabled";

  /** Go's strconv.ParseBool true values, which istiod reads the annotation with. */
  private static final Set<String> TRUE = Set.of("1", "t", "T", "TRUE", "true", "True");

  private WorkloadEntryHealth() {}

  public static boolean served(Config entry) {
    String annotation = entry.meta().annotations().get(HEALTH_CHECKS_ENABLED);
    if (annotation == null || !TRUE.contains(annotation)) {
      return true;
    }
    if (entry.status() == null) {
      return false;
    }
    for (IstioCondition c : entry.status(IstioStatus.class).getConditionsList()) {
      if ("Healthy".equals(c.getType())) {
        return "True".equals(c.getStatus());
      }
    }
    return false;
  }
}

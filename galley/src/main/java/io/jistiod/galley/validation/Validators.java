package io.jistiod.galley.validation;

import io.jistiod.galley.config.ConfigKind;
import io.jistiod.galley.config.IstioKinds;
import java.util.Map;

/** Istio's per-object validation, dispatching on the object's kind; so far the networking kinds. */
public final class Validators {
  private static final Map<ConfigKind, ConfigValidator> BY_KIND =
      Map.ofEntries(
          Map.entry(IstioKinds.VIRTUAL_SERVICE, new VirtualServiceValidator()),
          Map.entry(IstioKinds.DESTINATION_RULE, new DestinationRuleValidator()),
          Map.entry(IstioKinds.GATEWAY, new GatewayValidator()),
          Map.entry(IstioKinds.SERVICE_ENTRY, new ServiceEntryValidator()),
          Map.entry(IstioKinds.WORKLOAD_ENTRY, new WorkloadEntryValidator()),
          Map.entry(IstioKinds.WORKLOAD_GROUP, new WorkloadGroupValidator()),
          Map.entry(IstioKinds.SIDECAR, new SidecarValidator()),
          Map.entry(IstioKinds.ENVOY_FILTER, new EnvoyFilterValidator()),
          Map.entry(IstioKinds.PROXY_CONFIG, new ProxyConfigValidator()));

  private static final ConfigValidator ALL =
      config -> BY_KIND.getOrDefault(config.meta().kind(), ConfigValidator.NONE).validate(config);

  private Validators() {}

  /** A validator for every Istio kind, dispatching on the object's kind. */
  public static ConfigValidator forKinds() {
    return ALL;
  }

  /** The rules of one kind; {@link ConfigValidator#NONE} if it has none yet. */
  public static ConfigValidator forKind(ConfigKind kind) {
    return BY_KIND.getOrDefault(kind, ConfigValidator.NONE);
  }
}

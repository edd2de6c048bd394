package io.jistiod.galley.validation;

import io.jistiod.galley.config.ConfigKind;
import io.jistiod.galley.config.IstioKinds;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Istio's per-object validation for every kind in {@link IstioKinds}: the metadata rules common to
 * all kinds, then the kind's own rules. See docs/validation.md for the rules and their coverage.
 */
public final class Validators {
  private static final ConfigValidator METADATA = new MetadataValidator();

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
          Map.entry(IstioKinds.PROXY_CONFIG, new ProxyConfigValidator()),
          Map.entry(IstioKinds.AUTHORIZATION_POLICY, new AuthorizationPolicyValidator()),
          Map.entry(IstioKinds.PEER_AUTHENTICATION, new PeerAuthenticationValidator()),
          Map.entry(IstioKinds.REQUEST_AUTHENTICATION, new RequestAuthenticationValidator()),
          Map.entry(IstioKinds.TELEMETRY, new TelemetryValidator()),
          Map.entry(IstioKinds.WASM_PLUGIN, new WasmPluginValidator()),
          Map.entry(IstioKinds.TRAFFIC_EXTENSION, new TrafficExtensionValidator()));

  private static final ConfigValidator ALL =
      config -> {
        List<ValidationMessage> out = new ArrayList<>(METADATA.validate(config));
        out.addAll(
            BY_KIND.getOrDefault(config.meta().kind(), ConfigValidator.NONE).validate(config));
        return List.copyOf(out);
      };

  private Validators() {}

  /** A validator for every Istio kind, dispatching on the object's kind. */
  public static ConfigValidator forKinds() {
    return ALL;
  }

  /**
   * The rules of one kind (without the metadata rules); {@link ConfigValidator#NONE} if unknown.
   */
  public static ConfigValidator forKind(ConfigKind kind) {
    return BY_KIND.getOrDefault(kind, ConfigValidator.NONE);
  }
}

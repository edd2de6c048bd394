package io.jistiod.pilot.networking;

import io.jistiod.galley.api.networking.v1alpha3.TrafficPolicy;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import java.util.Optional;

/** The effective DestinationRule policy of a destination (host, subset, port) for one proxy. */
@FunctionalInterface
public interface DestinationPolicies {

  Optional<TrafficPolicy> policy(String host, String subset, int port);

  /** No DestinationRules at all. */
  DestinationPolicies NONE = (host, subset, port) -> Optional.empty();

  /** Istio's DestinationRule selection for {@code proxy} from {@code push}. */
  static DestinationPolicies of(PushContext push, Proxy proxy) {
    return (host, subset, port) ->
        push.destinationRuleFor(proxy, host)
            .map(dr -> TrafficPolicies.resolve(dr.spec(), subset, port));
  }
}

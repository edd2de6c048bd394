package io.jistiod.pilot.ambient;

import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.xds.XdsGenerator;
import io.jistiod.pilot.xds.XdsResource;
import java.util.List;
import java.util.Set;

/**
 * {@code istio.security.Authorization} for ztunnel: every AuthorizationPolicy it enforces, named
 * {@code namespace/name}, the same for every ztunnel. Subscribed names pick among them.
 */
public final class AuthorizationGenerator implements XdsGenerator {
  @Override
  public List<XdsResource> generate(Proxy proxy, PushContext push, Set<String> names) {
    List<XdsResource> all = ZtunnelPolicies.of(push).resources();
    return names.isEmpty() ? all : all.stream().filter(r -> names.contains(r.name())).toList();
  }
}

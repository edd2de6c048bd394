package io.jistiod.pilot.envoy.gateway;

import io.jistiod.galley.api.networking.v1alpha3.Gateway;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.push.PushContext.ServiceTarget;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Gateway that a gateway proxy implements, and the proxy's service ports it is reached through.
 * istiod binds a Gateway to a proxy in one of two ways:
 *
 * <ul>
 *   <li>by its {@code selector} (empty: every gateway proxy) matching the proxy's labels, through
 *       all the proxy's service ports ("legacy" selection);
 *   <li>by the {@code internal.istio.io/gateway-service} annotation, which the Gateways generated
 *       from the Kubernetes Gateway API carry instead of a selector: a comma-separated list of
 *       service hostnames, bound only through the proxy's service ports of those services in the
 *       Gateway's namespace ({@code internal.istio.io/parent-namespace} when a ListenerSet moved
 *       it).
 * </ul>
 *
 * @param bySelector selected by labels: a server port no service maps is listened on as it is, and
 *     only the first mapping counts; bound through a service, the port must be one of its ports
 */
public record GatewayBinding(Config gateway, List<ServiceTarget> targets, boolean bySelector) {
  public static final String GATEWAY_SERVICE_ANNOTATION = "internal.istio.io/gateway-service";
  public static final String PARENT_NAMESPACE_ANNOTATION = "internal.istio.io/parent-namespace";

  /** A Service label that keeps label-selected Gateways from translating its ports. */
  public static final String DISABLE_PORT_TRANSLATION_LABEL =
      "networking.istio.io/disable-gateway-port-translation";

  /** The Gateways bound to {@code proxy}, in the push's Gateway order. */
  public static List<GatewayBinding> of(Proxy proxy, PushContext push) {
    List<GatewayBinding> out = new ArrayList<>();
    List<ServiceTarget> targets = push.serviceTargets(proxy);
    Map<String, String> labels = proxy.metadata().labels();
    for (Config c : push.gateways()) {
      String services = c.meta().annotations().get(GATEWAY_SERVICE_ANNOTATION);
      if (services != null) {
        Set<String> known = Set.of(services.split(","));
        String parent = c.meta().annotations().getOrDefault(PARENT_NAMESPACE_ANNOTATION, "");
        String namespace = parent.isEmpty() ? c.namespace() : parent;
        List<ServiceTarget> matching = new ArrayList<>();
        for (ServiceTarget t : targets) {
          if (known.contains(t.service().hostname()) && t.service().namespace().equals(namespace)) {
            matching.add(t);
          }
        }
        if (!matching.isEmpty()) {
          out.add(new GatewayBinding(c, List.copyOf(matching), false));
        }
        continue;
      }
      Map<String, String> selector = c.spec(Gateway.class).getSelectorMap();
      if (labels.entrySet().containsAll(selector.entrySet())) {
        out.add(new GatewayBinding(c, targets, true));
      }
    }
    return out;
  }

  /**
   * The ports the proxy listens on for a server on {@code number}: the target ports of the bound
   * service ports numbered so. Selected by labels, only the first such target port (and the number
   * itself when none maps it, or when the service opts out of translation); bound through a
   * service, every distinct target port and none if the service has no such port (the server is
   * then a no-op, as in istiod).
   */
  public List<Integer> listenPorts(int number) {
    Set<Integer> out = new LinkedHashSet<>();
    for (ServiceTarget t : targets) {
      if (bySelector
          && t.service().attributes().labels().containsKey(DISABLE_PORT_TRANSLATION_LABEL)) {
        continue;
      }
      if (t.port().port() == number) {
        if (bySelector) {
          return List.of(t.endpoint().port());
        }
        out.add(t.endpoint().port());
      }
    }
    if (out.isEmpty() && bySelector) {
      return List.of(number);
    }
    return List.copyOf(out);
  }
}

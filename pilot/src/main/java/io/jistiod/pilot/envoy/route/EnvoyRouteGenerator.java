package io.jistiod.pilot.envoy.route;

import com.google.protobuf.BoolValue;
import com.google.protobuf.Struct;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRetry;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.networking.EnvoyRouteContext;
import io.jistiod.pilot.push.GenerationCache;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.push.VirtualServiceIndex;
import io.jistiod.pilot.xds.XdsGenerator;
import io.jistiod.pilot.xds.XdsResource;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * RDS for Envoy sidecars and gateways. RDS is never wildcard: only the names the proxy asks for are
 * built. A sidecar asks for its outbound HTTP ports ({@code "9080"}) and sniffed service ports
 * ({@code "host:port"}); a gateway for its HTTP servers ({@code http.8080}) and TLS-terminating
 * HTTPS servers ({@code https.443.<port name>.<gateway>.<namespace>}). Like istiod, a sidecar gets
 * an empty configuration for a name it cannot build (so Envoy does not wait for it forever).
 */
public final class EnvoyRouteGenerator implements XdsGenerator {

  /** istiod raises Envoy's 4 KiB direct-response body limit to what validation allows. */
  static final UInt32Value MAX_DIRECT_RESPONSE_BODY = UInt32Value.of(1024 * 1024);

  @Override
  public List<XdsResource> generate(Proxy proxy, PushContext push, Set<String> names) {
    List<XdsResource> out = new ArrayList<>();
    // route configs depend on the proxy's kind and DNS domain besides what the cache keys on
    String cacheType =
        "envoy-rds/"
            + proxy.type()
            + "/"
            + proxy.dnsDomain()
            + "/"
            + includeAttemptCount(proxy, push);
    GenerationCache.Scope scope = push.cache().scope(proxy);
    for (String name : new TreeSet<>(names)) {
      XdsResource r = push.cache().get(cacheType, name, scope, () -> build(name, proxy, push));
      if (r != null) {
        out.add(r);
      }
    }
    return out;
  }

  private static XdsResource build(String name, Proxy proxy, PushContext push) {
    RouteConfiguration rc =
        switch (proxy.type()) {
          case SIDECAR -> new SidecarOutboundRoutes(proxy, push).build(name);
          case ROUTER -> new GatewayRoutes(proxy, push).build(name);
          default -> null;
        };
    return rc == null ? null : XdsResource.of(name, rc);
  }

  /** What istiod sends for a route name it has nothing for. */
  static RouteConfiguration empty(String name) {
    return RouteConfiguration.newBuilder()
        .setName(name)
        .setValidateClusters(BoolValue.of(false))
        .build();
  }

  /**
   * The route translation context of {@code proxy}, implementing {@code gatewayNames}. A sidecar's
   * destinations without a port take the route configuration's port (istiod looks their service up
   * only among the services with that port); a gateway's take their service's only port.
   */
  static EnvoyRouteContext context(Proxy proxy, PushContext push, Set<String> gatewayNames) {
    return context(proxy, push, gatewayNames, host -> java.util.Optional.empty());
  }

  /**
   * @param portServices for a sidecar, the services of the route configuration's port by hostname
   *     (where istiod looks destinations up: it finds an ExternalName Service there, whose named
   *     host the route then goes to)
   */
  static EnvoyRouteContext context(
      Proxy proxy,
      PushContext push,
      Set<String> gatewayNames,
      java.util.function.Function<String, java.util.Optional<Service>> portServices) {
    boolean sidecar = gatewayNames.contains(VirtualServiceIndex.MESH);
    HTTPRetry meshRetry =
        push.meshConfig().hasDefaultHttpRetryPolicy()
            ? push.meshConfig().getDefaultHttpRetryPolicy()
            : null;
    return new EnvoyRouteContext(
        proxy.metadata().labels(),
        proxy.configNamespace(),
        gatewayNames,
        false,
        meshRetry,
        push.domainSuffix(),
        sidecar ? portServices : host -> push.serviceExportedTo(proxy.configNamespace(), host),
        host ->
            push.destinationRuleFor(proxy, host).map(PushContext.ResolvedDestinationRule::spec));
  }

  /**
   * Whether virtual hosts ask Envoy for the x-envoy-attempt-count header: yes unless the proxy's
   * ProxyConfig (what pilot-agent sends as PROXY_CONFIG, else the mesh's defaultConfig) turns
   * proxyHeaders.attemptCount off.
   */
  public static boolean includeAttemptCount(Proxy proxy, PushContext push) {
    Value pc = proxy.metadata().raw().getFieldsOrDefault("PROXY_CONFIG", null);
    if (pc != null && pc.hasStructValue()) {
      Value disabled = path(pc.getStructValue(), "proxyHeaders", "attemptCount", "disabled");
      return disabled == null
          || !(disabled.getBoolValue() || "true".equalsIgnoreCase(disabled.getStringValue()));
    }
    var headers = push.meshConfig().getDefaultConfig().getProxyHeaders();
    return !headers.getAttemptCount().getDisabled().getValue();
  }

  private static Value path(Struct s, String... keys) {
    Value v = null;
    for (String k : keys) {
      if (s == null) {
        return null;
      }
      v = s.getFieldsOrDefault(k, null);
      if (v == null) {
        return null;
      }
      s = v.hasStructValue() ? v.getStructValue() : null;
    }
    return v;
  }
}

package io.jistiod.pilot.networking;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.Duration;
import com.google.protobuf.Struct;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.config.route.v3.Decorator;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatchAndSubstitute;
import io.jistiod.galley.api.networking.v1alpha3.HTTPMatchRequest;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRedirect;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRoute;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRouteDestination;
import io.jistiod.galley.api.networking.v1alpha3.VirtualService;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.model.ClusterName;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Translates VirtualService HTTP routes into Envoy routes, the part of route generation shared by
 * sidecars, gateways and proxyless gRPC clients. Pure: everything it needs comes in as arguments.
 *
 * <p>For Envoy ({@link #forEnvoy}) the routes carry what istiod 1.27 puts on them besides the
 * destination: the config metadata, a tracing decorator, the default retry policy, an explicit
 * case_sensitive, redirects, direct responses, rewrites, mirrors, header operations, CORS and fault
 * filter configs. Proxyless gRPC clients get only what gRPC reads.
 */
public final class HttpRouteBuilder {

  /** Filter name under which per-route fault config is attached. */
  public static final String FAULT_FILTER = "envoy.filters.http.fault";

  /** Filter name under which per-route CORS config is attached. */
  public static final String CORS_FILTER = "envoy.filters.http.cors";

  private static final Duration NO_TIMEOUT = Duration.getDefaultInstance();

  private final String namespace;
  private final String domainSuffix;
  private final int port;
  private final boolean proxylessGrpc;
  private final EnvoyRouteContext envoy;

  private HttpRouteBuilder(
      String namespace,
      String domainSuffix,
      int port,
      boolean proxylessGrpc,
      EnvoyRouteContext envoy) {
    this.namespace = namespace;
    this.domainSuffix = domainSuffix;
    this.port = port;
    this.proxylessGrpc = proxylessGrpc;
    this.envoy = envoy;
  }

  /**
   * For an Envoy sidecar or gateway.
   *
   * @param namespace namespace of the VirtualService (or of the service for default routes)
   * @param port the port the routes are served on: the service port for sidecars, the Gateway
   *     server port for gateways
   */
  public static HttpRouteBuilder forEnvoy(
      String namespace, String domainSuffix, int port, EnvoyRouteContext context) {
    return new HttpRouteBuilder(namespace, domainSuffix, port, false, context);
  }

  /**
   * For a proxyless gRPC client's outbound routes, which istiod 1.27 builds as a sidecar's: the
   * same routes, except that a VirtualService route's timeout is also its {@code
   * max_stream_duration} (what gRPC reads) instead of the deprecated {@code max_grpc_timeout}.
   * Default routes ({@link #defaultRoute}) are a sidecar's, unchanged.
   */
  public static HttpRouteBuilder forProxylessGrpc(
      String namespace, String domainSuffix, int port, EnvoyRouteContext context) {
    return new HttpRouteBuilder(namespace, domainSuffix, port, true, context);
  }

  /**
   * The Envoy routes for a VirtualService's HTTP rules, in order. A rule with several match blocks
   * becomes one route per block, as in Istio; blocks for another port, or (for Envoy) for other
   * source workloads or gateways, are left out. Nothing after a catch-all route is built.
   */
  public List<Route> build(List<HTTPRoute> rules) {
    return build(rules, null);
  }

  /** {@link #build(List)} for a whole VirtualService, whose name and kind Envoy routes carry. */
  public List<Route> build(Config virtualService) {
    return build(virtualService.spec(VirtualService.class).getHttpList(), virtualService);
  }

  private List<Route> build(List<HTTPRoute> rules, Config vs) {
    List<Route> out = new ArrayList<>();
    for (HTTPRoute rule : rules) {
      if (rule.getMatchCount() == 0) {
        Route r = route(rule, null, vs);
        if (r != null) {
          out.add(r);
        }
        break; // later rules can never match after a catch-all; Istio stops here too
      }
      boolean catchAll = false;
      for (HTTPMatchRequest m : rule.getMatchList()) {
        if (m.getPort() != 0 && m.getPort() != port) {
          continue;
        }
        Route r = route(rule, m, vs);
        if (r == null) {
          continue;
        }
        out.add(r);
        if (HttpRouteMatches.isCatchAll(r.getMatch())) {
          catchAll = true;
          break;
        }
      }
      if (catchAll) {
        break;
      }
    }
    return out;
  }

  /** The route used when no VirtualService applies: everything to the service's cluster. */
  public Route defaultRoute(String hostname) {
    RouteAction.Builder action =
        RouteAction.newBuilder().setCluster(ClusterName.outbound(hostname, port, "").toString());
    action.setRetryPolicy(EnvoyRetries.convert(envoy.meshDefaultRetry(), false));
    // istiod builds default routes alike for every proxy, gRPC ones too: max_grpc_timeout
    setTimeout(action, null, false);
    envoy.hashForService(hostname, port).ifPresent(action::addHashPolicy);
    return Route.newBuilder()
        .setName("default")
        .setMatch(HttpRouteMatches.catchAll())
        .setRoute(action)
        .setDecorator(Decorator.newBuilder().setOperation(hostname + ":" + port + "/*"))
        .build();
  }

  private Route route(HTTPRoute rule, HTTPMatchRequest match, Config vs) {
    if (!envoy.sourceMatches(match, namespace)) {
      return null;
    }
    if (rule.getRouteCount() == 0 && !rule.hasRedirect() && !rule.hasDirectResponse()) {
      return null; // nothing to do (e.g. an unresolved delegate): Envoy would reject the route
    }
    Route.Builder r = Route.newBuilder();
    r.setMatch(
        match == null ? HttpRouteMatches.catchAll() : HttpRouteMatches.translate(match, true));
    boolean gateway = RouteSemantics.gateway(vs);
    if (gateway || RouteSemantics.ingress(vs)) {
      r.setMatch(RouteSemantics.pathSeparated(r.getMatch()));
    }
    String name = rule.getName();
    if (match != null && !match.getName().isEmpty()) {
      name = name + "." + match.getName();
    }
    r.setName(name);
    if (vs != null) {
      r.setMetadata(configMetadata(vs));
    }
    if (match != null && !match.getStatPrefix().isEmpty()) {
      r.setStatPrefix(match.getStatPrefix());
    }
    String authority = "";
    if (rule.hasHeaders()) {
      var ops = HttpRouteFilters.HeaderOperations.of(rule.getHeaders());
      r.addAllRequestHeadersToAdd(ops.requestToAdd())
          .addAllRequestHeadersToRemove(ops.requestToRemove())
          .addAllResponseHeadersToAdd(ops.responseToAdd())
          .addAllResponseHeadersToRemove(ops.responseToRemove());
      authority = ops.authority();
    }
    if (rule.hasRedirect()) {
      RedirectAction redirect = redirect(rule.getRedirect());
      if (redirect == null) {
        return null; // an unsupported code leaves istiod's route without action; Envoy needs one
      }
      r.setRedirect(gateway ? RouteSemantics.prefixRedirect(redirect) : redirect);
    } else if (rule.hasDirectResponse()) {
      r.setDirectResponse(directResponse(rule));
    } else {
      envoyAction(rule, r, authority, gateway);
    }
    String vsName = vs == null ? "" : vs.name();
    r.setDecorator(Decorator.newBuilder().setOperation(operation(r, vsName)));
    if (rule.hasCorsPolicy()) {
      r.putTypedPerFilterConfig(CORS_FILTER, Any.pack(HttpRouteFilters.cors(rule.getCorsPolicy())));
    }
    if (rule.hasFault()) {
      HTTPFault fault = HttpRouteFilters.fault(rule.getFault());
      if (fault != null) {
        r.putTypedPerFilterConfig(FAULT_FILTER, Any.pack(fault));
      }
    }
    return r.build();
  }

  private void envoyAction(HTTPRoute rule, Route.Builder r, String authority, boolean gateway) {
    RouteAction.Builder action = RouteAction.newBuilder();
    setTimeout(action, rule.hasTimeout() ? rule.getTimeout() : null, proxylessGrpc);
    if (gateway) {
      // the Gateway API asks for a 500 when a backend is invalid
      action.setClusterNotFoundResponseCode(
          RouteAction.ClusterNotFoundResponseCode.INTERNAL_SERVER_ERROR);
    }
    if (rule.hasRewrite()) {
      var rw = rule.getRewrite();
      if (rw.hasUriRegexRewrite()) {
        action.setRegexRewrite(
            RegexMatchAndSubstitute.newBuilder()
                .setPattern(HttpRouteMatches.regex(rw.getUriRegexRewrite().getMatch()))
                .setSubstitution(rw.getUriRegexRewrite().getRewrite()));
      } else if (gateway && rw.getUri().equals("/")) {
        action.setRegexRewrite(RouteSemantics.removePrefix(r.getMatch()));
      } else if (!rw.getUri().isEmpty()) {
        action.setPrefixRewrite(rw.getUri());
      }
      if (!rw.getAuthority().isEmpty()) {
        authority = rw.getAuthority();
      }
    }
    if (!authority.isEmpty()) {
      action.setHostRewriteLiteral(authority);
    }
    if (rule.hasMirror()) {
      RuntimeFractionalPercent p = HttpRouteFilters.mirrorPercent(rule);
      if (p != null) {
        action.addRequestMirrorPolicies(
            mirror(envoy.clusterFor(rule.getMirror(), namespace, port), p));
      }
    }
    for (var m : rule.getMirrorsList()) {
      RuntimeFractionalPercent p = HttpRouteFilters.mirrorPercent(m);
      if (p != null && m.hasDestination()) {
        action.addRequestMirrorPolicies(
            mirror(envoy.clusterFor(m.getDestination(), namespace, port), p));
      }
    }
    boolean consistentHash = false;
    List<HTTPRouteDestination> destinations = rule.getRouteList();
    if (destinations.size() == 1) {
      HTTPRouteDestination d = destinations.get(0);
      action.setCluster(envoy.clusterFor(d.getDestination(), namespace, port));
      if (d.hasHeaders()) {
        var ops = HttpRouteFilters.HeaderOperations.of(d.getHeaders());
        r.addAllRequestHeadersToAdd(ops.requestToAdd())
            .addAllRequestHeadersToRemove(ops.requestToRemove())
            .addAllResponseHeadersToAdd(ops.responseToAdd())
            .addAllResponseHeadersToRemove(ops.responseToRemove());
        if (!ops.authority().isEmpty() && !action.hasHostRewriteLiteral()) {
          action.setHostRewriteLiteral(ops.authority());
        }
      }
      var hash = envoy.hashForDestination(d.getDestination(), namespace);
      hash.ifPresent(action::addHashPolicy);
      consistentHash = hash.isPresent();
    } else {
      WeightedCluster.Builder weighted = WeightedCluster.newBuilder();
      for (HTTPRouteDestination d : destinations) {
        if (d.getWeight() == 0) {
          continue; // istiod leaves zero-weight destinations out
        }
        var cw =
            WeightedCluster.ClusterWeight.newBuilder()
                .setName(envoy.clusterFor(d.getDestination(), namespace, port))
                .setWeight(UInt32Value.of(d.getWeight()));
        if (d.hasHeaders()) {
          var ops = HttpRouteFilters.HeaderOperations.of(d.getHeaders());
          cw.addAllRequestHeadersToAdd(ops.requestToAdd())
              .addAllRequestHeadersToRemove(ops.requestToRemove())
              .addAllResponseHeadersToAdd(ops.responseToAdd())
              .addAllResponseHeadersToRemove(ops.responseToRemove());
          if (!ops.authority().isEmpty()) {
            cw.setHostRewriteLiteral(ops.authority());
          }
        }
        weighted.addClusters(cw);
        envoy.hashForDestination(d.getDestination(), namespace).ifPresent(action::addHashPolicy);
      }
      action.setWeightedClusters(weighted);
    }
    var retry =
        EnvoyRetries.convert(
            rule.hasRetries() ? rule.getRetries() : envoy.meshDefaultRetry(), consistentHash);
    if (retry != null) {
      action.setRetryPolicy(retry);
    }
    r.setRoute(action);
  }

  private static RouteAction.RequestMirrorPolicy mirror(
      String cluster, RuntimeFractionalPercent p) {
    return RouteAction.RequestMirrorPolicy.newBuilder()
        .setCluster(cluster)
        .setRuntimeFraction(p)
        .setTraceSampled(BoolValue.of(false))
        .build();
  }

  /** Null for a redirect code Envoy cannot send. */
  private RedirectAction redirect(HTTPRedirect in) {
    RedirectAction.Builder out =
        RedirectAction.newBuilder().setHostRedirect(in.getAuthority()).setPathRedirect(in.getUri());
    if (!in.getScheme().isEmpty()) {
      out.setSchemeRedirect(in.getScheme());
    }
    if (in.getRedirectPortCase() != HTTPRedirect.RedirectPortCase.REDIRECTPORT_NOT_SET) {
      int p = 0;
      if (in.getRedirectPortCase() == HTTPRedirect.RedirectPortCase.PORT) {
        p = in.getPort();
      } else if (in.getDerivePort() == HTTPRedirect.RedirectPortSelection.FROM_REQUEST_PORT) {
        p = port; // routes are built per listening port, so the request's port is known here
      }
      String scheme = !in.getScheme().isEmpty() ? in.getScheme() : envoy.tls() ? "https" : "http";
      if ((p == 80 && scheme.equals("http")) || (p == 443 && scheme.equals("https"))) {
        p = 0; // the scheme's default port is left implicit
      }
      out.setPortRedirect(p);
    }
    switch (in.getRedirectCode()) {
      case 0, 301 -> out.setResponseCode(RedirectAction.RedirectResponseCode.MOVED_PERMANENTLY);
      case 302 -> out.setResponseCode(RedirectAction.RedirectResponseCode.FOUND);
      case 303 -> out.setResponseCode(RedirectAction.RedirectResponseCode.SEE_OTHER);
      case 307 -> out.setResponseCode(RedirectAction.RedirectResponseCode.TEMPORARY_REDIRECT);
      case 308 -> out.setResponseCode(RedirectAction.RedirectResponseCode.PERMANENT_REDIRECT);
      default -> {
        return null;
      }
    }
    return out.build();
  }

  private static DirectResponseAction directResponse(HTTPRoute rule) {
    var in = rule.getDirectResponse();
    DirectResponseAction.Builder out = DirectResponseAction.newBuilder().setStatus(in.getStatus());
    if (in.hasBody()) {
      switch (in.getBody().getSpecifierCase()) {
        case STRING ->
            out.setBody(DataSource.newBuilder().setInlineString(in.getBody().getString()));
        case BYTES -> out.setBody(DataSource.newBuilder().setInlineBytes(in.getBody().getBytes()));
        default -> {}
      }
    }
    return out.build();
  }

  /**
   * The tracing operation istiod names a route by: {@code host:port/path} of its single cluster,
   * else {@code vsName:port/path}.
   */
  private String operation(Route.Builder r, String vsName) {
    RouteMatch m = r.getMatch();
    String path =
        switch (m.getPathSpecifierCase()) {
          case PREFIX -> m.getPrefix() + "*";
          case PATH -> m.getPath();
          case SAFE_REGEX -> m.getSafeRegex().getRegex();
          default -> "/*";
        };
    if (r.hasRoute() && !r.getRoute().getCluster().isEmpty()) {
      String cluster = r.getRoute().getCluster();
      ClusterName c = ClusterName.parse(cluster);
      if (c != null) {
        return c.hostname() + ":" + c.port() + path;
      }
      // any DIRECTION|PORT|SUBSET|HOST name counts, as a waypoint's inbound-vip clusters
      String[] parts = cluster.split("\\|", -1);
      if (parts.length == 4) {
        int port;
        try {
          port = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
          port = 0;
        }
        return parts[3] + ":" + port + path;
      }
    }
    return vsName + ":" + port + path;
  }

  /** Where the route came from, as istiod records it: {@code istio.config}. */
  static Metadata configMetadata(Config vs) {
    String path =
        "/apis/"
            + vs.meta().kind().group()
            + "/"
            + vs.meta().kind().storageVersion()
            + "/namespaces/"
            + vs.namespace()
            + "/virtual-service/"
            + vs.name();
    return Metadata.newBuilder()
        .putFilterMetadata(
            "istio",
            Struct.newBuilder()
                .putFields("config", Value.newBuilder().setStringValue(path).build())
                .build())
        .build();
  }

  private static void setTimeout(
      RouteAction.Builder action, Duration timeout, boolean streamDuration) {
    Duration t = timeout == null ? NO_TIMEOUT : timeout;
    action.setTimeout(t);
    if (streamDuration) {
      // gRPC reads only max_stream_duration; 0 means no limit.
      action.setMaxStreamDuration(
          RouteAction.MaxStreamDuration.newBuilder().setMaxStreamDuration(t));
    } else {
      action.setMaxGrpcTimeout(t);
    }
  }

  /** Sorted map entries, for output that does not depend on map order. */
  static <V> List<Map.Entry<String, V>> sorted(Map<String, V> m) {
    List<Map.Entry<String, V>> l = new ArrayList<>(m.entrySet());
    l.sort(Map.Entry.comparingByKey());
    return l;
  }
}

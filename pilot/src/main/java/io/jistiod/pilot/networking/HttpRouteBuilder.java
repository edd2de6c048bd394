package io.jistiod.pilot.networking;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.QueryParameterMatcher;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.common.fault.v3.FaultDelay;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.jistiod.galley.api.networking.v1alpha3.Destination;
import io.jistiod.galley.api.networking.v1alpha3.HTTPFaultInjection;
import io.jistiod.galley.api.networking.v1alpha3.HTTPMatchRequest;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRetry;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRoute;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRouteDestination;
import io.jistiod.galley.api.networking.v1alpha3.Percent;
import io.jistiod.galley.api.networking.v1alpha3.StringMatch;
import io.jistiod.pilot.model.ClusterName;
import io.jistiod.pilot.model.Hosts;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Translates VirtualService HTTP routes into Envoy routes, the part of route generation shared by
 * sidecars and proxyless gRPC clients. Pure: everything it needs comes in as arguments.
 */
public final class HttpRouteBuilder {

  /** Filter name under which per-route fault config is attached. */
  public static final String FAULT_FILTER = "envoy.filters.http.fault";

  private static final Duration NO_TIMEOUT = Duration.getDefaultInstance();

  private final String namespace;
  private final String domainSuffix;
  private final int port;
  private final boolean proxylessGrpc;
  private final DestinationPolicies policies;

  /**
   * @param namespace namespace of the VirtualService, for resolving short destination hosts
   * @param port the service port the routes are for; destinations without a port use it
   * @param policies DestinationRule policy per destination, for consistent-hash keys
   */
  public HttpRouteBuilder(
      String namespace,
      String domainSuffix,
      int port,
      boolean proxylessGrpc,
      DestinationPolicies policies) {
    this.namespace = namespace;
    this.domainSuffix = domainSuffix;
    this.port = port;
    this.proxylessGrpc = proxylessGrpc;
    this.policies = policies;
  }

  /**
   * The Envoy routes for a VirtualService's HTTP rules, in order. A rule with several match blocks
   * becomes one route per block, as in Istio. Rules whose matches all name another port are left
   * out.
   */
  public List<Route> build(List<HTTPRoute> rules) {
    List<Route> out = new ArrayList<>();
    for (HTTPRoute rule : rules) {
      if (rule.getMatchCount() == 0) {
        out.add(route(rule, null));
        break; // later rules can never match after a catch-all; Istio stops here too
      }
      for (HTTPMatchRequest m : rule.getMatchList()) {
        if (m.getPort() != 0 && m.getPort() != port) {
          continue;
        }
        out.add(route(rule, m));
      }
    }
    return out;
  }

  /** The route used when no VirtualService applies: everything to the service's cluster. */
  public Route defaultRoute(String hostname) {
    RouteAction.Builder action =
        RouteAction.newBuilder().setCluster(ClusterName.outbound(hostname, port, "").toString());
    setTimeout(action, null);
    hashPolicy(hostname, "", port).ifPresent(action::addHashPolicy);
    return Route.newBuilder()
        .setName("default")
        .setMatch(RouteMatch.newBuilder().setPrefix("/"))
        .setRoute(action)
        .build();
  }

  private Route route(HTTPRoute rule, HTTPMatchRequest match) {
    Route.Builder r = Route.newBuilder().setMatch(match == null ? catchAll() : translate(match));
    String name = rule.getName();
    if (match != null && !match.getName().isEmpty()) {
      name = name.isEmpty() ? match.getName() : name + "." + match.getName();
    }
    if (!name.isEmpty()) {
      r.setName(name);
    }
    RouteAction.Builder action = RouteAction.newBuilder();
    List<HTTPRouteDestination> destinations = rule.getRouteList();
    if (destinations.size() == 1) {
      action.setCluster(clusterFor(destinations.get(0).getDestination()));
    } else {
      WeightedCluster.Builder weighted = WeightedCluster.newBuilder();
      for (HTTPRouteDestination d : destinations) {
        if (d.getWeight() == 0) {
          continue; // a zero-weight destination gets no traffic; Envoy and gRPC need not see it
        }
        weighted.addClusters(
            WeightedCluster.ClusterWeight.newBuilder()
                .setName(clusterFor(d.getDestination()))
                .setWeight(UInt32Value.of(d.getWeight())));
      }
      action.setWeightedClusters(weighted);
    }
    setTimeout(action, rule.hasTimeout() ? rule.getTimeout() : null);
    sharedHashPolicy(destinations).ifPresent(action::addHashPolicy);
    if (rule.hasRetries()) {
      RetryPolicy retry = retryPolicy(rule.getRetries());
      if (retry != null) {
        action.setRetryPolicy(retry);
      }
    }
    r.setRoute(action);
    if (rule.hasFault()) {
      HTTPFault fault = fault(rule.getFault());
      if (fault != null) {
        r.putTypedPerFilterConfig(FAULT_FILTER, Any.pack(fault));
      }
    }
    return r.build();
  }

  private void setTimeout(RouteAction.Builder action, Duration timeout) {
    Duration t = timeout == null ? NO_TIMEOUT : timeout;
    action.setTimeout(t);
    if (proxylessGrpc) {
      // gRPC reads only max_stream_duration; 0 means no limit.
      action.setMaxStreamDuration(
          RouteAction.MaxStreamDuration.newBuilder().setMaxStreamDuration(t));
    } else {
      action.setMaxGrpcTimeout(t);
    }
  }

  /**
   * The consistent-hash key of a route: its destinations' DestinationRule hash policy, if they all
   * agree on one (a weighted split across differently hashed subsets has none).
   */
  private java.util.Optional<RouteAction.HashPolicy> sharedHashPolicy(
      List<HTTPRouteDestination> destinations) {
    java.util.Optional<RouteAction.HashPolicy> shared = null;
    for (HTTPRouteDestination d : destinations) {
      Destination dest = d.getDestination();
      String host = Hosts.resolveShortName(dest.getHost(), namespace, domainSuffix);
      int p = dest.hasPort() && dest.getPort().getNumber() != 0 ? dest.getPort().getNumber() : port;
      var h = hashPolicy(host, dest.getSubset(), p);
      if (shared == null) {
        shared = h;
      } else if (!shared.equals(h)) {
        return java.util.Optional.empty();
      }
    }
    return shared == null ? java.util.Optional.empty() : shared;
  }

  private java.util.Optional<RouteAction.HashPolicy> hashPolicy(String host, String subset, int p) {
    return policies
        .policy(host, subset, p)
        .filter(t -> t.getLoadBalancer().hasConsistentHash())
        .map(t -> toHashPolicy(t.getLoadBalancer().getConsistentHash()));
  }

  private static RouteAction.HashPolicy toHashPolicy(
      io.jistiod.galley.api.networking.v1alpha3.LoadBalancerSettings.ConsistentHashLB hash) {
    RouteAction.HashPolicy.Builder h = RouteAction.HashPolicy.newBuilder();
    switch (hash.getHashKeyCase()) {
      case HTTP_HEADER_NAME:
        h.setHeader(
            RouteAction.HashPolicy.Header.newBuilder().setHeaderName(hash.getHttpHeaderName()));
        break;
      case HTTP_COOKIE:
        var cookie = hash.getHttpCookie();
        var c =
            RouteAction.HashPolicy.Cookie.newBuilder()
                .setName(cookie.getName())
                .setPath(cookie.getPath());
        if (cookie.hasTtl()) {
          c.setTtl(cookie.getTtl());
        }
        h.setCookie(c);
        break;
      case USE_SOURCE_IP:
        h.setConnectionProperties(
            RouteAction.HashPolicy.ConnectionProperties.newBuilder().setSourceIp(true));
        break;
      case HTTP_QUERY_PARAMETER_NAME:
        h.setQueryParameter(
            RouteAction.HashPolicy.QueryParameter.newBuilder()
                .setName(hash.getHttpQueryParameterName()));
        break;
      default:
        break;
    }
    return h.build();
  }

  private String clusterFor(Destination d) {
    String host = Hosts.resolveShortName(d.getHost(), namespace, domainSuffix);
    int p = d.hasPort() && d.getPort().getNumber() != 0 ? d.getPort().getNumber() : port;
    return ClusterName.outbound(host, p, d.getSubset()).toString();
  }

  private static RouteMatch catchAll() {
    return RouteMatch.newBuilder().setPrefix("/").build();
  }

  private static RouteMatch translate(HTTPMatchRequest m) {
    RouteMatch.Builder b = RouteMatch.newBuilder();
    if (m.hasUri()) {
      StringMatch uri = m.getUri();
      switch (uri.getMatchTypeCase()) {
        case EXACT:
          b.setPath(uri.getExact());
          break;
        case PREFIX:
          b.setPrefix(uri.getPrefix());
          break;
        case REGEX:
          b.setSafeRegex(regex(uri.getRegex()));
          break;
        default:
          b.setPrefix("/");
      }
    } else {
      b.setPrefix("/");
    }
    if (m.getIgnoreUriCase()) {
      b.setCaseSensitive(com.google.protobuf.BoolValue.of(false));
    }
    if (m.hasMethod()) {
      b.addHeaders(header(":method", m.getMethod(), false));
    }
    if (m.hasAuthority()) {
      b.addHeaders(header(":authority", m.getAuthority(), false));
    }
    if (m.hasScheme()) {
      b.addHeaders(header(":scheme", m.getScheme(), false));
    }
    for (Map.Entry<String, StringMatch> h : sorted(m.getHeadersMap())) {
      b.addHeaders(header(h.getKey(), h.getValue(), false));
    }
    for (Map.Entry<String, StringMatch> h : sorted(m.getWithoutHeadersMap())) {
      b.addHeaders(header(h.getKey(), h.getValue(), true));
    }
    for (Map.Entry<String, StringMatch> q : sorted(m.getQueryParamsMap())) {
      QueryParameterMatcher.Builder qm = QueryParameterMatcher.newBuilder().setName(q.getKey());
      StringMatcher sm = stringMatcher(q.getValue());
      if (sm == null) {
        qm.setPresentMatch(true);
      } else {
        qm.setStringMatch(sm);
      }
      b.addQueryParameters(qm);
    }
    return b.build();
  }

  private static HeaderMatcher header(String name, StringMatch value, boolean invert) {
    HeaderMatcher.Builder h =
        HeaderMatcher.newBuilder().setName(name.toLowerCase(java.util.Locale.ROOT));
    StringMatcher sm = stringMatcher(value);
    if (sm == null) {
      h.setPresentMatch(true); // an empty match means "the header is present"
    } else {
      h.setStringMatch(sm);
    }
    if (invert) {
      h.setInvertMatch(true);
    }
    return h.build();
  }

  private static StringMatcher stringMatcher(StringMatch s) {
    switch (s.getMatchTypeCase()) {
      case EXACT:
        return StringMatcher.newBuilder().setExact(s.getExact()).build();
      case PREFIX:
        return StringMatcher.newBuilder().setPrefix(s.getPrefix()).build();
      case REGEX:
        return StringMatcher.newBuilder().setSafeRegex(regex(s.getRegex())).build();
      default:
        return null;
    }
  }

  private static RegexMatcher regex(String re) {
    return RegexMatcher.newBuilder().setRegex(re).build();
  }

  private static <V> List<Map.Entry<String, V>> sorted(Map<String, V> m) {
    List<Map.Entry<String, V>> l = new ArrayList<>(m.entrySet());
    l.sort(Map.Entry.comparingByKey());
    return l;
  }

  private static RetryPolicy retryPolicy(HTTPRetry r) {
    if (r.getAttempts() <= 0) {
      return null; // attempts 0 disables retries
    }
    RetryPolicy.Builder p =
        RetryPolicy.newBuilder()
            .setNumRetries(UInt32Value.of(r.getAttempts()))
            .setRetryOn(
                r.getRetryOn().isEmpty()
                    ? "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes"
                    : r.getRetryOn());
    if (r.hasPerTryTimeout()) {
      p.setPerTryTimeout(r.getPerTryTimeout());
    }
    return p.build();
  }

  private static HTTPFault fault(HTTPFaultInjection in) {
    HTTPFault.Builder out = HTTPFault.newBuilder();
    boolean any = false;
    if (in.hasDelay() && in.getDelay().hasFixedDelay()) {
      var d = in.getDelay();
      out.setDelay(
          FaultDelay.newBuilder()
              .setFixedDelay(d.getFixedDelay())
              .setPercentage(
                  d.hasPercentage() ? percent(d.getPercentage()) : integerPercent(d.getPercent())));
      any = true;
    }
    if (in.hasAbort()) {
      var a = in.getAbort();
      FaultAbort.Builder abort = FaultAbort.newBuilder();
      if (a.hasPercentage()) {
        abort.setPercentage(percent(a.getPercentage()));
      }
      switch (a.getErrorTypeCase()) {
        case HTTP_STATUS:
          abort.setHttpStatus(a.getHttpStatus());
          break;
        case GRPC_STATUS:
          int code = GrpcStatusCodes.code(a.getGrpcStatus());
          if (code < 0) {
            return any ? out.build() : null;
          }
          abort.setGrpcStatus(code);
          break;
        default:
          return any ? out.build() : null;
      }
      out.setAbort(abort);
      any = true;
    }
    return any ? out.build() : null;
  }

  private static FractionalPercent percent(Percent p) {
    return FractionalPercent.newBuilder()
        .setNumerator((int) (p.getValue() * 10000))
        .setDenominator(FractionalPercent.DenominatorType.MILLION)
        .build();
  }

  private static FractionalPercent integerPercent(int p) {
    return FractionalPercent.newBuilder()
        .setNumerator(p)
        .setDenominator(FractionalPercent.DenominatorType.HUNDRED)
        .build();
  }
}

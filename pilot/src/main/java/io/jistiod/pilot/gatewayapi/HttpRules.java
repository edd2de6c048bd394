package io.jistiod.pilot.gatewayapi;

import com.google.protobuf.BoolValue;
import io.jistiod.galley.api.gateway.v1.GRPCHeaderMatch;
import io.jistiod.galley.api.gateway.v1.GRPCMethodMatch;
import io.jistiod.galley.api.gateway.v1.GRPCRouteFilter;
import io.jistiod.galley.api.gateway.v1.GRPCRouteMatch;
import io.jistiod.galley.api.gateway.v1.GRPCRouteRule;
import io.jistiod.galley.api.gateway.v1.HTTPCORSFilter;
import io.jistiod.galley.api.gateway.v1.HTTPHeaderMatch;
import io.jistiod.galley.api.gateway.v1.HTTPQueryParamMatch;
import io.jistiod.galley.api.gateway.v1.HTTPRequestMirrorFilter;
import io.jistiod.galley.api.gateway.v1.HTTPRequestRedirectFilter;
import io.jistiod.galley.api.gateway.v1.HTTPRouteFilter;
import io.jistiod.galley.api.gateway.v1.HTTPRouteMatch;
import io.jistiod.galley.api.gateway.v1.HTTPRouteRule;
import io.jistiod.galley.api.gateway.v1.HTTPURLRewriteFilter;
import io.jistiod.galley.api.networking.v1alpha3.CorsPolicy;
import io.jistiod.galley.api.networking.v1alpha3.HTTPDirectResponse;
import io.jistiod.galley.api.networking.v1alpha3.HTTPMatchRequest;
import io.jistiod.galley.api.networking.v1alpha3.HTTPMirrorPolicy;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRedirect;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRetry;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRewrite;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRoute;
import io.jistiod.galley.api.networking.v1alpha3.Percent;
import io.jistiod.galley.api.networking.v1alpha3.RegexRewrite;
import io.jistiod.galley.api.networking.v1alpha3.StringMatch;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.parse.GoDurations;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One HTTPRoute or GRPCRoute rule, with at most one of its matches, as the Istio HTTP route istiod
 * generates ({@code convertHTTPRoute}, {@code convertGRPCRoute}): matches, filters, retries and
 * timeouts, destinations.
 */
final class HttpRules {
  static final String INVALID_CONFIGURATION = "InvalidConfiguration";
  static final String INVALID_FILTER = "InvalidFilter";

  private final Backends backends;
  private final WeightedBackends weighted;

  HttpRules(Backends backends) {
    this.backends = backends;
    this.weighted = new WeightedBackends(backends);
  }

  static StatusError unsupportedFilter(String type) {
    return new StatusError(INVALID_FILTER, "unsupported filter type " + RouteParents.quote(type));
  }

  /** The rule's own name, else {@code <namespace>.<route>.<rule index>}. */
  private static String name(boolean hasName, String name, Config route, int index) {
    return hasName ? name : route.namespace() + "." + route.name() + "." + index;
  }

  /**
   * @param match the one match this Istio route carries, or null for a rule without matches
   * @param enforceGrants true when converting for Gateway parents
   */
  RuleResult<HTTPRoute> http(
      Config route, HTTPRouteRule rule, int index, HTTPRouteMatch match, boolean enforceGrants) {
    HTTPRoute.Builder out =
        HTTPRoute.newBuilder().setName(name(rule.hasName(), rule.getName(), route, index));
    if (match != null) {
      RuleResult<HTTPMatchRequest> m = httpMatch(match);
      if (m.route() == null) {
        return RuleResult.hard(m.error());
      }
      out.addMatch(m.route());
    }
    StatusError mirrorError = null;
    for (HTTPRouteFilter f : rule.getFiltersList()) {
      if (WeightedBackends.Filter.of(f).applyHeaders(out::getHeadersBuilder)) {
        continue;
      }
      switch (f.getType()) {
        case "RequestRedirect" -> {
          if (f.hasRequestRedirect()) {
            out.setRedirect(redirect(f.getRequestRedirect()));
          } else {
            out.clearRedirect();
          }
        }
        case "RequestMirror" -> {
          if (f.hasRequestMirror()) {
            RuleResult<HTTPMirrorPolicy> mirror =
                mirror(
                    f.getRequestMirror(), GroupKind.HTTP_ROUTE, route.namespace(), enforceGrants);
            if (mirror.error() != null) {
              mirrorError = mirror.error(); // the mirror is dropped, the route stays
            } else {
              out.addMirrors(mirror.route());
            }
          }
        }
        case "URLRewrite" -> {
          HTTPRewrite rewrite = f.hasUrlRewrite() ? rewrite(f.getUrlRewrite()) : null;
          if (rewrite != null) {
            out.setRewrite(rewrite);
          } else {
            out.clearRewrite();
          }
        }
        case "CORS" -> {
          if (f.hasCors()) {
            out.setCorsPolicy(cors(f.getCors()));
          } else {
            out.clearCorsPolicy();
          }
        }
        default -> {
          return RuleResult.hard(unsupportedFilter(f.getType()));
        }
      }
    }
    if (rule.hasRetry()) {
      var retry = rule.getRetry();
      List<String> retryOn =
          new ArrayList<>(List.of("connect-failure", "refused-stream", "unavailable", "cancelled"));
      retry.getCodesList().forEach(c -> retryOn.add(String.valueOf(c)));
      // Istio's own default when retries are customized without a count.
      int attempts = retry.hasAttempts() ? retry.getAttempts() : 2;
      HTTPRetry.Builder r = out.getRetriesBuilder().setAttempts(attempts);
      if (attempts != 0) {
        r.setRetryOn(String.join(",", retryOn)); // invalid without attempts
      }
      if (retry.hasBackoff()) {
        r.setBackoff(duration(retry.getBackoff()));
      }
    }
    if (rule.hasTimeouts()) {
      var t = rule.getTimeouts();
      if (t.hasRequest() && !isZero(t.getRequest())) {
        out.setTimeout(duration(t.getRequest()));
      }
      if (t.hasBackendRequest() && !isZero(t.getBackendRequest())) {
        if (out.hasRetries()) {
          out.getRetriesBuilder().setPerTryTimeout(duration(t.getBackendRequest()));
        } else {
          out.setTimeout(duration(t.getBackendRequest()));
        }
      }
    }
    List<WeightedBackends.Backend> refs =
        rule.getBackendRefsList().stream().map(WeightedBackends.Backend::of).toList();
    if (WeightedBackends.weightSum(refs) == 0 && !out.hasRedirect()) {
      // The API asks for a 500 when no backend can take the request.
      out.setDirectResponse(HTTPDirectResponse.newBuilder().setStatus(500));
      return new RuleResult<>(out.build(), mirrorError);
    }
    var destinations = weighted.http(refs, GroupKind.HTTP_ROUTE, route.namespace(), enforceGrants);
    if (destinations.route() == null) {
      return RuleResult.hard(destinations.error());
    }
    out.addAllRoute(destinations.route());
    return new RuleResult<>(out.build(), StatusError.join(destinations.error(), mirrorError));
  }

  RuleResult<HTTPRoute> grpc(
      Config route, GRPCRouteRule rule, int index, GRPCRouteMatch match, boolean enforceGrants) {
    HTTPRoute.Builder out =
        HTTPRoute.newBuilder().setName(name(rule.hasName(), rule.getName(), route, index));
    if (match != null) {
      HTTPMatchRequest.Builder m = HTTPMatchRequest.newBuilder();
      if (match.hasMethod()) {
        RuleResult<StringMatch> uri = grpcUri(match.getMethod());
        if (uri.route() == null) {
          return RuleResult.hard(uri.error());
        }
        m.setUri(uri.route());
      }
      for (GRPCHeaderMatch h : match.getHeadersList()) {
        String type = h.hasType() ? h.getType() : "Exact";
        StringMatch value = stringMatch(type, h.getValue());
        if (value == null) {
          return RuleResult.hard(unknownType(type, "HeaderMatch"));
        }
        m.putHeaders(h.getName(), value);
      }
      out.addMatch(m);
    }
    for (GRPCRouteFilter f : rule.getFiltersList()) {
      if (WeightedBackends.Filter.of(f).applyHeaders(out::getHeadersBuilder)) {
        continue;
      }
      switch (f.getType()) {
        case "RequestMirror" -> {
          if (f.hasRequestMirror()) {
            RuleResult<HTTPMirrorPolicy> mirror =
                mirror(
                    f.getRequestMirror(), GroupKind.GRPC_ROUTE, route.namespace(), enforceGrants);
            if (mirror.error() != null) {
              return RuleResult.hard(mirror.error()); // unlike HTTPRoute's, fatal here
            }
            out.addMirrors(mirror.route());
          }
        }
        default -> {
          return RuleResult.hard(unsupportedFilter(f.getType()));
        }
      }
    }
    List<WeightedBackends.Backend> refs =
        rule.getBackendRefsList().stream().map(WeightedBackends.Backend::of).toList();
    if (WeightedBackends.weightSum(refs) == 0) {
      out.setDirectResponse(HTTPDirectResponse.newBuilder().setStatus(500));
      return new RuleResult<>(out.build(), null);
    }
    var destinations = weighted.http(refs, GroupKind.GRPC_ROUTE, route.namespace(), enforceGrants);
    if (destinations.route() == null) {
      return RuleResult.hard(destinations.error());
    }
    out.addAllRoute(destinations.route());
    return new RuleResult<>(out.build(), destinations.error());
  }

  private static RuleResult<HTTPMatchRequest> httpMatch(HTTPRouteMatch match) {
    HTTPMatchRequest.Builder m = HTTPMatchRequest.newBuilder();
    // The CRD defaults the path to PathPrefix "/"; an undefaulted object means the same.
    String type = match.getPath().hasType() ? match.getPath().getType() : "PathPrefix";
    String path = match.getPath().hasValue() ? match.getPath().getValue() : "/";
    switch (type) {
      case "PathPrefix" -> {
        if (!path.equals("/") && path.endsWith("/")) {
          path = path.substring(0, path.length() - 1); // "a trailing / is ignored"
        }
        m.setUri(StringMatch.newBuilder().setPrefix(path));
      }
      case "Exact" -> m.setUri(StringMatch.newBuilder().setExact(path));
      case "RegularExpression" -> m.setUri(StringMatch.newBuilder().setRegex(path));
      default -> {
        return RuleResult.hard(unknownType(type, "Path match"));
      }
    }
    Map<String, StringMatch> headers = new LinkedHashMap<>();
    for (HTTPHeaderMatch h : match.getHeadersList()) {
      String t = h.hasType() ? h.getType() : "Exact";
      StringMatch v = stringMatch(t, h.getValue());
      if (v == null) {
        return RuleResult.hard(unknownType(t, "HeaderMatch"));
      }
      headers.put(h.getName(), v);
    }
    m.putAllHeaders(headers);
    Map<String, StringMatch> params = new LinkedHashMap<>();
    for (HTTPQueryParamMatch q : match.getQueryParamsList()) {
      String t = q.hasType() ? q.getType() : "Exact";
      StringMatch v = stringMatch(t, q.getValue());
      if (v == null) {
        return RuleResult.hard(unknownType(t, "QueryParams"));
      }
      params.put(q.getName(), v);
    }
    m.putAllQueryParams(params);
    if (match.hasMethod()) {
      m.setMethod(StringMatch.newBuilder().setExact(match.getMethod()));
    }
    return new RuleResult<>(m.build(), null);
  }

  private static StringMatch stringMatch(String type, String value) {
    return switch (type) {
      case "Exact" -> StringMatch.newBuilder().setExact(value).build();
      case "RegularExpression" -> StringMatch.newBuilder().setRegex(value).build();
      default -> null;
    };
  }

  private static StatusError unknownType(String type, String what) {
    return new StatusError(
        INVALID_CONFIGURATION,
        "unknown type: " + RouteParents.quote(type) + " is not supported " + what + " type");
  }

  /**
   * {@code /<service>/<method>} as the string match gRPC's path needs ({@code createGRPCURIMatch}).
   */
  private static RuleResult<StringMatch> grpcUri(GRPCMethodMatch m) {
    if (!m.hasMethod() && !m.hasService()) {
      return RuleResult.hard(
          new StatusError(INVALID_CONFIGURATION, "gRPC match must have method or service defined"));
    }
    String type = m.hasType() ? m.getType() : "Exact";
    StringMatch.Builder s = StringMatch.newBuilder();
    switch (type) {
      case "Exact" -> {
        if (!m.hasMethod()) {
          s.setPrefix("/" + m.getService() + "/");
        } else if (!m.hasService()) {
          s.setRegex("/[^/]+/" + m.getMethod());
        } else {
          s.setExact("/" + m.getService() + "/" + m.getMethod());
        }
      }
      case "RegularExpression" -> {
        if (!m.hasMethod()) {
          s.setRegex("/" + m.getService() + "/.+");
        } else if (!m.hasService()) {
          s.setRegex("/[^/]+/" + m.getMethod());
        } else {
          s.setRegex("/" + m.getService() + "/" + m.getMethod());
        }
      }
      default -> {
        return RuleResult.hard(unknownType(type, "Path match"));
      }
    }
    return new RuleResult<>(s.build(), null);
  }

  private static HTTPRedirect redirect(HTTPRequestRedirectFilter f) {
    HTTPRedirect.Builder r = HTTPRedirect.newBuilder();
    if (f.hasStatusCode()) {
      r.setRedirectCode(f.getStatusCode());
    }
    if (f.hasHostname()) {
      r.setAuthority(f.getHostname());
    }
    if (f.hasScheme()) {
      r.setScheme(f.getScheme());
    }
    if (f.hasPort()) {
      r.setPort(f.getPort());
    } else {
      // "When empty, port (if specified) of the request is used", unlike Istio's default.
      r.setDerivePort(
          f.hasScheme()
              ? HTTPRedirect.RedirectPortSelection.FROM_PROTOCOL_DEFAULT
              : HTTPRedirect.RedirectPortSelection.FROM_REQUEST_PORT);
    }
    if (f.hasPath()) {
      switch (f.getPath().getType()) {
        case "ReplaceFullPath" -> r.setUri(f.getPath().getReplaceFullPath());
        case "ReplacePrefixMatch" -> r.setUri("%PREFIX()%" + f.getPath().getReplacePrefixMatch());
        default -> {}
      }
    }
    return r.build();
  }

  /** Null when the filter changes nothing. */
  private static HTTPRewrite rewrite(HTTPURLRewriteFilter f) {
    HTTPRewrite.Builder r = HTTPRewrite.newBuilder();
    if (f.hasPath()) {
      switch (f.getPath().getType()) {
        case "ReplacePrefixMatch" -> {
          String prefix = f.getPath().getReplacePrefixMatch();
          prefix = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
          r.setUri(prefix.isEmpty() ? "/" : prefix); // "/" removes the prefix
        }
        case "ReplaceFullPath" ->
            r.setUriRegexRewrite(
                RegexRewrite.newBuilder()
                    .setMatch("/.*")
                    .setRewrite(f.getPath().getReplaceFullPath()));
        default -> {}
      }
    }
    if (f.hasHostname()) {
      r.setAuthority(f.getHostname());
    }
    if (r.getUri().isEmpty() && !r.hasUriRegexRewrite() && r.getAuthority().isEmpty()) {
      return null;
    }
    return r.build();
  }

  private static CorsPolicy cors(HTTPCORSFilter f) {
    CorsPolicy.Builder c = CorsPolicy.newBuilder();
    for (String origin : f.getAllowOriginsList()) {
      if (!origin.isEmpty()) {
        c.addAllowOrigins(StringMatch.newBuilder().setExact(origin));
      }
    }
    if (f.getAllowCredentials()) {
      c.setAllowCredentials(BoolValue.of(true));
    }
    c.addAllAllowMethods(f.getAllowMethodsList())
        .addAllAllowHeaders(f.getAllowHeadersList())
        .addAllExposeHeaders(f.getExposeHeadersList());
    if (f.getMaxAge() > 0) {
      c.setMaxAge(com.google.protobuf.Duration.newBuilder().setSeconds(f.getMaxAge()));
    }
    return c.build();
  }

  /** A mirror, or the backend problem that drops it. */
  private RuleResult<HTTPMirrorPolicy> mirror(
      HTTPRequestMirrorFilter f, GroupKind routeKind, String namespace, boolean enforceGrants) {
    var b = f.getBackendRef();
    Backends.Built built = backends.build(Backends.Ref.of(b), routeKind, namespace, enforceGrants);
    if (built.error() != null) {
      return RuleResult.hard(built.error());
    }
    HTTPMirrorPolicy.Builder m = HTTPMirrorPolicy.newBuilder().setDestination(built.destination());
    if (f.hasFraction()) {
      int denominator = f.getFraction().hasDenominator() ? f.getFraction().getDenominator() : 100;
      m.setPercentage(
          Percent.newBuilder().setValue(100.0 * f.getFraction().getNumerator() / denominator));
    } else if (f.hasPercent()) {
      m.setPercentage(Percent.newBuilder().setValue(f.getPercent()));
    }
    return new RuleResult<>(m.build(), null);
  }

  /** A Go duration ("1ms", "1.5s"); what Go cannot read is zero, as istiod ignores the error. */
  private static com.google.protobuf.Duration duration(String goDuration) {
    java.time.Duration d = GoDurations.parse(goDuration);
    if (d == null) {
      d = java.time.Duration.ZERO;
    }
    return com.google.protobuf.Duration.newBuilder()
        .setSeconds(d.getSeconds())
        .setNanos(d.getNano())
        .build();
  }

  private static boolean isZero(String goDuration) {
    java.time.Duration d = GoDurations.parse(goDuration);
    return d == null || d.isZero();
  }
}

package io.jistiod.galley.validation;

import io.jistiod.galley.api.networking.v1alpha3.CorsPolicy;
import io.jistiod.galley.api.networking.v1alpha3.HTTPDirectResponse;
import io.jistiod.galley.api.networking.v1alpha3.HTTPFaultInjection;
import io.jistiod.galley.api.networking.v1alpha3.HTTPMatchRequest;
import io.jistiod.galley.api.networking.v1alpha3.HTTPMirrorPolicy;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRedirect;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRetry;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRewrite;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRoute;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRouteDestination;
import io.jistiod.galley.api.networking.v1alpha3.L4MatchAttributes;
import io.jistiod.galley.api.networking.v1alpha3.Percent;
import io.jistiod.galley.api.networking.v1alpha3.RouteDestination;
import io.jistiod.galley.api.networking.v1alpha3.StringMatch;
import io.jistiod.galley.api.networking.v1alpha3.TCPRoute;
import io.jistiod.galley.api.networking.v1alpha3.TLSMatchAttributes;
import io.jistiod.galley.api.networking.v1alpha3.TLSRoute;
import io.jistiod.galley.api.networking.v1alpha3.VirtualService;
import io.jistiod.galley.config.Config;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Istio's rules for VirtualService. */
final class VirtualServiceValidator implements ConfigValidator {
  static final String MESH = "mesh";

  private static final Set<String> CORS_METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE", "*");

  private static final Set<String> GRPC_STATUS =
      Set.of(
          "OK",
          "CANCELLED",
          "UNKNOWN",
          "INVALID_ARGUMENT",
          "DEADLINE_EXCEEDED",
          "NOT_FOUND",
          "ALREADY_EXISTS",
          "PERMISSION_DENIED",
          "RESOURCE_EXHAUSTED",
          "FAILED_PRECONDITION",
          "ABORTED",
          "OUT_OF_RANGE",
          "UNIMPLEMENTED",
          "INTERNAL",
          "UNAVAILABLE",
          "DATA_LOSS",
          "UNAUTHENTICATED");

  /** Envoy's x-envoy-retry-on and x-envoy-retry-grpc-on policies. */
  private static final Set<String> RETRY_ON =
      Set.of(
          "5xx",
          "gateway-error",
          "reset",
          "reset-before-request",
          "connect-failure",
          "retriable-4xx",
          "refused-stream",
          "retriable-status-codes",
          "retriable-headers",
          "envoy-ratelimited",
          "http3-post-connect-failure",
          "cancelled",
          "deadline-exceeded",
          "internal",
          "resource-exhausted",
          "unavailable");

  /** The HTTP status codes Go's net/http names; Istio accepts these in retryOn. */
  private static final Set<Integer> KNOWN_STATUS =
      Set.of(
          100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303,
          304, 305, 307, 308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413,
          414, 415, 416, 417, 418, 421, 422, 423, 424, 425, 426, 428, 429, 431, 451, 500, 501, 502,
          503, 504, 505, 506, 507, 508, 510, 511);

  private static final int KB = 1024;
  private static final int MB = 1024 * KB;

  @Override
  public List<ValidationMessage> validate(Config config) {
    VirtualService vs = config.spec(VirtualService.class);
    Findings f = new Findings();
    boolean delegate = vs.getHostsCount() == 0;
    if (delegate) {
      if (vs.getGatewaysCount() > 0) {
        f.error(
            "spec.gateways",
            "a delegate VirtualService (one without hosts) must not name gateways");
      }
      if (vs.getTlsCount() > 0) {
        f.error(
            "spec.tls", "a delegate VirtualService (one without hosts) must not have tls routes");
      }
      if (vs.getTcpCount() > 0) {
        f.error(
            "spec.tcp", "a delegate VirtualService (one without hosts) must not have tcp routes");
      }
    }
    boolean appliesToGateway = false;
    if (vs.getGatewaysCount() > 0) {
      gatewayNames(vs.getGatewaysList(), "spec.gateways", f);
      appliesToGateway = !vs.getGatewaysList().contains(MESH);
    }
    boolean appliesToMesh = !appliesToGateway;
    if (!appliesToGateway) {
      for (int i = 0; i < vs.getHttpCount(); i++) {
        Deadline.check();
        HTTPRoute r = vs.getHttp(i);
        for (int j = 0; j < r.getMatchCount(); j++) {
          Deadline.check();
          String mpath = "spec.http[" + i + "].match[" + j + "]";
          jwtClaimKeys(r.getMatch(j).getHeadersMap(), mpath + ".headers", f);
          jwtClaimKeys(r.getMatch(j).getWithoutHeadersMap(), mpath + ".withoutHeaders", f);
        }
      }
    }
    hosts(vs, appliesToGateway, appliesToMesh, f);
    if (vs.getHttpCount() == 0 && vs.getTcpCount() == 0 && vs.getTlsCount() == 0) {
      f.error("spec", "at least one http, tcp or tls route is required");
    }
    for (int i = 0; i < vs.getHttpCount(); i++) {
      Deadline.check();
      httpRoute(vs.getHttp(i), delegate, "spec.http[" + i + "]", f);
    }
    for (int i = 0; i < vs.getTlsCount(); i++) {
      Deadline.check();
      tlsRoute(vs.getTls(i), vs, "spec.tls[" + i + "]", f);
    }
    for (int i = 0; i < vs.getTcpCount(); i++) {
      Deadline.check();
      tcpRoute(vs.getTcp(i), "spec.tcp[" + i + "]", f);
    }
    Common.exportTo(config.namespace(), vs.getExportToList(), false, false, "spec.exportTo", f);
    UnreachableRoutes.check(vs, f);
    return f.messages();
  }

  private static void jwtClaimKeys(Map<String, StringMatch> headers, String path, Findings f) {
    for (String key : headers.keySet()) {
      Deadline.check();
      if (Headers.isJwtClaimRoute(key)) {
        f.error(
            Findings.key(path, key),
            "routing on JWT claims is only supported for VirtualServices bound to gateways"
                + " (not to the mesh)");
      }
    }
  }

  private static void hosts(
      VirtualService vs, boolean appliesToGateway, boolean appliesToMesh, Findings f) {
    boolean allValid = true;
    boolean sni = hasSniHosts(vs);
    for (int i = 0; i < vs.getHostsCount(); i++) {
      Deadline.check();
      String h = vs.getHosts(i);
      String problem =
          appliesToGateway ? Hosts.gatewayBoundHostProblem(sni, h) : Hosts.wildcardDomainProblem(h);
      if (problem != null) {
        if (!Ips.isAddress(h)) {
          f.error("spec.hosts[" + i + "]", problem);
          allValid = false;
        }
      } else if (appliesToMesh && h.equals("*")) {
        f.error(
            "spec.hosts[" + i + "]",
            "the wildcard host \"*\" is not allowed for VirtualServices bound to the mesh");
        allValid = false;
      }
    }
    if (allValid) {
      duplicateHosts(vs.getHostsList(), f);
    }
  }

  /** Pairs reported at most; a list of 60k copies of one host would otherwise be 1.8e9 pairs. */
  static final int MAX_DUPLICATE_PAIRS = 100;

  /**
   * Every pair of overlapping hosts (Istio reports each pair i &lt; j), found through an index in
   * time linear in the hosts' length rather than by comparing every pair.
   */
  private static void duplicateHosts(List<String> hosts, Findings f) {
    HostOverlapIndex earlier = new HostOverlapIndex();
    int reported = 0;
    for (int j = 0; j < hosts.size(); j++) {
      Deadline.check();
      List<Integer> overlapping = new ArrayList<>();
      int room = MAX_DUPLICATE_PAIRS - reported;
      earlier.forEachOverlap(
          hosts.get(j),
          i -> {
            overlapping.add(i);
            return overlapping.size() <= room;
          });
      Collections.sort(overlapping);
      for (int i : overlapping) {
        Deadline.check();
        if (reported == MAX_DUPLICATE_PAIRS) {
          f.error("spec.hosts", "more duplicate hosts not listed (first " + reported + " shown)");
          return;
        }
        f.error(
            "spec.hosts[" + j + "]",
            "duplicate hosts: \"" + hosts.get(j) + "\" overlaps \"" + hosts.get(i) + "\"");
        reported++;
      }
      earlier.add(hosts.get(j), j);
    }
  }

  private static boolean hasSniHosts(VirtualService vs) {
    for (TLSRoute t : vs.getTlsList()) {
      Deadline.check();
      for (TLSMatchAttributes m : t.getMatchList()) {
        Deadline.check();
        if (m.getSniHostsCount() > 0) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Gateway references: {@code namespace/name} with DNS-label parts, or the legacy bare name (a
   * FQDN, warned about when dotted). As in Istio, checking stops at the first bare name.
   */
  static void gatewayNames(List<String> gateways, String path, Findings f) {
    for (int i = 0; i < gateways.size(); i++) {
      Deadline.check();
      String g = gateways.get(i);
      String where = Findings.at(path, i);
      int slash = g.indexOf('/');
      if (slash < 0) {
        if (g.contains(".")) {
          String[] parts = g.split("\\.", -1);
          f.warning(
              where,
              "legacy gateway name format \""
                  + g
                  + "\"; prefer <namespace>/<name>: \""
                  + parts[1]
                  + "/"
                  + parts[0]
                  + "\"");
        }
        f.errorIf(where, Hosts.fqdnProblem(g));
        return;
      }
      String ns = g.substring(0, slash);
      String name = g.substring(slash + 1);
      if (ns.isEmpty() || name.isEmpty()) {
        f.error(where, "gateway namespace and name must not be empty");
      }
      if (!Labels.isDns1123Label(ns)) {
        f.error(where, "invalid gateway namespace \"" + ns + "\"");
      }
      if (!Labels.isDns1123Label(name)) {
        f.error(where, "invalid gateway name \"" + name + "\"");
      }
    }
  }

  private static void httpRoute(HTTPRoute r, boolean delegate, String path, Findings f) {
    conflicts(r, delegate, path, f);
    for (int j = 0; j < r.getMatchCount(); j++) {
      Deadline.check();
      match(r.getMatch(j), path + ".match[" + j + "]", f);
    }
    if (r.hasHeaders()) {
      Common.headers(r.getHeaders(), path + ".headers", f);
    }
    if (r.hasCorsPolicy()) {
      cors(r.getCorsPolicy(), path + ".corsPolicy", f);
    }
    if (r.hasFault()) {
      fault(r.getFault(), path + ".fault", f);
    }
    if (r.hasMirrorPercent()) {
      long v = Integer.toUnsignedLong(r.getMirrorPercent().getValue());
      if (v > 100) {
        f.error(path + ".mirrorPercent", "must be at most 100, got " + v);
      }
      f.warning(path + ".mirrorPercent", "mirrorPercent is deprecated; use mirrorPercentage");
    }
    if (r.hasMirrorPercentage()) {
      mirrorPercentage(r.getMirrorPercentage(), path + ".mirrorPercentage", f);
    }
    if (r.hasMirror()) {
      Common.destination(r.getMirror(), path + ".mirror", f);
    }
    for (int j = 0; j < r.getMirrorsCount(); j++) {
      Deadline.check();
      HTTPMirrorPolicy m = r.getMirrors(j);
      String mpath = path + ".mirrors[" + j + "]";
      if (!m.hasDestination()) {
        f.error(mpath + ".destination", "a mirror needs a destination");
        continue;
      }
      Common.destination(m.getDestination(), mpath + ".destination", f);
      if (m.hasPercentage()) {
        mirrorPercentage(m.getPercentage(), mpath + ".percentage", f);
      }
    }
    if (r.hasRedirect()) {
      redirect(r.getRedirect(), r.getMatchList(), path + ".redirect", f);
    }
    if (r.hasDirectResponse()) {
      directResponse(r.getDirectResponse(), path + ".directResponse", f);
    }
    if (r.hasRetries()) {
      retries(r.getRetries(), path + ".retries", f);
    }
    if (r.hasRewrite()) {
      rewrite(r.getRewrite(), path + ".rewrite", f);
    }
    authorityRewrite(r, path, f);
    httpDestinations(r.getRouteList(), path + ".route", f);
    if (r.hasTimeout()) {
      Durations.check(r.getTimeout(), path + ".timeout", f);
    }
  }

  private static void conflicts(HTTPRoute r, boolean delegate, String path, Findings f) {
    boolean root = !delegate && r.hasDelegate();
    if (root) {
      if (r.hasRedirect()) {
        f.error(path + ".redirect", "a route that delegates must not have a redirect");
      }
      if (r.getRouteCount() > 0) {
        f.error(path + ".route", "a route that delegates must not have destinations");
      }
      return;
    }
    if (delegate && r.hasDelegate()) {
      f.error(path + ".delegate", "a route of a delegate VirtualService cannot delegate again");
    }
    if (r.hasRedirect()) {
      if (r.getRouteCount() > 0) {
        f.error(path, "a route cannot have both destinations (route) and a redirect");
      }
      if (r.hasFault()) {
        f.error(path, "a route cannot have both fault injection and a redirect");
      }
      if (r.hasRewrite()) {
        f.error(path, "a route cannot have both a rewrite and a redirect");
      }
      if (r.hasDirectResponse()) {
        f.error(path, "a route cannot have both a direct response and a redirect");
      }
    } else if (r.hasDirectResponse()) {
      if (r.getRouteCount() > 0) {
        f.error(path, "a route cannot have both destinations (route) and a direct response");
      }
      if (r.hasFault()) {
        f.error(path, "a route cannot have both fault injection and a direct response");
      }
      if (r.hasRewrite()) {
        f.error(path, "a route cannot have both a rewrite and a direct response");
      }
    } else if (r.getRouteCount() == 0) {
      f.error(path, "a route needs destinations (route), a redirect or a direct response");
    }
    if (r.hasMirror() && r.getMirrorsCount() > 0) {
      f.error(path, "a route cannot have both mirror and mirrors");
    }
  }

  private static void match(HTTPMatchRequest m, String path, Findings f) {
    m.getHeadersMap()
        .forEach(
            (name, sm) -> {
              String where = Findings.key(path + ".headers", name);
              f.errorIf(where, Headers.matchNameProblem(name));
              Common.stringMatch(sm, where, f);
            });
    m.getWithoutHeadersMap()
        .forEach(
            (name, sm) -> {
              String where = Findings.key(path + ".withoutHeaders", name);
              f.errorIf(where, Headers.matchNameProblem(name));
              // "*" is not a regex here: it means "the header is present".
              if (!(sm.getMatchTypeCase() == StringMatch.MatchTypeCase.REGEX
                  && sm.getRegex().equals("*"))) {
                Common.stringMatch(sm, where, f);
              }
            });
    if (m.hasUri()) {
      Common.stringMatchRegex(m.getUri(), path + ".uri", f); // an empty uri prefix is fine
    }
    if (m.hasScheme()) {
      Common.stringMatch(m.getScheme(), path + ".scheme", f);
    }
    if (m.hasMethod()) {
      Common.stringMatch(m.getMethod(), path + ".method", f);
    }
    if (m.hasAuthority()) {
      Common.stringMatch(m.getAuthority(), path + ".authority", f);
    }
    m.getQueryParamsMap()
        .forEach((k, sm) -> Common.stringMatch(sm, Findings.key(path + ".queryParams", k), f));
    if (m.getPort() != 0) {
      Ports.number(Integer.toUnsignedLong(m.getPort()), path + ".port", f);
    }
    Labels.check(m.getSourceLabelsMap(), path + ".sourceLabels", f);
    gatewayNames(m.getGatewaysList(), path + ".gateways", f);
    if (!m.getSourceNamespace().isEmpty() && !Labels.isDns1123Label(m.getSourceNamespace())) {
      f.error(
          path + ".sourceNamespace",
          "invalid namespace \"" + m.getSourceNamespace() + "\" (must be a DNS-1123 label)");
    }
  }

  private static void cors(CorsPolicy c, String path, Findings f) {
    for (int i = 0; i < c.getAllowOriginsCount(); i++) {
      Deadline.check();
      StringMatch o = c.getAllowOrigins(i);
      String where = Findings.at(path + ".allowOrigins", i);
      String value;
      switch (o.getMatchTypeCase()) {
        case EXACT:
          value = o.getExact();
          break;
        case PREFIX:
          value = o.getPrefix();
          break;
        case REGEX:
          value = o.getRegex();
          break;
        default:
          value = "";
      }
      if (value.isEmpty()) {
        f.error(where, "an allowed origin needs a non-empty exact, prefix or regex match");
      } else {
        Common.stringMatchRegex(o, where, f);
      }
    }
    for (int i = 0; i < c.getAllowMethodsCount(); i++) {
      Deadline.check();
      if (!CORS_METHODS.contains(c.getAllowMethods(i))) {
        f.error(
            Findings.at(path + ".allowMethods", i),
            "\"" + c.getAllowMethods(i) + "\" is not a supported HTTP method");
      }
    }
    for (int i = 0; i < c.getAllowHeadersCount(); i++) {
      Deadline.check();
      f.errorIf(
          Findings.at(path + ".allowHeaders", i), Headers.corsNameProblem(c.getAllowHeaders(i)));
    }
    for (int i = 0; i < c.getExposeHeadersCount(); i++) {
      Deadline.check();
      f.errorIf(
          Findings.at(path + ".exposeHeaders", i), Headers.corsNameProblem(c.getExposeHeaders(i)));
    }
    if (c.hasMaxAge()) {
      Durations.check(c.getMaxAge(), path + ".maxAge", f);
      if (c.getMaxAge().getNanos() > 0) {
        f.error(path + ".maxAge", "maxAge is only accurate to whole seconds");
      }
    }
  }

  private static void fault(HTTPFaultInjection fault, String path, Findings f) {
    if (!fault.hasAbort() && !fault.hasDelay()) {
      f.error(path, "fault injection needs an abort, a delay or both");
    }
    if (fault.hasAbort()) {
      HTTPFaultInjection.Abort a = fault.getAbort();
      String apath = path + ".abort";
      if (a.hasPercentage()) {
        faultPercentage(a.getPercentage(), apath + ".percentage", f);
      }
      switch (a.getErrorTypeCase()) {
        case GRPC_STATUS:
          if (!GRPC_STATUS.contains(a.getGrpcStatus())) {
            f.error(
                apath + ".grpcStatus",
                "unsupported gRPC status \""
                    + a.getGrpcStatus()
                    + "\" (use a code name such as NOT_FOUND)");
          }
          break;
        case HTTP2_ERROR:
          f.error(apath + ".http2Error", "HTTP/2 abort fault injection is not supported yet");
          break;
        case HTTP_STATUS:
          httpStatus(a.getHttpStatus(), apath + ".httpStatus", f);
          break;
        default:
          f.warning(apath, "abort is configured without an error type (httpStatus or grpcStatus)");
      }
    }
    if (fault.hasDelay()) {
      HTTPFaultInjection.Delay d = fault.getDelay();
      String dpath = path + ".delay";
      if (d.hasPercentage()) {
        faultPercentage(d.getPercentage(), dpath + ".percentage", f);
      }
      switch (d.getHttpDelayTypeCase()) {
        case FIXED_DELAY:
          Durations.check(d.getFixedDelay(), dpath + ".fixedDelay", f);
          break;
        case EXPONENTIAL_DELAY:
          Durations.check(d.getExponentialDelay(), dpath + ".exponentialDelay", f);
          f.error(dpath + ".exponentialDelay", "exponentialDelay is not supported yet");
          break;
        default:
          break;
      }
    }
  }

  private static void faultPercentage(Percent p, String path, Findings f) {
    double v = p.getValue();
    if (!(v >= 0 && v <= 100) || (v > 0 && v < 0.0001)) {
      f.error(path + ".value", "percentage " + v + " must be 0 or between 0.0001 and 100");
    }
  }

  private static void mirrorPercentage(Percent p, String path, Findings f) {
    double v = p.getValue();
    if (v > 100) {
      f.error(path + ".value", "mirror percentage must be at most 100, got " + v);
    }
    if (v < 0) {
      f.error(path + ".value", "mirror percentage must not be negative, got " + v);
    }
  }

  private static void httpStatus(long status, String path, Findings f) {
    if (status < 200 || status > 600) {
      f.error(path, "HTTP status " + status + " is not between 200 and 599");
    }
  }

  private static void redirect(
      HTTPRedirect r, List<HTTPMatchRequest> matches, String path, Findings f) {
    // Istio reports only the first problem of a redirect.
    if (!r.getUri().isEmpty() && !r.getPrefixRewrite().isEmpty()) {
      f.error(path, "a redirect may have uri or prefixRewrite, not both");
      return;
    }
    if (!r.getPrefixRewrite().isEmpty()) {
      for (HTTPMatchRequest m : matches) {
        Deadline.check();
        if (m.hasUri() && m.getUri().getMatchTypeCase() != StringMatch.MatchTypeCase.PREFIX) {
          f.error(
              path + ".prefixRewrite", "prefixRewrite needs every uri match to be a prefix match");
          return;
        }
      }
    }
    if (r.getUri().isEmpty()
        && r.getPrefixRewrite().isEmpty()
        && r.getAuthority().isEmpty()
        && r.getRedirectPortCase() == HTTPRedirect.RedirectPortCase.REDIRECTPORT_NOT_SET
        && r.getScheme().isEmpty()) {
      f.error(path, "a redirect needs a uri, prefixRewrite, authority, scheme or port");
      return;
    }
    long code = Integer.toUnsignedLong(r.getRedirectCode());
    if (code != 0 && (code < 300 || code > 399)) {
      f.error(path + ".redirectCode", code + " is not a redirect code (3xx)");
      return;
    }
    if (!r.getScheme().isEmpty()
        && !r.getScheme().equals("http")
        && !r.getScheme().equals("https")) {
      f.error(path + ".scheme", "redirect scheme must be \"http\" or \"https\"");
      return;
    }
    if (r.getPort() != 0) {
      Ports.number(Integer.toUnsignedLong(r.getPort()), path + ".port", f);
    }
  }

  private static void directResponse(HTTPDirectResponse d, String path, Findings f) {
    if (d.hasBody()) {
      long size;
      switch (d.getBody().getSpecifierCase()) {
        case STRING:
          size = d.getBody().getString().getBytes(StandardCharsets.UTF_8).length;
          break;
        case BYTES:
          size = d.getBody().getBytes().size();
          break;
        default:
          size = 0;
      }
      if (size > MB) {
        f.error(
            path + ".body",
            "a direct response body must be smaller than 1MB, got " + size + " bytes");
      } else if (size > 100 * KB) {
        f.warning(path + ".body", "large direct response bodies may slow down the control plane");
      }
    }
    httpStatus(Integer.toUnsignedLong(d.getStatus()), path + ".status", f);
  }

  private static void retries(HTTPRetry r, String path, Findings f) {
    if (r.getAttempts() < 0) {
      f.error(path + ".attempts", "must not be negative");
    }
    if (r.getAttempts() == 0
        && (r.hasPerTryTimeout() || !r.getRetryOn().isEmpty() || r.hasRetryRemoteLocalities())) {
      f.error(path, "retry settings are configured but attempts is 0, which disables retries");
    }
    if (r.hasPerTryTimeout()) {
      Durations.check(r.getPerTryTimeout(), path + ".perTryTimeout", f);
    }
    if (!r.getRetryOn().isEmpty()) {
      for (String policy : r.getRetryOn().split(",", -1)) {
        Deadline.check();
        if (!RETRY_ON.contains(policy) && !KNOWN_STATUS.contains(goAtoi(policy))) {
          f.error(path + ".retryOn", "\"" + policy + "\" is not a valid retryOn policy");
        }
      }
    }
    if (r.hasBackoff()) {
      Durations.check(r.getBackoff(), path + ".backoff", f);
    }
  }

  /** Go's strconv.Atoi, with 0 for anything it rejects. */
  static int goAtoi(String s) {
    int start = s.startsWith("+") || s.startsWith("-") ? 1 : 0;
    if (start == s.length() || s.length() > 10) {
      return 0;
    }
    for (int i = start; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return 0;
      }
    }
    long v = Long.parseLong(s);
    return v > Integer.MAX_VALUE || v < Integer.MIN_VALUE ? 0 : (int) v;
  }

  private static void rewrite(HTTPRewrite r, String path, Findings f) {
    if (!r.getUri().isEmpty() && r.hasUriRegexRewrite()) {
      f.error(path, "a rewrite may have uri or uriRegexRewrite, not both");
      return;
    }
    if (r.getUri().isEmpty() && !r.hasUriRegexRewrite() && r.getAuthority().isEmpty()) {
      f.error(path, "a rewrite needs a uri, uriRegexRewrite or authority");
      return;
    }
    if (r.hasUriRegexRewrite()) {
      var rr = r.getUriRegexRewrite();
      if (rr.getMatch().isEmpty() || rr.getRewrite().isEmpty()) {
        f.error(path + ".uriRegexRewrite", "uriRegexRewrite needs both match and rewrite");
        return;
      }
      Regexes.check(rr.getMatch(), path + ".uriRegexRewrite.match", f);
    }
  }

  /** The authority may be rewritten in one place only: rewrite.authority or one header. */
  private static void authorityRewrite(HTTPRoute r, String path, Findings f) {
    String current = r.getRewrite().getAuthority();
    var request = r.getHeaders().getRequest();
    for (var e : request.getSetMap().entrySet()) {
      Deadline.check();
      if (Headers.isAuthority(e.getKey())) {
        if (!current.isEmpty()) {
          f.error(
              path + ".headers.request.set[" + e.getKey() + "]",
              "the authority is already rewritten to \"" + current + "\"; it can be set only once");
          return;
        }
        current = e.getValue();
      }
    }
    for (var e : request.getAddMap().entrySet()) {
      Deadline.check();
      if (Headers.isAuthority(e.getKey())) {
        if (!current.isEmpty()) {
          f.error(
              path + ".headers.request.add[" + e.getKey() + "]",
              "the authority is already rewritten to \"" + current + "\"; it can be set only once");
          return;
        }
        current = e.getValue();
      }
    }
  }

  private static void httpDestinations(List<HTTPRouteDestination> routes, String path, Findings f) {
    long total = 0;
    for (int j = 0; j < routes.size(); j++) {
      Deadline.check();
      HTTPRouteDestination d = routes.get(j);
      String dpath = Findings.at(path, j);
      if (!d.hasDestination()) {
        f.error(dpath + ".destination", "destination is required");
      }
      if (d.hasHeaders()) {
        Common.headers(d.getHeaders(), dpath + ".headers", f);
      }
      if (d.hasDestination()) {
        Common.destination(d.getDestination(), dpath + ".destination", f);
      }
      if (d.getWeight() < 0) {
        f.error(dpath + ".weight", "weight " + d.getWeight() + " must not be negative");
      }
      total += d.getWeight();
    }
    if (routes.size() > 1 && total == 0) {
      f.error(path, "the total weight of the destinations is 0");
    }
  }

  static void routeDestinations(List<RouteDestination> routes, String path, Findings f) {
    long total = 0;
    for (int j = 0; j < routes.size(); j++) {
      Deadline.check();
      RouteDestination d = routes.get(j);
      String dpath = Findings.at(path, j);
      if (!d.hasDestination()) {
        f.error(dpath + ".destination", "destination is required");
      } else {
        Common.destination(d.getDestination(), dpath + ".destination", f);
      }
      if (d.getWeight() < 0) {
        f.error(dpath + ".weight", "weight " + d.getWeight() + " must not be negative");
      }
      total += d.getWeight();
    }
    if (routes.size() > 1 && total == 0) {
      f.error(path, "the total weight of the destinations is 0");
    }
  }

  private static void tlsRoute(TLSRoute t, VirtualService vs, String path, Findings f) {
    if (t.getMatchCount() == 0) {
      f.error(path + ".match", "a TLS route needs at least one match");
    }
    for (int j = 0; j < t.getMatchCount(); j++) {
      Deadline.check();
      TLSMatchAttributes m = t.getMatch(j);
      String mpath = path + ".match[" + j + "]";
      if (m.getSniHostsCount() == 0) {
        f.error(mpath + ".sniHosts", "a TLS match needs at least one SNI host");
      }
      for (int k = 0; k < m.getSniHostsCount(); k++) {
        Deadline.check();
        sniHost(m.getSniHosts(k), vs, Findings.at(mpath + ".sniHosts", k), f);
      }
      for (int k = 0; k < m.getDestinationSubnetsCount(); k++) {
        Deadline.check();
        subnet(m.getDestinationSubnets(k), Findings.at(mpath + ".destinationSubnets", k), f);
      }
      if (m.getPort() != 0) {
        Ports.number(Integer.toUnsignedLong(m.getPort()), mpath + ".port", f);
      }
      Labels.check(m.getSourceLabelsMap(), mpath + ".sourceLabels", f);
      gatewayNames(m.getGatewaysList(), mpath + ".gateways", f);
    }
    if (t.getRouteCount() == 0) {
      f.error(path + ".route", "a TLS route needs destinations");
    }
    routeDestinations(t.getRouteList(), path + ".route", f);
  }

  private static void sniHost(String sni, VirtualService vs, String path, Findings f) {
    // As in Istio, a VirtualService without gateways is checked like a gateway-bound one here.
    boolean gateway = !vs.getGatewaysList().contains(MESH);
    String problem =
        gateway ? Hosts.gatewayBoundHostProblem(true, sni) : Hosts.wildcardDomainProblem(sni);
    if (problem != null) {
      if (Ips.isAddress(sni)) {
        f.warning(
            path,
            "an IP address (\""
                + sni
                + "\") as SNI host goes against the SNI spec; most clients"
                + " do not send one");
      } else {
        f.error(path, problem);
      }
      return;
    }
    for (String h : vs.getHostsList()) {
      Deadline.check();
      if (Hosts.subsetOf(sni, h)) {
        return;
      }
    }
    f.error(
        path,
        "SNI host \""
            + sni
            + "\" is not covered by any host of the VirtualService "
            + vs.getHostsList());
  }

  static void subnet(String s, String path, Findings f) {
    if (!Ips.isAddressOrPrefix(s)) {
      f.error(path, "\"" + s + "\" is not a valid IP address or CIDR block");
    }
  }

  private static void tcpRoute(TCPRoute t, String path, Findings f) {
    for (int j = 0; j < t.getMatchCount(); j++) {
      Deadline.check();
      L4MatchAttributes m = t.getMatch(j);
      String mpath = path + ".match[" + j + "]";
      for (int k = 0; k < m.getDestinationSubnetsCount(); k++) {
        Deadline.check();
        subnet(m.getDestinationSubnets(k), Findings.at(mpath + ".destinationSubnets", k), f);
      }
      if (m.getPort() != 0) {
        Ports.number(Integer.toUnsignedLong(m.getPort()), mpath + ".port", f);
      }
      Labels.check(m.getSourceLabelsMap(), mpath + ".sourceLabels", f);
      gatewayNames(m.getGatewaysList(), mpath + ".gateways", f);
    }
    if (t.getRouteCount() == 0) {
      f.error(path + ".route", "a TCP route needs destinations");
    }
    routeDestinations(t.getRouteList(), path + ".route", f);
  }
}

package io.jistiod.it.sidebyside;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The essential content of an xDS resource, as the side-by-side comparison sees it: what decides
 * where traffic goes and how, without telemetry, stats names and opaque Istio filter configs. Works
 * on the proto3 JSON of the resource ({@link ProtoJson}) and flattens it to {@code path -> value}
 * so two servers' resources can be compared entry by entry.
 *
 * <ul>
 *   <li>listeners: address, listener filters, original-destination use, per-connection buffer limit
 *       (EnvoyFilters set it; istiod does not); per filter chain (keyed by its name, else its
 *       match): the match, the network filters' names, the TCP proxy's cluster(s), idle timeout,
 *       hash policy, tunneling and connection duration, the HTTP connection manager's RDS name or
 *       inline route, its HTTP filters' names, its protocol options (idle and stream timeouts,
 *       HTTP/2 settings, path normalisation), the access logs of listeners, TCP proxies and HTTP
 *       connection managers whole (logger, filter, format; a JSON format's keys compared as a map,
 *       not in order), its tracing block whole (provider name and typed config, client/random/
 *       overall sampling, custom tags, span settings) and request ID extension (whether the request
 *       ID decides trace sampling), and the transport socket (type, SDS secret names and sources,
 *       ALPN, TLS params, client certificate requirement, validation context); the configs of the
 *       policy filters (RBAC, ext_authz, jwt_authn, istio_authn; network and HTTP) and of Lua
 *       filters (EnvoyFilters insert them) whole ({@link SecurityEssentials});
 *   <li>route configurations: per virtual host (keyed by name): domains (keyed by domain), and per
 *       route (in order): match and action (cluster or weighted clusters, redirect, direct
 *       response, timeout, retry policy, rewrites, mirrors, header changes, per-filter config
 *       names);
 *   <li>clusters: type, LB policy and its config, connect timeout, per-connection buffer limit,
 *       circuit breakers, outlier detection, EDS service name, DNS settings, static endpoints,
 *       transport socket (matches, SNI, SANs, secrets), HTTP protocol options, upstream filters'
 *       names (Istio-only ones apart);
 *   <li>endpoints: per locality (keyed by locality and priority): weight and the endpoints'
 *       addresses, weights and health.
 * </ul>
 */
public final class EssentialContent {
  private EssentialContent() {}

  /** The essential content of one resource of type {@code suffix} (lds, rds, cds, eds). */
  public static Map<String, String> of(String suffix, JsonNode r) {
    ObjectNode s = ProtoJson.JSON.createObjectNode();
    switch (suffix) {
      case "lds" -> listener(r, s);
      case "rds" -> routeConfig(r, s);
      case "cds" -> cluster(r, s);
      case "eds" -> endpoints(r, s);
      default -> throw new IllegalArgumentException(suffix);
    }
    Map<String, String> flat = new TreeMap<>();
    flatten("", s, flat);
    return flat;
  }

  private static void listener(JsonNode l, ObjectNode s) {
    copy(
        l,
        s,
        "address",
        "bindToPort",
        "useOriginalDst",
        "trafficDirection",
        "continueOnListenerFiltersTimeout",
        "perConnectionBufferLimitBytes",
        "accessLog");
    s.set("listenerFilters", names(l.path("listenerFilters")));
    ObjectNode chains = s.putObject("filterChains");
    for (JsonNode fc : l.path("filterChains")) {
      chains.set(chainKey(fc), filterChain(fc));
    }
    if (l.has("defaultFilterChain")) {
      s.set("defaultFilterChain", filterChain(l.get("defaultFilterChain")));
    }
  }

  /**
   * A filter chain's key: its name and its match (istiod gives several chains one name, e.g. the
   * plaintext and mTLS variants of virtualInbound-catchall-http; keyed by name alone, they would
   * overwrite each other and hide differences).
   */
  private static String chainKey(JsonNode fc) {
    String name = fc.path("name").asText("");
    String match =
        fc.has("filterChainMatch") ? sortedArrays(fc.get("filterChainMatch")).toString() : "";
    if (name.isEmpty()) {
      return "match " + match;
    }
    return match.isEmpty() || match.equals("{}") ? name : name + " match " + match;
  }

  private static ObjectNode filterChain(JsonNode fc) {
    ObjectNode c = ProtoJson.JSON.createObjectNode();
    if (fc.has("filterChainMatch")) {
      c.set("match", sortedArrays(fc.get("filterChainMatch")));
    }
    c.set("filters", names(fc.path("filters")));
    c.set("istioOnlyFilters", istioOnly(fc.path("filters")));
    c.set("filterConfigs", SecurityEssentials.filterConfigs(fc.path("filters")));
    for (JsonNode f : fc.path("filters")) {
      JsonNode tc = f.path("typedConfig");
      String type = tc.path("@type").asText();
      if (type.endsWith("tcp_proxy.v3.TcpProxy")) {
        copy(
            tc,
            c.putObject("tcpProxy"),
            "cluster",
            "weightedClusters",
            "idleTimeout",
            "hashPolicy",
            "tunnelingConfig",
            "maxDownstreamConnectionDuration",
            "accessLog");
      } else if (type.endsWith("http_connection_manager.v3.HttpConnectionManager")) {
        ObjectNode h = c.putObject("http");
        if (tc.has("rds")) {
          h.put("rds", tc.path("rds").path("routeConfigName").asText());
        }
        if (tc.has("routeConfig")) {
          ObjectNode inline = h.putObject("routeConfig");
          routeConfig(tc.get("routeConfig"), inline);
        }
        h.set("httpFilters", names(tc.path("httpFilters")));
        h.set("istioOnlyHttpFilters", istioOnly(tc.path("httpFilters")));
        h.set("httpFilterConfigs", SecurityEssentials.filterConfigs(tc.path("httpFilters")));
        copy(
            tc,
            h,
            "codecType",
            "useRemoteAddress",
            "forwardClientCertDetails",
            "setCurrentClientCertDetails",
            "upgradeConfigs",
            "commonHttpProtocolOptions",
            "http2ProtocolOptions",
            "streamIdleTimeout",
            "normalizePath",
            "mergeSlashes",
            "pathWithEscapedSlashesAction",
            "accessLog",
            "tracing",
            "requestIdExtension");
      }
    }
    JsonNode ts = fc.path("transportSocket");
    if (!ts.isMissingNode()) {
      c.set("transportSocket", transportSocket(ts));
    }
    return c;
  }

  private static ObjectNode transportSocket(JsonNode ts) {
    ObjectNode t = ProtoJson.JSON.createObjectNode();
    JsonNode tc = ts.path("typedConfig");
    t.put("type", tc.path("@type").asText());
    JsonNode common = tc.has("commonTlsContext") ? tc.get("commonTlsContext") : tc;
    copy(tc, t, "sni", "requireClientCertificate");
    copy(common, t, "alpnProtocols", "tlsParams");
    ArrayNode secrets = t.putArray("sdsSecrets");
    for (JsonNode c : common.path("tlsCertificateSdsSecretConfigs")) {
      secrets.add(c.path("name").asText());
    }
    JsonNode validation = common.path("combinedValidationContext");
    if (!validation.isMissingNode()) {
      secrets.add(
          "validation:"
              + validation.path("validationContextSdsSecretConfig").path("name").asText());
      JsonNode dvc = validation.path("defaultValidationContext");
      if (dvc.has("matchSubjectAltNames")) {
        t.set("subjectAltNames", dvc.get("matchSubjectAltNames"));
      }
    }
    if (common.has("validationContextSdsSecretConfig")) {
      secrets.add(
          "validation:" + common.path("validationContextSdsSecretConfig").path("name").asText());
    }
    if (common.path("validationContext").has("matchSubjectAltNames")) {
      t.set("subjectAltNames", common.path("validationContext").get("matchSubjectAltNames"));
    }
    SecurityEssentials.tls(tc, common, t);
    return t;
  }

  private static void routeConfig(JsonNode rc, ObjectNode s) {
    copy(rc, s, "validateClusters", "ignorePortInHostMatching");
    ObjectNode vhs = s.putObject("virtualHosts");
    for (JsonNode vh : rc.path("virtualHosts")) {
      ObjectNode v = vhs.putObject(vh.path("name").asText());
      // keyed by domain, so one domain more or less is one difference, not a shift of the rest
      ObjectNode domains = v.putObject("domains");
      sorted(vh.path("domains")).forEach(d -> domains.put(d.asText(), true));
      copy(vh, v, "includeRequestAttemptCount", "retryPolicy", "cors");
      ArrayNode routes = v.putArray("routes");
      for (JsonNode r : vh.path("routes")) {
        routes.add(route(r));
      }
    }
  }

  private static ObjectNode route(JsonNode r) {
    ObjectNode o = ProtoJson.JSON.createObjectNode();
    copy(r, o, "name", "match", "redirect", "directResponse");
    copy(
        r,
        o,
        "requestHeadersToAdd",
        "requestHeadersToRemove",
        "responseHeadersToAdd",
        "responseHeadersToRemove");
    JsonNode a = r.path("route");
    if (!a.isMissingNode()) {
      ObjectNode act = o.putObject("route");
      copy(
          a,
          act,
          "cluster",
          "clusterHeader",
          "timeout",
          "retryPolicy",
          "prefixRewrite",
          "regexRewrite",
          "hostRewriteLiteral",
          "autoHostRewrite",
          "hashPolicy",
          "cors",
          "maxGrpcTimeout",
          "maxStreamDuration");
      if (a.has("weightedClusters")) {
        ArrayNode wc = act.putArray("weightedClusters");
        for (JsonNode c : a.path("weightedClusters").path("clusters")) {
          ObjectNode w = wc.addObject();
          copy(c, w, "name", "weight", "requestHeadersToAdd", "responseHeadersToAdd");
        }
      }
      if (a.has("requestMirrorPolicies")) {
        ArrayNode m = act.putArray("mirrors");
        for (JsonNode p : a.path("requestMirrorPolicies")) {
          ObjectNode mp = m.addObject();
          copy(p, mp, "cluster", "runtimeFraction");
        }
      }
    }
    if (r.has("typedPerFilterConfig")) {
      ObjectNode pf = o.putObject("typedPerFilterConfig");
      r.get("typedPerFilterConfig")
          .fields()
          .forEachRemaining(e -> pf.set(e.getKey(), perFilter(e.getValue())));
    }
    return o;
  }

  /** Fault and CORS per-route configs matter; others are named only. */
  private static JsonNode perFilter(JsonNode cfg) {
    String type = cfg.path("@type").asText();
    if (type.endsWith("fault.v3.HTTPFault") || type.endsWith("cors.v3.CorsPolicy")) {
      ObjectNode copy = cfg.deepCopy();
      return copy;
    }
    return ProtoJson.JSON.getNodeFactory().textNode(type);
  }

  private static void cluster(JsonNode c, ObjectNode s) {
    copy(
        c,
        s,
        "type",
        "clusterDiscoveryType",
        "lbPolicy",
        "connectTimeout",
        "perConnectionBufferLimitBytes",
        "circuitBreakers",
        "outlierDetection",
        "commonLbConfig",
        "ringHashLbConfig",
        "maglevLbConfig",
        "leastRequestLbConfig",
        "lbSubsetConfig",
        "dnsLookupFamily",
        "respectDnsTtl",
        "upstreamConnectionOptions",
        "loadBalancingPolicy");
    // upstream network filters: istiod adds Istio-only ones (metadata exchange) to outbound
    // clusters
    s.set("filters", names(c.path("filters")));
    s.set("istioOnlyFilters", istioOnly(c.path("filters")));
    s.set("filterConfigs", SecurityEssentials.filterConfigs(c.path("filters")));
    if (c.has("edsClusterConfig")) {
      s.put("edsServiceName", c.path("edsClusterConfig").path("serviceName").asText());
    }
    if (c.has("loadAssignment")) {
      ObjectNode la = s.putObject("loadAssignment");
      endpoints(c.get("loadAssignment"), la);
    }
    if (c.has("transportSocket")) {
      s.set("transportSocket", transportSocket(c.get("transportSocket")));
    }
    ObjectNode matches = s.putObject("transportSocketMatches");
    for (JsonNode m : c.path("transportSocketMatches")) {
      ObjectNode mo = matches.putObject(m.path("name").asText());
      copy(m, mo, "match");
      mo.set("transportSocket", transportSocket(m.path("transportSocket")));
    }
    JsonNode po =
        c.path("typedExtensionProtocolOptions")
            .path("envoy.extensions.upstreams.http.v3.HttpProtocolOptions");
    if (!po.isMissingNode()) {
      ObjectNode p = s.putObject("httpProtocolOptions");
      copy(po, p, "commonHttpProtocolOptions", "explicitHttpConfig", "useDownstreamProtocolConfig");
    }
  }

  private static void endpoints(JsonNode cla, ObjectNode s) {
    ObjectNode locs = s.putObject("localities");
    List<JsonNode> sorted = new ArrayList<>();
    cla.path("endpoints").forEach(sorted::add);
    for (JsonNode le : sorted) {
      String key = le.path("locality").toString() + " priority " + le.path("priority").asInt(0);
      ObjectNode l = locs.putObject(key);
      copy(le, l, "loadBalancingWeight");
      List<String> eps = new ArrayList<>();
      for (JsonNode e : le.path("lbEndpoints")) {
        JsonNode sa = e.path("endpoint").path("address").path("socketAddress");
        String addr = sa.path("address").asText() + ":" + sa.path("portValue").asText();
        eps.add(
            addr
                + " weight="
                + e.path("loadBalancingWeight").asText("1")
                + " health="
                + e.path("healthStatus").asText("UNKNOWN")
                + " tlsMode="
                + e.path("metadata")
                    .path("filterMetadata")
                    .path("envoy.transport_socket_match")
                    .path("tlsMode")
                    .asText("-"));
      }
      eps.sort(Comparator.naturalOrder());
      ArrayNode a = l.putArray("lbEndpoints");
      eps.forEach(a::add);
    }
  }

  /**
   * The filters' names, in order, without Istio-only filters ({@link #isIstioOnly}): those are
   * listed apart by {@link #istioOnly}, so one Istio extension we leave out shows as one difference
   * instead of shifting every later filter's index.
   */
  private static ArrayNode names(JsonNode list) {
    ArrayNode a = ProtoJson.JSON.createArrayNode();
    for (JsonNode f : list) {
      if (!isIstioOnly(f)) {
        a.add(f.path("name").asText());
      }
    }
    return a;
  }

  /** The Istio-only filters' names, comma-separated (one value, so one difference). */
  private static JsonNode istioOnly(JsonNode list) {
    List<String> v = new ArrayList<>();
    for (JsonNode f : list) {
      if (isIstioOnly(f)) {
        v.add(f.path("name").asText());
      }
    }
    return v.isEmpty()
        ? ProtoJson.JSON.createObjectNode()
        : ProtoJson.JSON.getNodeFactory().textNode(String.join(",", v));
  }

  /**
   * Filters our istiod leaves out on purpose: Wasm plugins (we do not fetch modules). Istio's
   * telemetry filters (istio.metadata_exchange, istio.alpn, istio.stats, the waypoints' peer
   * metadata) are generated like istiod's and compared in place, configs included.
   */
  static boolean isIstioOnly(JsonNode filter) {
    String type = filter.path("typedConfig").path("@type").asText();
    return type.endsWith("wasm.v3.Wasm");
  }

  private static ArrayNode sorted(JsonNode list) {
    List<String> v = new ArrayList<>();
    list.forEach(n -> v.add(n.asText()));
    v.sort(Comparator.naturalOrder());
    ArrayNode a = ProtoJson.JSON.createArrayNode();
    v.forEach(a::add);
    return a;
  }

  /** Filter chain matches: the order of server names, ranges and ALPNs does not matter. */
  private static JsonNode sortedArrays(JsonNode n) {
    ObjectNode o = n.deepCopy();
    o.fields()
        .forEachRemaining(
            e -> {
              if (e.getValue().isArray()) {
                List<String> v = new ArrayList<>();
                e.getValue().forEach(x -> v.add(x.toString()));
                v.sort(Comparator.naturalOrder());
                ArrayNode a = ProtoJson.JSON.createArrayNode();
                for (String x : v) {
                  try {
                    a.add(ProtoJson.JSON.readTree(x));
                  } catch (java.io.IOException ex) {
                    throw new IllegalStateException(ex);
                  }
                }
                e.setValue(a);
              }
            });
    return o;
  }

  private static void copy(JsonNode from, ObjectNode to, String... fields) {
    for (String f : fields) {
      if (from.has(f)) {
        to.set(f, from.get(f));
      }
    }
  }

  static void flatten(String prefix, JsonNode n, Map<String, String> out) {
    if (n.isObject()) {
      if (n.isEmpty()) {
        return;
      }
      n.fields()
          .forEachRemaining(
              e ->
                  flatten(
                      prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(),
                      e.getValue(),
                      out));
    } else if (n.isArray()) {
      if (n.isEmpty()) {
        return;
      }
      for (int i = 0; i < n.size(); i++) {
        flatten(prefix + "[" + i + "]", n.get(i), out);
      }
    } else {
      out.put(prefix, n.asText());
    }
  }
}

package io.jistiod.it.sidebyside;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The security part of {@link EssentialContent}: the configs of the filters that enforce policy
 * (RBAC, JWT authentication, external authorization) and the essentials of TLS transport sockets
 * beyond their names. A policy difference decides who gets in, so these configs are compared whole,
 * not named only.
 */
final class SecurityEssentials {
  private SecurityEssentials() {}

  /**
   * Filter config types compared whole (minus {@code @type}), by the suffix of their type URL.
   * jwt_authn is here too, with its inline JWKS reduced by {@link #jwtAuthn}.
   */
  private static final List<String> WHOLE =
      List.of(
          "filters.http.rbac.v3.RBAC",
          "filters.network.rbac.v3.RBAC",
          "filters.http.ext_authz.v3.ExtAuthz",
          "filters.network.ext_authz.v3.ExtAuthz",
          "filters.http.jwt_authn.v3.JwtAuthentication",
          // not a policy filter: what EnvoyFilters most often insert, compared whole with them
          "filters.http.lua.v3.Lua",
          // Istio's Envoy build's telemetry filters: istio.metadata_exchange and the waypoints'
          // peer metadata filters (TypedStructs), istio.alpn, istio.stats
          "udpa.type.v1.TypedStruct",
          "xds.type.v3.TypedStruct",
          "alpn.v2alpha1.FilterConfig",
          "/stats.PluginConfig");

  /** Filter names compared whole whatever their type (Istio's authn filter, if any). */
  private static final List<String> WHOLE_BY_NAME = List.of("istio_authn");

  /**
   * The policy filters' configs of one filter list (network filters of a chain, or an HTTP
   * connection manager's HTTP filters), keyed {@code <filter name>#<n>} where n counts filters of
   * that name (istiod puts two RBAC filters in a row for CUSTOM and ALLOW/DENY), so one extra
   * filter does not shift the others' keys.
   */
  static ObjectNode filterConfigs(JsonNode filters) {
    ObjectNode out = ProtoJson.JSON.createObjectNode();
    Map<String, Integer> seen = new HashMap<>();
    for (JsonNode f : filters) {
      String name = f.path("name").asText();
      JsonNode tc = f.path("typedConfig");
      String type = tc.path("@type").asText();
      boolean whole = WHOLE.stream().anyMatch(type::endsWith) || WHOLE_BY_NAME.contains(name);
      if (!whole) {
        continue;
      }
      int n = seen.merge(name, 1, Integer::sum) - 1;
      ObjectNode cfg = tc.deepCopy();
      cfg.remove("@type");
      if (type.endsWith("JwtAuthentication")) {
        jwtAuthn(cfg);
      }
      out.set(name + "#" + n, cfg);
    }
    return out;
  }

  /**
   * jwt_authn: the providers' inline JWKS as their keys' type, id and a digest of the public
   * material (istiod inlines the JWKS it fetched or was given; its JSON layout and private members
   * are not what decides which tokens pass).
   */
  private static void jwtAuthn(ObjectNode cfg) {
    JsonNode providers = cfg.path("providers");
    providers
        .fields()
        .forEachRemaining(
            e -> {
              JsonNode local = e.getValue().path("localJwks");
              if (local.isMissingNode()) {
                return;
              }
              ObjectNode p = (ObjectNode) e.getValue();
              p.set("localJwks", jwksSummary(local));
            });
  }

  private static JsonNode jwksSummary(JsonNode dataSource) {
    ObjectNode s = ProtoJson.JSON.createObjectNode();
    s.put("present", true);
    String inline = dataSource.path("inlineString").asText("");
    if (inline.isEmpty()) {
      s.set("source", dataSource);
      return s;
    }
    ArrayNode keys = s.putArray("keys");
    try {
      List<String> ks = new ArrayList<>();
      for (JsonNode k : ProtoJson.JSON.readTree(inline).path("keys")) {
        String material =
            String.join(
                "|",
                k.path("n").asText(),
                k.path("e").asText(),
                k.path("crv").asText(),
                k.path("x").asText(),
                k.path("y").asText(),
                k.path("k").asText());
        ks.add(k.path("kty").asText() + " kid=" + k.path("kid").asText("-") + " " + sha(material));
      }
      ks.sort(String::compareTo);
      ks.forEach(keys::add);
    } catch (java.io.IOException e) {
      s.put("unparsable", true);
    }
    return s;
  }

  private static String sha(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * TLS essentials beyond what {@link EssentialContent} already keeps (type, SNI, client
   * certificate requirement, ALPN, TLS params, SDS secret names, SANs): where each SDS secret comes
   * from, the rest of the validation context (trusted CA, typed SAN matchers, CRL), gRPC's
   * certificate provider instances, inline certificates (counted: they are secrets) and the
   * downstream-only switches.
   */
  static void tls(JsonNode typedConfig, JsonNode common, ObjectNode t) {
    for (String f : List.of("requireSni", "ocspStaplePolicy", "allowRenegotiation")) {
      if (typedConfig.has(f)) {
        t.set(f, typedConfig.get(f));
      }
    }
    ObjectNode sources = ProtoJson.JSON.createObjectNode();
    for (JsonNode c : common.path("tlsCertificateSdsSecretConfigs")) {
      sources.put(c.path("name").asText(), sdsSource(c.path("sdsConfig")));
    }
    JsonNode combined = common.path("combinedValidationContext");
    JsonNode vsds =
        combined.isMissingNode()
            ? common.path("validationContextSdsSecretConfig")
            : combined.path("validationContextSdsSecretConfig");
    if (!vsds.isMissingNode()) {
      sources.put("validation:" + vsds.path("name").asText(), sdsSource(vsds.path("sdsConfig")));
    }
    if (!sources.isEmpty()) {
      t.set("sdsSources", sources);
    }
    JsonNode vc =
        combined.isMissingNode()
            ? common.path("validationContext")
            : combined.path("defaultValidationContext");
    if (vc.isObject()) {
      ObjectNode rest = vc.deepCopy();
      // compared already, under subjectAltNames
      rest.remove("matchSubjectAltNames");
      if (!rest.isEmpty()) {
        t.set("validation", rest);
      }
    }
    for (String f :
        List.of(
            "tlsCertificateCertificateProviderInstance",
            "tlsCertificateProviderInstance",
            "validationContextCertificateProviderInstance")) {
      if (common.has(f)) {
        t.set(f, common.get(f));
      }
    }
    if (combined.has("validationContextCertificateProviderInstance")) {
      t.set(
          "validationContextCertificateProviderInstance",
          combined.get("validationContextCertificateProviderInstance"));
    }
    if (common.has("tlsCertificates")) {
      t.put("inlineCertificates", common.path("tlsCertificates").size());
    }
  }

  /** An SDS config's source: ADS, or the cluster of its gRPC API config source. */
  private static String sdsSource(JsonNode sdsConfig) {
    if (sdsConfig.has("ads")) {
      return "ads";
    }
    JsonNode api = sdsConfig.path("apiConfigSource");
    List<String> clusters = new ArrayList<>();
    for (JsonNode g : api.path("grpcServices")) {
      clusters.add(
          g.has("envoyGrpc")
              ? g.path("envoyGrpc").path("clusterName").asText()
              : "google:" + g.path("googleGrpc").path("targetUri").asText());
    }
    return api.path("apiType").asText("-") + " " + String.join(",", clusters);
  }
}

package io.jistiod.galley.crd;

import static io.jistiod.galley.crd.OpenApiSchemas.sorted;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What Istio 1.27's CRDs make the API server enforce beyond the field types: string lengths,
 * patterns and CEL ({@code x-kubernetes-validations}) rules. Istio keeps these as markers in its
 * proto comments; our descriptors do not carry them, so they are listed here by the proto name of
 * the field or message they sit on. {@code CrdSchemaCoverageTest} fails when one of Istio's is
 * missing from our CRDs.
 */
final class IstioCrdRules {
  private IstioCrdRules() {}

  private static final String TYPE = "istio.type.v1beta1.";
  private static final String NET = "istio.networking.v1alpha3.";
  private static final String SEC = "istio.security.v1beta1.";
  private static final String TEL = "istio.telemetry.v1alpha1.";
  private static final String EXT = "istio.extensions.v1alpha1.";

  /** A DNS subdomain or empty: a Kubernetes API group. */
  private static final String GROUP_PATTERN =
      "^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

  private static final String KIND_PATTERN = "^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$";
  private static final String HEADER_NAME_PATTERN = "^[-_A-Za-z0-9]+$";

  private static final Map<String, Object> PORT_RANGE =
      rule("0 < self && self <= 65535", "port must be between 1-65535");
  private static final Map<String, Object> PORT_NAMES =
      rule(
          "self.all(key, size(key) < 63 && key.matches(\"^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$\"))",
          "port name must be valid");
  private static final Map<String, Object> ADDRESS_REQUIRED =
      rule("has(self.address) || has(self.network)", "Address is required");
  private static final Map<String, Object> SELECTOR_OR_TARGET_REFS =
      rule(
          "(has(self.selector) ? 1 : 0) + (has(self.targetRef) ? 1 : 0) + (has(self.targetRefs) ?"
              + " 1 : 0) <= 1",
          "only one of targetRefs or selector can be set");
  private static final Map<String, Object> NO_CROSS_NAMESPACE =
      rule("self.size() == 0", "cross namespace referencing is not currently supported");

  /** Keys merged into a field's schema, by the field's full proto name. */
  static final Map<String, Map<String, Object>> FIELDS =
      Map.ofEntries(
          Map.entry(TYPE + "PolicyTargetReference.group", lengths(-1, 253, GROUP_PATTERN)),
          Map.entry(TYPE + "PolicyTargetReference.kind", lengths(1, 63, KIND_PATTERN)),
          Map.entry(TYPE + "PolicyTargetReference.name", lengths(1, 253, null)),
          Map.entry(TYPE + "PolicyTargetReference.namespace", rules(NO_CROSS_NAMESPACE)),
          Map.entry(
              TYPE + "WorkloadSelector.match_labels",
              rules(
                  rule(
                      "self.all(key, !key.contains(\"*\"))",
                      "wildcard not allowed in label key match"),
                  rule("self.all(key, key.size() != 0)", "key must not be empty"))),
          Map.entry(
              NET + "ServiceEntry.ports",
              rules(
                  rule(
                      "self.all(l1, self.exists_one(l2, l1.number == l2.number))",
                      "port number cannot be duplicated"))),
          Map.entry(NET + "ServicePort.number", rules(PORT_RANGE)),
          Map.entry(NET + "ServicePort.target_port", rules(PORT_RANGE)),
          Map.entry(NET + "ServicePort.name", lengths(-1, 256, null)),
          Map.entry(NET + "ServicePort.protocol", lengths(-1, 256, null)),
          Map.entry(
              NET + "WorkloadEntry.address",
              with(
                  lengths(-1, 256, null),
                  rules(
                      rule(
                          "self.startsWith(\"unix://\") ? (self.substring(7, 8) == \"/\" ||"
                              + " self.substring(7, 8) == \"@\") : true",
                          "UDS must be an absolute path or abstract socket"),
                      rule(
                          "self.startsWith(\"unix://\") ? !self.endsWith(\"/\") : true",
                          "UDS may not be a dir")))),
          Map.entry(NET + "WorkloadEntry.network", lengths(-1, 2048, null)),
          Map.entry(NET + "WorkloadEntry.locality", lengths(-1, 2048, null)),
          Map.entry(NET + "WorkloadEntry.service_account", lengths(-1, 253, null)),
          Map.entry(NET + "WorkloadEntry.ports", rules(PORT_NAMES)),
          Map.entry(NET + "HTTPHealthCheckConfig.port", rules(PORT_RANGE)),
          Map.entry(
              NET + "HTTPHealthCheckConfig.scheme",
              rules(
                  rule(
                      "self in [\"\", \"HTTP\", \"HTTPS\"]",
                      "scheme must be one of [HTTP, HTTPS]"))),
          Map.entry(NET + "HTTPHeader.name", lengths(-1, -1, HEADER_NAME_PATTERN)),
          Map.entry(NET + "TCPHealthCheckConfig.port", rules(PORT_RANGE)),
          Map.entry(NET + "GrpcHealthCheckConfig.port", rules(PORT_RANGE)),
          Map.entry(
              SEC + "PeerAuthentication.port_level_mtls",
              rules(
                  rule(
                      "self.all(key, 0 < int(key) && int(key) <= 65535)",
                      "port must be between 1-65535"))),
          Map.entry(SEC + "JWTRule.issuer", lengths(1, -1, null)),
          Map.entry(
              SEC + "JWTRule.jwks_uri",
              with(
                  lengths(1, 2048, null),
                  rules(
                      rule(
                          "url(self).getScheme() in [\"http\", \"https\"]",
                          "url must have scheme http:// or https://")))),
          Map.entry(SEC + "JWTHeader.name", lengths(1, -1, null)),
          Map.entry(SEC + "ClaimToHeader.header", lengths(1, -1, HEADER_NAME_PATTERN)),
          Map.entry(SEC + "ClaimToHeader.claim", lengths(1, -1, null)),
          Map.entry(TEL + "ProviderRef.name", lengths(1, -1, null)),
          Map.entry(TEL + "MetricSelector.custom_metric", lengths(1, -1, null)),
          Map.entry(TEL + "Tracing.Literal.value", lengths(1, -1, null)),
          Map.entry(TEL + "Tracing.Environment.name", lengths(1, -1, null)),
          Map.entry(TEL + "Tracing.RequestHeader.name", lengths(1, -1, null)),
          Map.entry(
              EXT + "WasmPlugin.url",
              with(
                  lengths(1, -1, null),
                  rules(
                      rule(
                          "isURL(self) ? (url(self).getScheme() in [\"\", \"http\", \"https\","
                              + " \"oci\", \"file\"]) : (isURL(\"http://\" + self) &&\n"
                              + "url(\"http://\" + self).getScheme() in [\"\", \"http\","
                              + " \"https\", \"oci\", \"file\"])",
                          "url must have schema one of [http, https, file, oci]")))),
          Map.entry(EXT + "WasmPlugin.sha256", lengths(-1, -1, "(^$|^[a-f0-9]{64}$)")),
          Map.entry(EXT + "WasmPlugin.image_pull_secret", lengths(1, 253, null)),
          Map.entry(EXT + "WasmPlugin.plugin_name", lengths(1, 256, null)),
          Map.entry(EXT + "EnvVar.name", lengths(1, 256, null)),
          Map.entry(EXT + "EnvVar.value", lengths(-1, 2048, null)));

  /** Keys merged into the schema of each element of a repeated or map field. */
  static final Map<String, Map<String, Object>> ITEMS =
      Map.ofEntries(
          Map.entry(
              TYPE + "WorkloadSelector.match_labels",
              with(
                  lengths(-1, 63, null),
                  rules(
                      rule("!self.contains(\"*\")", "wildcard not allowed in label value match")))),
          Map.entry(
              NET + "WorkloadSelector.labels",
              with(
                  lengths(-1, 63, null),
                  rules(rule("!self.contains(\"*\")", "wildcard is not supported in selector")))),
          Map.entry(
              NET + "ServiceEntry.hosts",
              rules(rule("self != \"*\"", "hostname cannot be wildcard"))),
          Map.entry(NET + "ServiceEntry.addresses", lengths(-1, 64, null)),
          Map.entry(NET + "ServiceEntry.endpoints", rules(ADDRESS_REQUIRED)),
          Map.entry(NET + "WorkloadEntry.ports", rules(PORT_RANGE)),
          Map.entry(NET + "ExecHealthCheckConfig.command", lengths(1, -1, null)),
          Map.entry(SEC + "Source.service_accounts", lengths(-1, 320, null)),
          Map.entry(SEC + "Source.not_service_accounts", lengths(-1, 320, null)),
          Map.entry(SEC + "JWTRule.audiences", lengths(1, -1, null)),
          Map.entry(SEC + "JWTRule.from_params", lengths(1, -1, null)),
          Map.entry(SEC + "JWTRule.from_cookies", lengths(1, -1, null)),
          Map.entry(
              "istio.networking.v1beta1.ProxyConfig.environment_variables",
              lengths(-1, 2048, null)));

  private static final List<Map<String, Object>> ONE_CREDENTIAL_SOURCE =
      List.of(
          rule(
              "(has(self.tlsCertificates) ? 1 : 0) + (has(self.credentialNames) ? 1 : 0) <= 1",
              "only one of credentialNames or tlsCertificates can be set"),
          rule(
              "(has(self.credentialName) ? 1 : 0) + (has(self.credentialNames) ? 1 : 0) <= 1",
              "only one of credentialName or credentialNames can be set"),
          rule(
              "(has(self.credentialNames) ? 1 : 0) + (has(self.tlsCertificates) ? 1 : 0) <= 1",
              "only one of credentialName or tlsCertificates can be set"));

  /** Keys merged into every schema of a message, by the message's full proto name. */
  static final Map<String, Map<String, Object>> MESSAGES =
      Map.of(
          NET + "ServerTLSSettings",
          sorted("x-kubernetes-validations", ONE_CREDENTIAL_SOURCE),
          NET + "WorkloadEntry",
          rules(
              rule(
                  "(has(self.address) ? self.address : \"\").startsWith(\"unix://\") ?"
                      + " !has(self.ports) : true",
                  "UDS may not include ports")),
          SEC + "Source",
          rules(
              rule(
                  "(has(self.serviceAccounts) || has(self.notServiceAccounts)) ?"
                      + " (!has(self.principals) &&\n"
                      + "!has(self.notPrincipals) && !has(self.namespaces) &&"
                      + " !has(self.notNamespaces)) : true",
                  "Cannot set serviceAccounts with namespaces or principals")),
          SEC + "JWTRule",
          rules(
              rule(
                  "(has(self.jwksUri) ? 1 : 0) + (has(self.jwks_uri) ? 1 : 0) + (has(self.jwks) ?"
                      + " 1 : 0) <= 1",
                  "only one of jwks or jwksUri can be set")),
          TEL + "MetricsOverrides.TagOverride",
          rules(
              rule(
                  "((has(self.operation) ? self.operation : \"\") == \"UPSERT\") ? (self.value !="
                      + " \"\") : true",
                  "value must be set when operation is UPSERT"),
              rule(
                  "((has(self.operation) ? self.operation : \"\") == \"REMOVE\") ?"
                      + " !has(self.value) : true",
                  "value must not be set when operation is REMOVE")),
          EXT + "EnvVar",
          rules(
              rule(
                  "(has(self.valueFrom) ? self.valueFrom : \"\") != \"HOST\" || !has(self.value)",
                  "value may only be set when valueFrom is INLINE")));

  /** Keys merged into the {@code spec} schema of a kind, by kind. */
  static final Map<String, Map<String, Object>> SPECS =
      Map.of(
          "ServiceEntry",
          rules(
              rule(
                  "(has(self.workloadSelector) ? 1 : 0) + (has(self.endpoints) ? 1 : 0) <= 1",
                  "only one of WorkloadSelector or Endpoints can be set"),
              rule(
                  "!((has(self.addresses) ? self.addresses : []).exists(k, k.contains(\"/\")) &&"
                      + " !((has(self.resolution) ? self.resolution : \"NONE\") in [\"STATIC\","
                      + " \"NONE\"]))",
                  "CIDR addresses are allowed only for NONE/STATIC resolution types"),
              rule(
                  "((has(self.resolution) ? self.resolution : \"NONE\") == \"NONE\") ?"
                      + " !has(self.endpoints) : true",
                  "NONE mode cannot set endpoints"),
              rule(
                  "((has(self.resolution) ? self.resolution : \"\") == \"DNS_ROUND_ROBIN\") ?"
                      + " ((has(self.endpoints) ? self.endpoints : []).size() <= 1) : true",
                  "DNS_ROUND_ROBIN mode cannot have multiple endpoints")),
          "WorkloadEntry",
          rules(ADDRESS_REQUIRED),
          "PeerAuthentication",
          rules(
              rule(
                  "has(self.portLevelMtls) ? (((has(self.selector) &&"
                      + " has(self.selector.matchLabels)) ? self.selector.matchLabels :"
                      + " {}).size() > 0) : true",
                  "portLevelMtls requires selector")),
          "AuthorizationPolicy",
          rules(SELECTOR_OR_TARGET_REFS),
          "RequestAuthentication",
          rules(SELECTOR_OR_TARGET_REFS),
          "Telemetry",
          rules(SELECTOR_OR_TARGET_REFS),
          "WasmPlugin",
          rules(SELECTOR_OR_TARGET_REFS),
          "EnvoyFilter",
          rules(
              rule(
                  "(has(self.workloadSelector) ? 1 : 0) + (has(self.targetRefs) ? 1 : 0) <= 1",
                  "only one of targetRefs or workloadSelector can be set")));

  static Map<String, Object> rule(String rule, String message) {
    return sorted("rule", rule, "message", message);
  }

  @SafeVarargs
  private static Map<String, Object> rules(Map<String, Object>... rules) {
    return sorted("x-kubernetes-validations", List.of(rules));
  }

  /** String bounds and pattern; a negative bound or a null pattern is left out. */
  private static Map<String, Object> lengths(int min, int max, String pattern) {
    Map<String, Object> m = new TreeMap<>();
    if (min >= 0) {
      m.put("minLength", min);
    }
    if (max >= 0) {
      m.put("maxLength", max);
    }
    if (pattern != null) {
      m.put("pattern", pattern);
    }
    return m;
  }

  private static Map<String, Object> with(Map<String, Object> a, Map<String, Object> b) {
    Map<String, Object> m = new TreeMap<>(a);
    OpenApiSchemas.merge(m, b);
    return m;
  }

  /** The union of two marker maps; for a key in both, the schemas are merged. */
  static Map<String, Map<String, Object>> union(
      Map<String, Map<String, Object>> a, Map<String, Map<String, Object>> b) {
    Map<String, Map<String, Object>> out = new TreeMap<>();
    a.forEach((k, v) -> out.put(k, new TreeMap<>(v)));
    b.forEach((k, v) -> OpenApiSchemas.merge(out.computeIfAbsent(k, x -> new TreeMap<>()), v));
    return out;
  }
}

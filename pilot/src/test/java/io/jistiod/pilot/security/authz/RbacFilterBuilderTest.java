package io.jistiod.pilot.security.authz;

import static io.jistiod.pilot.security.authz.AuthzFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The RBAC filters of istiod's authz builder, input for input as Istio 1.27's own builder test data
 * ({@code pilot/pkg/security/authz/builder/testdata}), semantics asserted field by field.
 */
class RbacFilterBuilderTest {
  private static final Map<String, String> HTTPBIN = Map.of("app", "httpbin", "version", "v1");

  private static JsonNode http(String yaml) {
    PolicyIndex index = AuthzFixture.index(yaml);
    return json(
        new RbacFilterBuilder(index).localHttp(index.forProxy(AuthzFixture.proxy("foo", HTTPBIN))));
  }

  private static JsonNode tcp(String yaml) {
    PolicyIndex index = AuthzFixture.index(yaml);
    return json(
        new RbacFilterBuilder(index).localTcp(index.forProxy(AuthzFixture.proxy("foo", HTTPBIN))));
  }

  private static String policy(String name, String action, String rules) {
    return "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: "
        + name
        + "\n  namespace: foo\nspec:\n  action: "
        + action
        + "\n"
        + rules;
  }

  @Test
  void sourceFieldsBecomeAndedPrincipalsInIstiodOrder() {
    JsonNode f =
        http(
            policy(
                "p",
                "ALLOW",
                """
                  rules:
                  - from:
                    - source:
                        principals: ["principal", "principal-prefix-*", "*-suffix-principal", "*"]
                        notPrincipals: ["not-principal"]
                        requestPrincipals: ["iss/sub", "*"]
                        namespaces: ["ns", "ns-prefix-*", "*-ns-suffix", "*"]
                        ipBlocks: ["1.2.3.4", "5.6.0.0/16"]
                        remoteIpBlocks: ["1.2.3.4"]
                        serviceAccounts: ["my-ns/my-sa", "sa-only"]
                """));
    assertThat(f).hasSize(1);
    assertThat(f.at("/0/name").asText()).isEqualTo("envoy.filters.http.rbac");
    JsonNode rules = f.at("/0/typedConfig/rules");
    assertThat(rules.path("action").isMissingNode()).isTrue(); // ALLOW is the default
    JsonNode ids = rules.at("/policies/ns[foo]-policy[p]-rule[0]/principals/0/andIds/ids");
    // principals, notPrincipals, requestPrincipals, serviceAccounts, namespaces, remote, direct
    assertThat(ids).hasSize(7);
    assertThat(ids.at("/0/orIds/ids/0/authenticated/principalName/exact").asText())
        .isEqualTo("spiffe://principal");
    assertThat(ids.at("/0/orIds/ids/1/authenticated/principalName/prefix").asText())
        .isEqualTo("spiffe://principal-prefix-");
    assertThat(ids.at("/0/orIds/ids/2/authenticated/principalName/safeRegex/regex").asText())
        .isEqualTo("spiffe://.*-suffix-principal");
    assertThat(ids.at("/0/orIds/ids/3/authenticated/principalName/safeRegex/regex").asText())
        .isEqualTo(".+");
    assertThat(ids.at("/1/notId/orIds/ids/0/authenticated/principalName/exact").asText())
        .isEqualTo("spiffe://not-principal");
    JsonNode rp = ids.at("/2/orIds/ids");
    assertThat(rp.at("/0/andIds/ids/0/metadata/filter").asText())
        .isEqualTo("envoy.filters.http.jwt_authn");
    assertThat(rp.at("/0/andIds/ids/0/metadata/path/0/key").asText()).isEqualTo("payload");
    assertThat(rp.at("/0/andIds/ids/0/metadata/path/1/key").asText()).isEqualTo("iss");
    assertThat(rp.at("/0/andIds/ids/0/metadata/value/stringMatch/exact").asText()).isEqualTo("iss");
    assertThat(rp.at("/0/andIds/ids/1/metadata/value/stringMatch/exact").asText()).isEqualTo("sub");
    assertThat(rp.at("/1/andIds/ids/0/metadata/value/stringMatch/safeRegex/regex").asText())
        .isEqualTo(".+");
    assertThat(ids.at("/3/orIds/ids/0/authenticated/principalName/safeRegex/regex").asText())
        .isEqualTo("spiffe://.+/ns/my-ns/(.+/|)sa/my-sa(/.+)?");
    assertThat(ids.at("/3/orIds/ids/1/authenticated/principalName/safeRegex/regex").asText())
        .isEqualTo("spiffe://.+/ns/foo/(.+/|)sa/sa-only(/.+)?");
    JsonNode ns = ids.at("/4/orIds/ids");
    assertThat(ns.at("/0/authenticated/principalName/safeRegex/regex").asText())
        .isEqualTo(".*/ns/ns/.*");
    assertThat(ns.at("/1/authenticated/principalName/safeRegex/regex").asText())
        .isEqualTo(".*/ns/ns-prefix-.*/.*");
    assertThat(ns.at("/2/authenticated/principalName/safeRegex/regex").asText())
        .isEqualTo(".*/ns/.*-ns-suffix/.*");
    assertThat(ids.at("/5/orIds/ids/0/remoteIp/addressPrefix").asText()).isEqualTo("1.2.3.4");
    assertThat(ids.at("/5/orIds/ids/0/remoteIp/prefixLen").asInt()).isEqualTo(32);
    assertThat(ids.at("/6/orIds/ids/1/directRemoteIp/addressPrefix").asText()).isEqualTo("5.6.0.0");
    assertThat(ids.at("/6/orIds/ids/1/directRemoteIp/prefixLen").asInt()).isEqualTo(16);
    // no `to`: a permission that matches anything
    assertThat(
            rules
                .at("/policies/ns[foo]-policy[p]-rule[0]/permissions/0/andRules/rules/0/any")
                .asBoolean())
        .isTrue();
  }

  @Test
  void operationFieldsAndWildcards() {
    JsonNode f =
        http(
            policy(
                "p",
                "ALLOW",
                """
                  rules:
                  - to:
                    - operation:
                        methods: ["method", "method-prefix-*", "*-suffix-method", "*"]
                        hosts: ["exact.com", "*.suffix.com", "prefix.*", "*"]
                        ports: ["80"]
                        paths: ["/exact", "/prefix/*", "*/suffix", "*", "/path/template/{*}", "/{**}/path/template"]
                        notPaths: ["/not-exact"]
                        notPorts: ["8000"]
                """));
    JsonNode rules =
        f.at(
            "/0/typedConfig/rules/policies/ns[foo]-policy[p]-rule[0]/permissions/0/andRules/rules");
    // hosts, methods, paths, notPaths, ports, notPorts
    assertThat(rules).hasSize(6);
    JsonNode hosts = rules.at("/0/orRules/rules");
    assertThat(hosts.at("/0/header/name").asText()).isEqualTo(":authority");
    assertThat(hosts.at("/0/header/stringMatch/exact").asText()).isEqualTo("exact.com");
    assertThat(hosts.at("/0/header/stringMatch/ignoreCase").asBoolean()).isTrue();
    assertThat(hosts.at("/1/header/stringMatch/suffix").asText()).isEqualTo(".suffix.com");
    assertThat(hosts.at("/2/header/stringMatch/prefix").asText()).isEqualTo("prefix.");
    assertThat(hosts.at("/3/header/presentMatch").asBoolean()).isTrue();
    JsonNode methods = rules.at("/1/orRules/rules");
    assertThat(methods.at("/0/header/name").asText()).isEqualTo(":method");
    assertThat(methods.at("/0/header/stringMatch/ignoreCase").asBoolean()).isFalse();
    assertThat(methods.at("/1/header/stringMatch/prefix").asText()).isEqualTo("method-prefix-");
    assertThat(methods.at("/2/header/stringMatch/suffix").asText()).isEqualTo("-suffix-method");
    assertThat(methods.at("/3/header/presentMatch").asBoolean()).isTrue();
    JsonNode paths = rules.at("/2/orRules/rules");
    assertThat(paths.at("/0/urlPath/path/exact").asText()).isEqualTo("/exact");
    assertThat(paths.at("/1/urlPath/path/prefix").asText()).isEqualTo("/prefix/");
    assertThat(paths.at("/2/urlPath/path/suffix").asText()).isEqualTo("/suffix");
    assertThat(paths.at("/3/urlPath/path/safeRegex/regex").asText()).isEqualTo(".+");
    assertThat(paths.at("/4/uriTemplate/name").asText()).isEqualTo("uri-template");
    assertThat(paths.at("/4/uriTemplate/typedConfig/pathTemplate").asText())
        .isEqualTo("/path/template/*");
    assertThat(paths.at("/5/uriTemplate/typedConfig/pathTemplate").asText())
        .isEqualTo("/**/path/template");
    assertThat(rules.at("/3/notRule/orRules/rules/0/urlPath/path/exact").asText())
        .isEqualTo("/not-exact");
    assertThat(rules.at("/4/orRules/rules/0/destinationPort").asInt()).isEqualTo(80);
    assertThat(rules.at("/5/notRule/orRules/rules/0/destinationPort").asInt()).isEqualTo(8000);
  }

  @Test
  void whenKeysGoToPermissionsOrPrincipalsAfterTheSourceAndOperationFields() {
    JsonNode f =
        http(
            policy(
                "p",
                "ALLOW",
                """
                  rules:
                  - from:
                    - source:
                        namespaces: ["ns"]
                    to:
                    - operation:
                        ports: ["80"]
                    when:
                    - key: request.headers[X-header]
                      values: ["header", "*"]
                      notValues: ["not-header"]
                    - key: source.ip
                      values: ["10.10.10.10"]
                    - key: request.auth.audiences
                      values: ["aud1", "aud2"]
                    - key: request.auth.presenter
                      values: ["presenter"]
                    - key: request.auth.claims[nested1][nested2]
                      values: ["nested"]
                    - key: destination.ip
                      values: ["2001:db8:0:0:0:0:0:1/64"]
                    - key: destination.port
                      values: ["91"]
                    - key: connection.sni
                      values: ["*.example.com"]
                    - key: experimental.envoy.filters.a.b[c]
                      values: ["exact", "[listed]"]
                """));
    JsonNode pol = f.at("/0/typedConfig/rules/policies/ns[foo]-policy[p]-rule[0]");
    JsonNode perms = pol.at("/permissions/0/andRules/rules");
    assertThat(perms.at("/0/orRules/rules/0/destinationPort").asInt()).isEqualTo(80);
    assertThat(perms.at("/1/orRules/rules/0/destinationIp/addressPrefix").asText())
        .isEqualTo("2001:db8::1");
    assertThat(perms.at("/1/orRules/rules/0/destinationIp/prefixLen").asInt()).isEqualTo(64);
    assertThat(perms.at("/2/orRules/rules/0/destinationPort").asInt()).isEqualTo(91);
    assertThat(perms.at("/3/orRules/rules/0/requestedServerName/suffix").asText())
        .isEqualTo(".example.com");
    JsonNode md = perms.at("/4/metadata");
    assertThat(md.at("/filter").asText()).isEqualTo("envoy.filters.a.b");
    assertThat(md.at("/path/0/key").asText()).isEqualTo("c");
    assertThat(md.at("/value/orMatch/valueMatchers/0/stringMatch/exact").asText())
        .isEqualTo("exact");
    assertThat(md.at("/value/orMatch/valueMatchers/1/listMatch/oneOf/stringMatch/exact").asText())
        .isEqualTo("listed");

    JsonNode ids = pol.at("/principals/0/andIds/ids");
    assertThat(ids.at("/0/orIds/ids/0/authenticated/principalName/safeRegex/regex").asText())
        .isEqualTo(".*/ns/ns/.*");
    assertThat(ids.at("/1/orIds/ids/0/header/name").asText()).isEqualTo("X-header");
    assertThat(ids.at("/1/orIds/ids/0/header/stringMatch/exact").asText()).isEqualTo("header");
    assertThat(ids.at("/1/orIds/ids/1/header/presentMatch").asBoolean()).isTrue();
    assertThat(ids.at("/2/notId/orIds/ids/0/header/stringMatch/exact").asText())
        .isEqualTo("not-header");
    assertThat(ids.at("/3/orIds/ids/0/directRemoteIp/addressPrefix").asText())
        .isEqualTo("10.10.10.10");
    JsonNode aud = ids.at("/4/metadata");
    assertThat(aud.at("/filter").asText()).isEqualTo("envoy.filters.http.jwt_authn");
    assertThat(aud.at("/path/1/key").asText()).isEqualTo("aud");
    // a claim may be a list or a single value: or(list one_of X, X), X = or(aud1, aud2)
    assertThat(
            aud.at(
                    "/value/orMatch/valueMatchers/0/listMatch/oneOf/orMatch/valueMatchers/1/stringMatch/exact")
                .asText())
        .isEqualTo("aud2");
    assertThat(
            aud.at("/value/orMatch/valueMatchers/1/orMatch/valueMatchers/0/stringMatch/exact")
                .asText())
        .isEqualTo("aud1");
    assertThat(ids.at("/5/metadata/path/1/key").asText()).isEqualTo("azp");
    JsonNode nested = ids.at("/6/metadata");
    assertThat(nested.at("/path/1/key").asText()).isEqualTo("nested1");
    assertThat(nested.at("/path/2/key").asText()).isEqualTo("nested2");
    assertThat(nested.at("/value/orMatch/valueMatchers/1/stringMatch/exact").asText())
        .isEqualTo("nested");
  }

  @Test
  void emptyRulesNeverMatchSoAllowDeniesEverything() {
    JsonNode f = http(policy("deny-all", "ALLOW", "  rules: []\n"));
    JsonNode p = f.at("/0/typedConfig/rules/policies/ns[foo]-policy[deny-all]-rule[0]");
    assertThat(p.at("/permissions/0/notRule/any").asBoolean()).isTrue();
    assertThat(p.at("/principals/0/notId/any").asBoolean()).isTrue();
  }

  @Test
  void filtersRunAuditThenDenyThenAllowAndCarryIstiodStatPrefixes() {
    String yaml =
        policy("a", "ALLOW", "  rules:\n  - to:\n    - operation:\n        paths: [/a]\n")
            + "---\n"
            + policy("d", "DENY", "  rules:\n  - to:\n    - operation:\n        paths: [/d]\n")
            + "---\n"
            + policy("l", "AUDIT", "  rules:\n  - to:\n    - operation:\n        paths: [/l]\n");
    JsonNode f = http(yaml);
    assertThat(f).hasSize(3);
    assertThat(f.at("/0/typedConfig/rules/action").asText()).isEqualTo("LOG");
    assertThat(f.at("/1/typedConfig/rules/action").asText()).isEqualTo("DENY");
    assertThat(f.at("/2/typedConfig/rules/action").isMissingNode()).isTrue();
    assertThat(f.at("/2/typedConfig/rules/policies").has("ns[foo]-policy[a]-rule[0]")).isTrue();
    for (JsonNode filter : f) {
      assertThat(filter.at("/typedConfig/@type").asText())
          .isEqualTo("type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC");
      // istiod's quirk: no shadow rules still means the ALLOW dry-run prefix
      assertThat(filter.at("/typedConfig/shadowRulesStatPrefix").asText())
          .isEqualTo("istio_dry_run_allow_");
    }
    JsonNode t = tcp(yaml);
    assertThat(t).hasSize(3);
    assertThat(t.at("/0/name").asText()).isEqualTo("envoy.filters.network.rbac");
    assertThat(t.at("/0/typedConfig/statPrefix").asText()).isEqualTo("tcp.");
  }

  @Test
  void dryRunPoliciesGoToShadowRules() {
    String yaml =
        policy("a", "ALLOW", "  rules:\n  - to:\n    - operation:\n        paths: [/a]\n")
                .replace(
                    "namespace: foo",
                    "namespace: foo\n  annotations:\n    istio.io/dry-run: \"true\"")
            + "---\n"
            + policy("d", "DENY", "  rules:\n  - to:\n    - operation:\n        paths: [/d]\n")
                .replace(
                    "namespace: foo",
                    "namespace: foo\n  annotations:\n    istio.io/dry-run: \"true\"")
            + "---\n"
            + policy("e", "DENY", "  rules:\n  - to:\n    - operation:\n        paths: [/e]\n");
    JsonNode f = http(yaml);
    assertThat(f).hasSize(2);
    JsonNode deny = f.at("/0/typedConfig");
    assertThat(deny.at("/rules/policies").has("ns[foo]-policy[e]-rule[0]")).isTrue();
    assertThat(deny.at("/shadowRules/action").asText()).isEqualTo("DENY");
    assertThat(deny.at("/shadowRules/policies").has("ns[foo]-policy[d]-rule[0]")).isTrue();
    assertThat(deny.at("/shadowRulesStatPrefix").asText()).isEqualTo("istio_dry_run_deny_");
    JsonNode allow = f.at("/1/typedConfig");
    assertThat(allow.has("rules")).isFalse(); // only dry-run: nothing enforced
    assertThat(allow.at("/shadowRules/policies").has("ns[foo]-policy[a]-rule[0]")).isTrue();
    assertThat(allow.at("/shadowRulesStatPrefix").asText()).isEqualTo("istio_dry_run_allow_");
  }

  @Test
  void httpOnlyFieldsOnTcpDropAllowRulesAndWidenDenyRules() {
    String allow =
        policy(
            "allow",
            "ALLOW",
            """
              rules:
              - from:
                - source:
                    requestPrincipals: ["id-1"]
                to:
                - operation:
                    methods: ["GET"]
              - from:
                - source:
                    namespaces: ["ns-1"]
                to:
                - operation:
                    hosts: ["example.com"]
            """);
    JsonNode a = tcp(allow);
    // both rules dropped: an ALLOW filter with no policy denies every connection
    assertThat(a.at("/0/typedConfig/rules").size()).isZero();
    assertThat(a.at("/0/typedConfig/statPrefix").asText()).isEqualTo("tcp.");

    String deny =
        policy(
            "deny",
            "DENY",
            """
              rules:
              - from:
                - source:
                    requestPrincipals: ["id-1"]
                to:
                - operation:
                    methods: ["GET"]
              - from:
                - source:
                    namespaces: ["ns-1"]
                    requestPrincipals: ["id-1"]
                to:
                - operation:
                    ports: ["8080"]
                    methods: ["GET"]
              - when:
                - key: request.headers[:method]
                  values: ["GET"]
            """);
    JsonNode d = tcp(deny).at("/0/typedConfig/rules/policies");
    // rule 0: both conditions are HTTP-only: the rule denies every connection
    assertThat(d.at("/ns[foo]-policy[deny]-rule[0]/permissions/0/andRules/rules/0/any").asBoolean())
        .isTrue();
    assertThat(d.at("/ns[foo]-policy[deny]-rule[0]/principals/0/andIds/ids/0/any").asBoolean())
        .isTrue();
    // rule 1: only the TCP parts remain
    JsonNode r1 = d.at("/ns[foo]-policy[deny]-rule[1]");
    assertThat(r1.at("/permissions/0/andRules/rules")).hasSize(1);
    assertThat(r1.at("/permissions/0/andRules/rules/0/orRules/rules/0/destinationPort").asInt())
        .isEqualTo(8080);
    assertThat(r1.at("/principals/0/andIds/ids")).hasSize(1);
    assertThat(
            r1.at(
                    "/principals/0/andIds/ids/0/orIds/ids/0/authenticated/principalName/safeRegex/regex")
                .asText())
        .isEqualTo(".*/ns/ns-1/.*");
    assertThat(d.at("/ns[foo]-policy[deny]-rule[2]/principals/0/andIds/ids/0/any").asBoolean())
        .isTrue();

    // the same DENY on HTTP keeps every condition
    JsonNode h = http(deny).at("/0/typedConfig/rules/policies/ns[foo]-policy[deny]-rule[1]");
    assertThat(h.at("/permissions/0/andRules/rules")).hasSize(2);
    assertThat(h.at("/principals/0/andIds/ids")).hasSize(2);
  }

  @Test
  void malformedValuesDropAllowRulesButOnlyTheValueOfDenyRules() {
    String rules =
        """
          rules:
          - from:
            - source:
                ipBlocks: ["not-an-ip", "10.0.0.0/8"]
        """;
    JsonNode a = http(policy("p", "ALLOW", rules));
    assertThat(a.at("/0/typedConfig/rules/policies").size()).isZero();
    JsonNode d = http(policy("p", "DENY", rules));
    JsonNode ids =
        d.at("/0/typedConfig/rules/policies/ns[foo]-policy[p]-rule[0]/principals/0/andIds/ids");
    assertThat(ids.at("/0/orIds/ids")).hasSize(1);
    assertThat(ids.at("/0/orIds/ids/0/directRemoteIp/addressPrefix").asText())
        .isEqualTo("10.0.0.0");
  }

  @Test
  void principalsAreWidenedToTrustDomainAliases() {
    String yaml =
        policy(
            "p",
            "ALLOW",
            """
              rules:
              - from:
                - source:
                    principals: ["cluster.local/ns/foo/sa/bar", "*/ns/foo/sa/any", "other-td/ns/foo/sa/x"]
            """);
    PolicyIndex index =
        AuthzFixture.index(yaml, "trustDomain: td2\ntrustDomainAliases: [td1, td3]\n", h -> null);
    JsonNode f =
        json(
            new RbacFilterBuilder(index)
                .localHttp(index.forProxy(AuthzFixture.proxy("foo", HTTPBIN))));
    JsonNode or =
        f.at(
            "/0/typedConfig/rules/policies/ns[foo]-policy[p]-rule[0]/principals/0/andIds/ids/0/orIds/ids");
    assertThat(or).hasSize(5);
    assertThat(or.at("/0/authenticated/principalName/exact").asText())
        .isEqualTo("spiffe://td2/ns/foo/sa/bar");
    assertThat(or.at("/1/authenticated/principalName/exact").asText())
        .isEqualTo("spiffe://td1/ns/foo/sa/bar");
    assertThat(or.at("/2/authenticated/principalName/exact").asText())
        .isEqualTo("spiffe://td3/ns/foo/sa/bar");
    assertThat(or.at("/3/authenticated/principalName/safeRegex/regex").asText())
        .isEqualTo("spiffe://.*/ns/foo/sa/any");
    assertThat(or.at("/4/authenticated/principalName/exact").asText())
        .isEqualTo("spiffe://other-td/ns/foo/sa/x");
  }

  @Test
  void anUnknownWhenKeySkipsOnlyThatRule() {
    // the store never holds such a policy (validation refuses it); if one gets in anyway, the
    // other rules and policies still get their filters
    String yaml =
        policy(
            "p",
            "DENY",
            """
              rules:
              - when:
                - key: not.a.key
                  values: [x]
              - to:
                - operation:
                    paths: [/admin]
            """);
    JsonNode f = http(yaml);
    JsonNode policies = f.at("/0/typedConfig/rules/policies");
    assertThat(policies.has("ns[foo]-policy[p]-rule[0]")).isFalse();
    assertThat(policies.has("ns[foo]-policy[p]-rule[1]")).isTrue();
  }

  @Test
  void noPolicyNoFilter() {
    assertThat(http("")).isEmpty();
    assertThat(tcp("")).isEmpty();
  }

  @Test
  void cidrsKeepTheAddressAsWrittenAndCanonicalizeIpv6() {
    assertThat(Cidrs.parse("10.1.2.3/16").getAddressPrefix()).isEqualTo("10.1.2.3");
    assertThat(Cidrs.parse("10.1.2.3/16").getPrefixLen().getValue()).isEqualTo(16);
    assertThat(Cidrs.parse("FE80:0:0:0:1:0:0:0").getAddressPrefix()).isEqualTo("fe80::1:0:0:0");
    assertThat(Cidrs.parse("::").getAddressPrefix()).isEqualTo("::");
    assertThat(Cidrs.parse("::").getPrefixLen().getValue()).isEqualTo(128);
    for (String bad : List.of("", "1.2.3", "01.2.3.4", "1.2.3.4/33", "1.2.3.4/", "host.example")) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> Cidrs.parse(bad))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}

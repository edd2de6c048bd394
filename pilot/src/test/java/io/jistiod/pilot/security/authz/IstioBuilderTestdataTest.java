package io.jistiod.pilot.security.authz;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Istio 1.27's own authz builder test data ({@code pilot/pkg/security/authz/builder/testdata}, read
 * from the Go module cache where the project's scripts put Istio's source; skipped when absent):
 * for each input policy file and mesh config of Istio's builder_test.go, the filters we build equal
 * Istio's expected output files, field for field.
 */
class IstioBuilderTestdataTest {
  private static final com.fasterxml.jackson.databind.ObjectMapper YAML =
      new com.fasterxml.jackson.databind.ObjectMapper(
          new com.fasterxml.jackson.dataformat.yaml.YAMLFactory());

  static final Path DIR =
      Path.of(
          System.getProperty("user.home"),
          "go/pkg/mod/istio.io/istio@v0.0.0-20250808040725-7359d8be2504/pilot/pkg/security/authz/builder/testdata");

  static final String GRPC_NO_NS =
      "extensionProviders:\n- name: default\n  envoyExtAuthzGrpc:\n    service: my-custom-ext-authz.foo.svc.cluster.local\n    port: 9000\n    failOpen: true\n    statusOnError: '403'\n";
  static final String GRPC =
      "extensionProviders:\n- name: default\n  envoyExtAuthzGrpc:\n    service: foo/my-custom-ext-authz.foo.svc.cluster.local\n    port: 9000\n    timeout: 2ms\n    failOpen: true\n    statusOnError: '403'\n    includeRequestBodyInCheck: {maxRequestBytes: 4096, allowPartialMessage: true}\n";
  static final String HTTP =
      "extensionProviders:\n- name: default\n  envoyExtAuthzHttp:\n    service: foo/my-custom-ext-authz.foo.svc.cluster.local\n    port: 9000\n    timeout: 10s\n    failOpen: true\n    statusOnError: '403'\n    pathPrefix: /check\n    includeRequestHeadersInCheck: [x-custom-id, x-prefix-*, '*-suffix']\n    includeHeadersInCheck: [should-not-include-when-IncludeRequestHeadersInCheck-is-set]\n    includeAdditionalHeadersInCheck: {x-header-1: value-1, x-header-2: value-2}\n    includeRequestBodyInCheck: {maxRequestBytes: 2048, allowPartialMessage: true, packAsBytes: true}\n    headersToUpstreamOnAllow: [Authorization, x-prefix-*, '*-suffix']\n    headersToDownstreamOnDeny: [Set-cookie, x-prefix-*, '*-suffix']\n    headersToDownstreamOnAllow: [Set-cookie, x-prefix-*, '*-suffix']\n";
  static final String INVALID =
      "extensionProviders:\n- name: default\n  envoyExtAuthzHttp:\n    service: foo/my-custom-ext-authz\n    port: 999999\n    pathPrefix: check\n    statusOnError: '999'\n";

  private static void check(
      String kind, String outPrefix, com.fasterxml.jackson.databind.JsonNode ours)
      throws Exception {
    java.util.List<Path> outs;
    try (var files = Files.list(DIR.resolve(kind))) {
      outs =
          files
              .filter(
                  f ->
                      f.getFileName()
                          .toString()
                          .matches(java.util.regex.Pattern.quote(outPrefix) + "-out[0-9]*\\.yaml"))
              .sorted()
              .toList();
    }
    var want = YAML.createArrayNode();
    for (Path o : outs) {
      want.add(YAML.readTree(o.toFile()));
    }
    org.assertj.core.api.Assertions.assertThat(ours).as(kind + "/" + outPrefix).isEqualTo(want);
  }

  @org.junit.jupiter.api.BeforeAll
  static void requireIstioSource() {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.isDirectory(DIR), "Istio 1.27.0 source not in the Go module cache");
  }

  @Test
  void customActionMatchesIstio() throws Exception {
    String[][] cases = {
      {"http", "custom-simple-http-in.yaml", GRPC_NO_NS, "custom-grpc-provider-no-namespace"},
      {"http", "custom-simple-http-in.yaml", GRPC, "custom-grpc-provider"},
      {"http", "custom-simple-http-in.yaml", HTTP, "custom-http-provider"},
      {"http", "custom-bad-multiple-providers-in.yaml", GRPC, "custom-bad"},
      {"http", "custom-simple-http-in.yaml", INVALID, "custom-bad"},
      {"tcp", "custom-both-http-tcp-in.yaml", GRPC, "custom-both-http-tcp"},
      {"tcp", "custom-only-http-in.yaml", HTTP, "custom-only-http"},
    };
    for (String[] c : cases) {
      String yaml = Files.readString(DIR.resolve(c[0]).resolve(c[1]));
      PolicyIndex index =
          AuthzFixture.index(
              yaml,
              c[2],
              h ->
                  h.equals("my-custom-ext-authz.foo.svc.cluster.local")
                      ? new io.jistiod.pilot.model.Service(
                          h,
                          "foo",
                          java.util.List.of(),
                          java.util.List.of(),
                          io.jistiod.pilot.model.Resolution.STATIC,
                          java.util.Set.of(),
                          new io.jistiod.pilot.model.ServiceAttributes(
                              "Kubernetes", "x", Map.of(), Map.of(), false, ""))
                      : null);
      var p = index.forProxy(AuthzFixture.proxy("foo", Map.of("app", "httpbin", "version", "v1")));
      var b = new RbacFilterBuilder(index);
      var out =
          c[0].equals("http")
              ? AuthzFixture.json(b.customHttp(p))
              : AuthzFixture.json(b.customTcp(p));
      check(c[0], c[3], out);
    }
  }

  @Test
  void allowDenyAuditAndDryRunMatchIstio() throws Exception {
    String[][] cases = {
      {"http", "allow-empty-rule-in.yaml", ""},
      {"http", "allow-full-rule-in.yaml", ""},
      {"http", "allow-nil-rule-in.yaml", ""},
      {"http", "allow-path-in.yaml", ""},
      {"http", "audit-full-rule-in.yaml", ""},
      {"http", "deny-and-allow-in.yaml", ""},
      {"http", "deny-empty-rule-in.yaml", ""},
      {"http", "dry-run-allow-and-deny-in.yaml", ""},
      {"http", "dry-run-allow-in.yaml", ""},
      {"http", "dry-run-mix-in.yaml", ""},
      {"http", "multiple-policies-in.yaml", ""},
      {"http", "single-policy-in.yaml", ""},
      {
        "http",
        "simple-policy-td-aliases-in.yaml",
        "trustDomain: td1\ntrustDomainAliases: [cluster.local]\n"
      },
      {
        "http",
        "simple-policy-multiple-td-aliases-in.yaml",
        "trustDomain: td1\ntrustDomainAliases: [cluster.local, some-td]\n"
      },
      {
        "http",
        "simple-policy-principal-with-wildcard-in.yaml",
        "trustDomain: td1\ntrustDomainAliases: [foobar]\n"
      },
      {
        "http",
        "td-aliases-source-principal-in.yaml",
        "trustDomain: new-td\ntrustDomainAliases: [old-td, some-trustdomain]\n"
      },
      {"tcp", "allow-both-http-tcp-in.yaml", ""},
      {"tcp", "allow-only-http-in.yaml", ""},
      {"tcp", "audit-both-http-tcp-in.yaml", ""},
      {"tcp", "deny-both-http-tcp-in.yaml", ""},
      {"tcp", "dry-run-mix-in.yaml", ""},
    };
    for (String[] c : cases) {
      String yaml = Files.readString(DIR.resolve(c[0]).resolve(c[1]));
      PolicyIndex index = AuthzFixture.index(yaml, c[2], h -> null);
      var p = index.forProxy(AuthzFixture.proxy("foo", Map.of("app", "httpbin", "version", "v1")));
      var b = new RbacFilterBuilder(index);
      var out =
          c[0].equals("http")
              ? AuthzFixture.json(b.localHttp(p))
              : AuthzFixture.json(b.localTcp(p));
      check(c[0], c[1].replace("-in.yaml", ""), out);
    }
  }
}

package io.jistiod.galley.analysis;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.config.MemoryConfigStore;
import io.jistiod.galley.mesh.MeshConfigs;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Admission warnings for AuthorizationPolicies istiod accepts but cannot enforce as written. */
class AuthorizationPolicyAnalyzerTest {
  private static final MeshConfig MESH =
      MeshConfigs.parse(
          """
          extensionProviders:
          - name: my-ext-authz
            envoyExtAuthzGrpc:
              service: ext-authz.foo.svc.cluster.local
              port: 9000
          - name: zipkin
            zipkin:
              service: zipkin.istio-system.svc.cluster.local
              port: 9411
          """,
          "mesh.yaml");

  private static List<String> analyze(String yaml) {
    MemoryConfigStore store = new MemoryConfigStore();
    store.markSynced();
    return new Analysis(Analysis.all(() -> MESH), store, null, "cluster.local", "istio-system")
        .analyze(AnalysisTest.parse(yaml)).stream().map(AnalysisMessage::toString).toList();
  }

  private static String custom(String provider) {
    return """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: ext, namespace: foo}
        spec:
          action: CUSTOM
          provider: {name: %s}
          rules:
          - to:
            - operation:
                paths: [/ext/*]
        """
        .formatted(provider);
  }

  @Test
  void customPolicyWithUnknownProviderIsWarnedNamingObjectAndField() {
    assertThat(analyze(custom("nope")))
        .containsExactly(
            "JST0012 (AuthorizationPolicy foo/ext) spec.provider.name: extension provider \"nope\""
                + " is not an envoyExtAuthzHttp or envoyExtAuthzGrpc provider in MeshConfig"
                + " extensionProviders (defined: [my-ext-authz]); until it is, every request this"
                + " policy's rules match is denied");
    // a provider of another kind (tracing) cannot authorize either
    assertThat(analyze(custom("zipkin"))).hasSize(1);
    assertThat(analyze(custom("my-ext-authz"))).isEmpty();
  }

  @Test
  void trustDomainsAreWarnedAsUnsupported() {
    List<String> m =
        analyze(
            """
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: td, namespace: foo}
            spec:
              rules:
              - from:
                - source:
                    trustDomains: [example.org]
            """);
    assertThat(m)
        .containsExactly(
            "JST0013 (AuthorizationPolicy foo/td) spec.rules[0].from[0].source.trustDomains:"
                + " trustDomains/notTrustDomains are not supported by istiod 1.27; this ALLOW rule"
                + " is dropped, so it allows nothing");
  }
}

package io.jistiod.galley.analysis;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.config.MemoryConfigStore;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.galley.parse.ParseResult;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each analyzer against a small mesh: what it reports, where, and when it stays quiet. */
class AnalysisTest {
  private static final ConfigParser PARSER = new ConfigParser(IstioKinds.ALL, "default");

  private final MemoryConfigStore store = new MemoryConfigStore();
  private final FakeMesh mesh = new FakeMesh();

  /** Registries with Service reviews in default and pod app=reviews,version=v1 in default. */
  static final class FakeMesh implements MeshView {
    final List<String> hosts = new ArrayList<>(List.of("reviews.default.svc.cluster.local"));
    final List<Map.Entry<String, Map<String, String>>> pods =
        new ArrayList<>(List.of(Map.entry("default", Map.of("app", "reviews", "version", "v1"))));
    boolean synced = true;

    @Override
    public Collection<String> serviceHosts() {
      return hosts;
    }

    @Override
    public List<Map<String, String>> workloadLabels(String namespace) {
      return pods.stream()
          .filter(p -> namespace == null || p.getKey().equals(namespace))
          .map(Map.Entry::getValue)
          .toList();
    }

    @Override
    public boolean hasSynced() {
      return synced;
    }
  }

  static Config parse(String yaml) {
    ParseResult r = PARSER.parse(yaml, "test");
    assertThat(r.errors()).isEmpty();
    assertThat(r.configs()).hasSize(1);
    return r.configs().get(0);
  }

  private void stored(String yaml) {
    store.put(parse(yaml));
  }

  private List<String> analyze(String yaml) {
    store.markSynced();
    return new Analysis(Analysis.all(), store, mesh, "cluster.local", "istio-system")
        .analyze(parse(yaml)).stream().map(AnalysisMessage::toString).toList();
  }

  static String vs(String name, String routes) {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: %s, namespace: default}
        spec:
          hosts: [reviews]
          http:
        %s"""
        .formatted(name, routes.indent(2));
  }

  private static final String REVIEWS_DR =
      """
      apiVersion: networking.istio.io/v1
      kind: DestinationRule
      metadata: {name: reviews, namespace: default}
      spec:
        host: reviews
        subsets:
        - {name: v1, labels: {version: v1}}
      """;

  @Test
  void aRouteToAnUndefinedSubsetIsReportedWithItsField() {
    stored(REVIEWS_DR);
    List<String> out =
        analyze(
            vs(
                "reviews",
                """
                - route:
                  - {destination: {host: reviews, subset: v1}, weight: 50}
                  - {destination: {host: reviews.default.svc.cluster.local, subset: v3}, weight: 50}
                """));
    assertThat(out)
        .containsExactly(
            "IST0101 (VirtualService default/reviews) spec.http[0].route[1].destination.subset:"
                + " Referenced host+subset in destinationrule not found:"
                + " \"reviews.default.svc.cluster.local+v3\"");
  }

  @Test
  void aSubsetOfARuleInAnotherNamespaceOrAWildcardRuleCounts() {
    stored(
        """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: all, namespace: istio-system}
        spec:
          host: "*.default.svc.cluster.local"
          subsets: [{name: v2, labels: {version: v2}}]
        """);
    assertThat(analyze(vs("r", "- route: [{destination: {host: reviews, subset: v2}}]\n")))
        .isEmpty();
    // Without any DestinationRule the same route is reported, also for mirrors and TCP routes.
    store.delete(
        parse(
                """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: all, namespace: istio-system}
            spec: {host: x}
            """)
            .key());
    assertThat(
            analyze(
                vs(
                    "r",
                    """
                    - route: [{destination: {host: reviews}}]
                      mirror: {host: reviews, subset: shadow}
                    """)))
        .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
        .contains("spec.http[0].mirror.subset")
        .contains("\"reviews+shadow\"");
  }

  @Test
  void hostsMatchingNoServiceAreReportedForRoutesAndDestinationRules() {
    stored(
        """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: ext, namespace: other}
        spec:
          hosts: ["*.example.com"]
          ports: [{number: 443, name: https, protocol: TLS}]
          resolution: DNS
        """);
    List<String> out =
        analyze(
            vs(
                "reviews",
                """
                - route:
                  - {destination: {host: reviews}, weight: 40}
                  - {destination: {host: api.example.com}, weight: 30}
                  - {destination: {host: reveiws}, weight: 30}
                """));
    assertThat(out)
        .containsExactly(
            "IST0101 (VirtualService default/reviews) spec.http[0].route[2].destination.host:"
                + " Referenced host not found: \"reveiws\"");

    assertThat(
            analyze(
                """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: ratings, namespace: default}
                spec: {host: ratings}
                """))
        .containsExactly(
            "IST0101 (DestinationRule default/ratings) spec.host:"
                + " Referenced host not found: \"ratings\"");
    mesh.hosts.add("ratings.default.svc.cluster.local");
    assertThat(
            analyze(
                """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: ratings, namespace: default}
                spec: {host: ratings}
                """))
        .isEmpty();
  }

  @Test
  void withoutASyncedRegistryViewHostsAndSelectorsAreNotJudged() {
    mesh.synced = false;
    assertThat(analyze(vs("r", "- route: [{destination: {host: nowhere}}]\n"))).isEmpty();
    assertThat(
            new Analysis(Analysis.all(), store, null, "cluster.local", "istio-system")
                .analyze(parse(vs("r", "- route: [{destination: {host: nowhere}}]\n"))))
        .isEmpty();
  }

  @Test
  void nothingIsReportedBeforeTheStoreHasSynced() {
    assertThat(
            new Analysis(Analysis.all(), store, mesh, "cluster.local", "istio-system")
                .analyze(parse(vs("r", "- route: [{destination: {host: nowhere, subset: x}}]\n"))))
        .isEmpty();
  }

  private static String pa(String ns, String name, String spec) {
    return """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: %s, namespace: %s}
        spec: %s
        """
        .formatted(name, ns, spec);
  }

  @Test
  void twoNamespaceWideOrMeshWidePeerAuthenticationsConflict() {
    stored(pa("default", "strict", "{mtls: {mode: STRICT}}"));
    stored(pa("default", "scoped", "{selector: {matchLabels: {app: reviews}}}"));
    stored(pa("istio-system", "mesh", "{mtls: {mode: STRICT}}"));

    assertThat(analyze(pa("default", "permissive", "{mtls: {mode: PERMISSIVE}}")))
        .containsExactly(
            "JST0001 (PeerAuthentication default/permissive) spec.selector: conflicts with"
                + " PeerAuthentication default/strict: each is namespace-wide (no selector) in"
                + " namespace default, and only one namespace-wide PeerAuthentication takes"
                + " effect; give all but one a selector, or merge them");
    assertThat(analyze(pa("istio-system", "mesh2", "{mtls: {mode: PERMISSIVE}}")))
        .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
        .contains("istio-system/mesh")
        .contains("mesh-wide");
    // Updating the one that exists, one with a selector, one alone in its namespace: no conflict.
    assertThat(analyze(pa("default", "strict", "{mtls: {mode: PERMISSIVE}}"))).isEmpty();
    assertThat(analyze(pa("default", "more", "{selector: {matchLabels: {app: reviews}}}")))
        .isEmpty();
    assertThat(analyze(pa("other", "strict", "{mtls: {mode: STRICT}}"))).isEmpty();
  }

  @Test
  void selectorsMatchingNoWorkloadAreReported() {
    assertThat(
            analyze(
                """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: deny, namespace: default}
                spec:
                  selector: {matchLabels: {app: reveiws, version: v1}}
                  action: DENY
                  rules: [{}]
                """))
        .containsExactly(
            "IST0127 (AuthorizationPolicy default/deny) spec.selector.matchLabels: No matching"
                + " workloads for this resource with the following labels: app=reveiws,version=v1");
    assertThat(
            analyze(
                """
                apiVersion: networking.istio.io/v1
                kind: Sidecar
                metadata: {name: s, namespace: default}
                spec:
                  workloadSelector: {labels: {app: ratings}}
                  egress: [{hosts: ["./*"]}]
                """))
        .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
        .startsWith("IST0127 (Sidecar default/s) spec.workloadSelector.labels:");
    assertThat(
            analyze(
                """
                apiVersion: networking.istio.io/v1
                kind: Gateway
                metadata: {name: gw, namespace: default}
                spec:
                  selector: {istio: ingressgateway}
                  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
                """))
        .containsExactly(
            "IST0101 (Gateway default/gw) spec.selector:"
                + " Referenced selector not found: \"istio=ingressgateway\"");
  }

  /** As istioctl analyze: a namespace-wide AuthorizationPolicy where no workload runs. */
  @Test
  void aSelectorlessAuthorizationPolicyOfANamespaceWithoutWorkloadsIsReported() {
    String policy =
        """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: allow, namespace: %s}
        spec: {action: ALLOW, rules: [{}]%s}
        """;
    assertThat(analyze(policy.formatted("empty", "")))
        .containsExactly(
            "IST0127 (AuthorizationPolicy empty/allow) No matching workloads for this resource"
                + " with the following labels: ");
    // an empty selector is the same as none
    assertThat(analyze(policy.formatted("empty", ", selector: {}"))).hasSize(1);
    // a pod in the namespace, or a policy of the root namespace: nothing to report
    assertThat(analyze(policy.formatted("default", ""))).isEmpty();
    assertThat(analyze(policy.formatted("istio-system", ""))).isEmpty();
    // other kinds without a selector apply to the namespace whatever runs there
    assertThat(
            analyze(
                """
                apiVersion: security.istio.io/v1
                kind: PeerAuthentication
                metadata: {name: p, namespace: empty}
                spec: {mtls: {mode: STRICT}}
                """))
        .isEmpty();
  }

  @Test
  void selectorsMatchingAPodOrAWorkloadEntryInScopeAreFine() {
    String policy =
        """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: p, namespace: %s}
        spec: {selector: {matchLabels: {app: reviews}}, mtls: {mode: STRICT}}
        """;
    assertThat(analyze(policy.formatted("default"))).isEmpty();
    // A pod in another namespace does not count, except for a policy in the root namespace.
    assertThat(analyze(policy.formatted("other"))).hasSize(1);
    assertThat(analyze(policy.formatted("istio-system"))).isEmpty();
    stored(
        """
        apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata: {name: vm, namespace: other}
        spec: {address: 10.0.0.1, labels: {app: reviews}}
        """);
    assertThat(analyze(policy.formatted("other"))).isEmpty();
    // No selector: applies to all workloads, nothing to report.
    assertThat(analyze(pa("empty", "p", "{mtls: {mode: STRICT}}"))).isEmpty();
  }

  @Test
  void aThrowingAnalyzerIsSkippedAndTheOthersStillReport() {
    store.markSynced();
    Analyzer broken =
        new Analyzer() {
          @Override
          public String name() {
            return "broken";
          }

          @Override
          public List<AnalysisMessage> analyze(Config object, AnalysisContext context) {
            throw new IllegalStateException("bug");
          }
        };
    List<AnalysisMessage> out =
        new Analysis(
                List.of(broken, new ServiceHostAnalyzer()),
                store,
                mesh,
                "cluster.local",
                "istio-system")
            .analyze(parse(vs("r", "- route: [{destination: {host: nowhere}}]\n")));
    assertThat(out).extracting(m -> m.type().code()).containsExactly("IST0101");
  }
}

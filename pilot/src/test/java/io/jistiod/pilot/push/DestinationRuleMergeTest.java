package io.jistiod.pilot.push;

import static io.jistiod.pilot.push.PushFixture.push;
import static io.jistiod.pilot.push.PushFixture.service;
import static io.jistiod.pilot.push.PushFixture.sidecar;
import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.galley.api.networking.v1alpha3.LoadBalancerSettings;
import io.jistiod.galley.api.networking.v1alpha3.Subset;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext.ResolvedDestinationRule;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Several DestinationRules for one host, consolidated and chosen per proxy as istiod 1.27 does. */
class DestinationRuleMergeTest {
  private static final String NS = "svc-ns";
  private static final String WEB = "web.svc-ns.svc.cluster.local";
  private static final String SERVICE = service("web", NS);

  /**
   * A DestinationRule for {@code web} in {@code namespace}: {@code extra} is YAML of its spec
   * besides the host (one flow mapping per line, indented by the caller's text block).
   */
  private static String rule(String name, String namespace, String extra) {
    return """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: %s, namespace: %s}
        spec:
          host: web.svc-ns.svc.cluster.local
        %s
        ---
        """
        .formatted(name, namespace, extra.indent(2).stripTrailing());
  }

  private static ResolvedDestinationRule ruleFor(PushContext push, Proxy proxy) {
    return push.destinationRuleFor(proxy, WEB).orElse(null);
  }

  private static List<String> subsets(ResolvedDestinationRule r) {
    return r.spec().getSubsetsList().stream().map(Subset::getName).toList();
  }

  private static LoadBalancerSettings.SimpleLB lb(ResolvedDestinationRule r) {
    return r.spec().getTrafficPolicy().getLoadBalancer().getSimple();
  }

  @Test
  void subsetsAreUnionedAndTheFirstRuleWithATrafficPolicyWins() {
    PushContext push =
        push(
            SERVICE,
            rule(
                "a-first",
                NS,
                """
                subsets:
                - {name: v1, labels: {version: v1}}
                """),
            rule(
                "b-second",
                NS,
                """
                trafficPolicy: {loadBalancer: {simple: RANDOM}}
                subsets:
                - {name: v1, labels: {version: other}}
                - {name: v2, labels: {version: v2}}
                """),
            rule(
                "c-third",
                NS,
                """
                trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
                subsets:
                - {name: v3, labels: {version: v3}}
                """));
    for (String proxyNamespace : List.of(NS, "client")) {
      ResolvedDestinationRule r = ruleFor(push, sidecar(proxyNamespace));
      // the first rule's metadata names the merge (cluster metadata, as istiod's)
      assertThat(r.config().name()).isEqualTo("a-first");
      assertThat(r.from()).containsExactly(NS + "/a-first", NS + "/b-second", NS + "/c-third");
      // a later v1 is dropped: the first one's labels stay
      assertThat(subsets(r)).containsExactly("v1", "v2", "v3");
      assertThat(r.spec().getSubsets(0).getLabelsMap()).containsEntry("version", "v1");
      // a-first has none: the next rule with a trafficPolicy gives it
      assertThat(lb(r)).isEqualTo(LoadBalancerSettings.SimpleLB.RANDOM);
    }
    // the rules as written are untouched
    assertThat(push.destinationRules()).hasSize(3);
    assertThat(push.destinationRules().get(0).spec().getSubsetsCount()).isEqualTo(1);
  }

  @Test
  void theOldestRuleIsMergedIntoFirstWhateverItsName() {
    PushContext push =
        push(
            SERVICE,
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: a-new, namespace: svc-ns, creationTimestamp: "2026-01-02T00:00:00Z"}
            spec:
              host: web
              trafficPolicy: {loadBalancer: {simple: RANDOM}}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: z-old, namespace: svc-ns, creationTimestamp: "2026-01-01T00:00:00Z"}
            spec:
              host: web
              trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
            """);
    ResolvedDestinationRule r = ruleFor(push, sidecar(NS));
    assertThat(r.from()).containsExactly(NS + "/z-old", NS + "/a-new");
    assertThat(lb(r)).isEqualTo(LoadBalancerSettings.SimpleLB.ROUND_ROBIN);
  }

  @Test
  void rulesWithDifferentExportToStayApartAndTheLastOneAProxySeesApplies() {
    PushContext push =
        push(
            SERVICE,
            rule("a-all", NS, "subsets: [{name: v1, labels: {version: v1}}]"),
            rule("b-all", NS, "subsets: [{name: v2, labels: {version: v2}}]"),
            rule(
                "c-for-other",
                NS,
                """
                exportTo: [other]
                subsets: [{name: v3, labels: {version: v3}}]
                """));
    // its own namespace: c is not exported to it, a and b are merged
    ResolvedDestinationRule own = ruleFor(push, sidecar(NS));
    assertThat(own.from()).containsExactly(NS + "/a-all", NS + "/b-all");
    assertThat(subsets(own)).containsExactly("v1", "v2");
    // "other" sees both the merge of a and b and c, filed apart: the last one wins
    ResolvedDestinationRule other = ruleFor(push, sidecar("other"));
    assertThat(other.from()).containsExactly(NS + "/c-for-other");
    assertThat(subsets(other)).containsExactly("v3");
    // anyone else: the merge of a and b
    assertThat(ruleFor(push, sidecar("third")).from())
        .containsExactly(NS + "/a-all", NS + "/b-all");
    assertThat(ruleFor(push, sidecar("third")).key()).isEqualTo(own.key());
    assertThat(other.key()).isNotEqualTo(own.key());
  }

  @Test
  void aPrivateRuleNextToAPublicOneWinsInItsNamespaceOnly() {
    PushContext push =
        push(
            SERVICE,
            rule("a-public", NS, "exportTo: ['*']\nsubsets: [{name: v1, labels: {version: v1}}]"),
            rule("b-private", NS, "exportTo: ['.']\nsubsets: [{name: v2, labels: {version: v2}}]"));
    // "." and "*" are different sets: not merged; in the namespace the later rule applies
    assertThat(ruleFor(push, sidecar(NS)).from()).containsExactly(NS + "/b-private");
    assertThat(ruleFor(push, sidecar("client")).from()).containsExactly(NS + "/a-public");
  }

  @Test
  void aWiderExportToIsMergedIntoTheNarrowerRuleAndNotKeptOnItsOwn() {
    PushContext push =
        push(
            SERVICE,
            rule("a-narrow", NS, "exportTo: [b]\nsubsets: [{name: v1, labels: {version: v1}}]"),
            rule("b-wide", NS, "exportTo: [b, c]\nsubsets: [{name: v2, labels: {version: v2}}]"));
    ResolvedDestinationRule forB = ruleFor(push, sidecar("b"));
    assertThat(forB.from()).containsExactly(NS + "/a-narrow", NS + "/b-wide");
    assertThat(subsets(forB)).containsExactly("v1", "v2");
    // istiod 1.27: two rules without selectors that merge leave no rule of their own, and the
    // merge keeps the first rule's exportTo: "c" gets nothing
    assertThat(ruleFor(push, sidecar("c"))).isNull();
    assertThat(ruleFor(push, sidecar(NS))).isNull();
  }

  @Test
  void exactAndWildcardHostsAreNotMergedButTwoRulesForOneWildcardAre() {
    PushContext push =
        push(
            SERVICE,
            PushFixture.destinationRule("a-wild", "client", "*.svc-ns.svc.cluster.local"),
            PushFixture.destinationRule("b-wild", "client", "*.svc-ns.svc.cluster.local"),
            PushFixture.destinationRule("c-broad", "client", "*.cluster.local"));
    assertThat(ruleFor(push, sidecar("client")).from())
        .containsExactly("client/a-wild", "client/b-wild");
    PushContext exact =
        push(
            SERVICE,
            PushFixture.destinationRule("a-wild", "client", "*.svc-ns.svc.cluster.local"),
            PushFixture.destinationRule("b-exact", "client", WEB));
    assertThat(ruleFor(exact, sidecar("client")).from()).containsExactly("client/b-exact");
  }

  @Test
  void rootNamespaceRulesMergeWithinTheirPool() {
    PushContext push =
        push(
            SERVICE,
            PushFixture.destinationRule("a-private", "istio-system", "*.cluster.local", "."),
            PushFixture.destinationRule("b-private", "istio-system", "*.cluster.local", "."),
            PushFixture.destinationRule("c-public", "istio-system", "*.cluster.local"));
    assertThat(ruleFor(push, sidecar("istio-system")).from())
        .containsExactly("istio-system/a-private", "istio-system/b-private");
    assertThat(ruleFor(push, sidecar("client")).from()).containsExactly("istio-system/c-public");
  }

  private static final String SELECTING_TUNED =
      rule(
          "tuned",
          NS,
          """
          workloadSelector: {matchLabels: {app: tuned}}
          trafficPolicy: {loadBalancer: {simple: RANDOM}}
          subsets: [{name: fast, labels: {version: v1}}]
          """);

  @Test
  void aSelectorRuleAppliesOutboundToTheWorkloadsItSelectsOnly() {
    PushContext push =
        push(
            SERVICE,
            SELECTING_TUNED,
            rule(
                "all",
                NS,
                """
                trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
                subsets: [{name: v1, labels: {version: v1}}]
                """));
    Proxy tuned = sidecar(NS, Map.of("app", "tuned", "version", "v1"));
    Proxy plain = sidecar(NS, Map.of("app", "client"));
    // no exportTo is not "." : the rule for all stays apart from the selector rule
    assertThat(ruleFor(push, tuned).from()).containsExactly(NS + "/tuned");
    assertThat(subsets(ruleFor(push, tuned))).containsExactly("fast");
    assertThat(ruleFor(push, plain).from()).containsExactly(NS + "/all");
    // inbound, selectors are ignored
    assertThat(push.inboundDestinationRuleFor(tuned, WEB).orElseThrow().from())
        .containsExactly(NS + "/all");
    // another namespace never sees a selector rule
    assertThat(ruleFor(push, sidecar("client", Map.of("app", "tuned"))).from())
        .containsExactly(NS + "/all");
  }

  @Test
  void aRuleExportedBeyondTheNamespaceIsMergedIntoSelectorRulesToo() {
    PushContext push =
        push(
            SERVICE,
            SELECTING_TUNED,
            rule(
                "wide",
                NS,
                """
                exportTo: [".", other]
                trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
                subsets: [{name: v1, labels: {version: v1}}]
                """));
    ResolvedDestinationRule tuned = ruleFor(push, sidecar(NS, Map.of("app", "tuned")));
    assertThat(tuned.from()).containsExactly(NS + "/tuned", NS + "/wide");
    assertThat(subsets(tuned)).containsExactly("fast", "v1");
    assertThat(lb(tuned)).isEqualTo(LoadBalancerSettings.SimpleLB.RANDOM);
    assertThat(tuned.spec().hasWorkloadSelector()).isTrue();
    assertThat(ruleFor(push, sidecar(NS)).from()).containsExactly(NS + "/wide");
  }

  @Test
  void aPrivateRuleIsAbsorbedBySelectorRulesAndLeavesOtherWorkloadsWithout() {
    // istiod 1.27: exportTo ["."] equals a selector rule's, so the rule is merged into it and not
    // kept on its own; workloads the selector does not pick get no rule
    PushContext push =
        push(
            SERVICE,
            SELECTING_TUNED,
            rule("private", NS, "exportTo: ['.']\nsubsets: [{name: v1, labels: {version: v1}}]"));
    assertThat(ruleFor(push, sidecar(NS, Map.of("app", "tuned"))).from())
        .containsExactly(NS + "/tuned", NS + "/private");
    assertThat(ruleFor(push, sidecar(NS))).isNull();
    assertThat(push.inboundDestinationRuleFor(sidecar(NS), WEB)).isEmpty();
  }

  @Test
  void selectorRulesMergeOnlyWithTheSameSelectorAndTheFirstThatSelectsWins() {
    PushContext push =
        push(
            SERVICE,
            rule(
                "a-app",
                NS,
                """
                workloadSelector: {matchLabels: {app: tuned}}
                subsets: [{name: s1, labels: {version: v1}}]
                """),
            rule(
                "b-app",
                NS,
                """
                workloadSelector: {matchLabels: {app: tuned}}
                subsets: [{name: s2, labels: {version: v2}}]
                """),
            rule(
                "c-version",
                NS,
                """
                workloadSelector: {matchLabels: {version: v9}}
                subsets: [{name: s3, labels: {version: v3}}]
                """));
    Proxy both = sidecar(NS, Map.of("app", "tuned", "version", "v9"));
    assertThat(ruleFor(push, both).from()).containsExactly(NS + "/a-app", NS + "/b-app");
    assertThat(subsets(ruleFor(push, both))).containsExactly("s1", "s2");
    assertThat(ruleFor(push, sidecar(NS, Map.of("version", "v9"))).from())
        .containsExactly(NS + "/c-version");
    // the host is found in the namespace, so nothing is looked for elsewhere
    assertThat(ruleFor(push, sidecar(NS))).isNull();
  }

  @Test
  void selectorRulesComeBeforeOlderRulesWithoutOne() {
    PushContext push =
        push(
            SERVICE,
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: a-old, namespace: svc-ns, creationTimestamp: "2026-01-01T00:00:00Z"}
            spec:
              host: web
              exportTo: [".", other]
              trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: z-new, namespace: svc-ns, creationTimestamp: "2026-01-02T00:00:00Z"}
            spec:
              host: web
              workloadSelector: {matchLabels: {app: tuned}}
            """);
    ResolvedDestinationRule r = ruleFor(push, sidecar(NS, Map.of("app", "tuned")));
    // the selector rule is the base, the older rule's policy fills what it lacks
    assertThat(r.from()).containsExactly(NS + "/z-new", NS + "/a-old");
    assertThat(r.config().name()).isEqualTo("z-new");
    assertThat(lb(r)).isEqualTo(LoadBalancerSettings.SimpleLB.ROUND_ROBIN);
    // and, exported more widely than the selector rule, it is kept on its own for the others
    assertThat(ruleFor(push, sidecar(NS)).from()).containsExactly(NS + "/a-old");
  }

  @Test
  void proxiesThatSelectDifferentRulesGetDifferentCacheScopes() {
    PushContext push = push(SERVICE, SELECTING_TUNED);
    GenerationCache cache = push.cache();
    var tunedA = cache.scope(sidecar(NS, Map.of("app", "tuned", "pod", "a")));
    var tunedB = cache.scope(sidecar(NS, Map.of("app", "tuned", "pod", "b")));
    var plainA = cache.scope(sidecar(NS, Map.of("app", "web", "pod", "a")));
    var plainB = cache.scope(sidecar(NS, Map.of("app", "api")));
    assertThat(tunedA).isSameAs(tunedB);
    assertThat(plainA).isSameAs(plainB);
    assertThat(tunedA).isNotSameAs(plainA);
  }
}

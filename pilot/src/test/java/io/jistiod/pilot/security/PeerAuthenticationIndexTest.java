package io.jistiod.pilot.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.galley.parse.ParseResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** PeerAuthentication precedence, as istiod's ComposePeerAuthentication merges it. */
class PeerAuthenticationIndexTest {
  private static final String ROOT = "istio-system";
  private static final Map<String, String> APP = Map.of("app", "web", "version", "v1");

  /** A policy; {@code body} is the spec, {@code created} its creationTimestamp (or null). */
  private static Config pa(String ns, String name, String created, String body) {
    String doc =
        """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: %s, namespace: %s%s}
        spec: %s
        """
            .formatted(
                name, ns, created == null ? "" : ", creationTimestamp: '" + created + "'", body);
    ParseResult r = new ConfigParser(IstioKinds.ALL, ns).parse(doc, "test");
    assertThat(r.errors()).isEmpty();
    return r.configs().get(0);
  }

  private static PeerAuthenticationIndex index(Config... policies) {
    return PeerAuthenticationIndex.of(ROOT, new ArrayList<>(List.of(policies)));
  }

  @Test
  void withoutPoliciesEveryPortIsPermissive() {
    EffectivePeerAuthentication p = index().forWorkload("shop", APP);
    assertThat(p.mode()).isEqualTo(MtlsMode.PERMISSIVE);
    assertThat(p.forPort(8080)).isEqualTo(MtlsMode.PERMISSIVE);
    assertThat(index().namespaceMode("shop")).isEqualTo(MtlsMode.PERMISSIVE);
  }

  @Test
  void meshWidePolicyAppliesToEveryNamespace() {
    PeerAuthenticationIndex i = index(pa(ROOT, "default", null, "{mtls: {mode: STRICT}}"));
    assertThat(i.forWorkload("shop", APP).mode()).isEqualTo(MtlsMode.STRICT);
    assertThat(i.forWorkload(ROOT, APP).mode()).isEqualTo(MtlsMode.STRICT);
    assertThat(i.namespaceMode("other")).isEqualTo(MtlsMode.STRICT);
  }

  @Test
  void meshWideUnsetIsPermissive() {
    PeerAuthenticationIndex i = index(pa(ROOT, "default", null, "{}"));
    assertThat(i.forWorkload("shop", APP).mode()).isEqualTo(MtlsMode.PERMISSIVE);
    assertThat(i.namespaceMode("shop")).isEqualTo(MtlsMode.PERMISSIVE);
  }

  @Test
  void namespacePolicyOverridesMeshAndUnsetInheritsIt() {
    PeerAuthenticationIndex i =
        index(
            pa(ROOT, "default", null, "{mtls: {mode: STRICT}}"),
            pa("shop", "ns", null, "{mtls: {mode: DISABLE}}"),
            pa("lab", "ns", null, "{mtls: {}}"));
    assertThat(i.forWorkload("shop", APP).mode()).isEqualTo(MtlsMode.DISABLE);
    assertThat(i.forWorkload("lab", APP).mode()).isEqualTo(MtlsMode.STRICT);
    assertThat(i.forWorkload("other", APP).mode()).isEqualTo(MtlsMode.STRICT);
    assertThat(i.namespaceMode("shop")).isEqualTo(MtlsMode.DISABLE);
    assertThat(i.namespaceMode("lab")).isEqualTo(MtlsMode.STRICT);
  }

  @Test
  void policiesOfOtherNamespacesDoNotApply() {
    PeerAuthenticationIndex i =
        index(
            pa("lab", "ns", null, "{mtls: {mode: STRICT}}"),
            pa("lab", "w", null, "{selector: {matchLabels: {app: web}}, mtls: {mode: DISABLE}}"));
    assertThat(i.forWorkload("shop", APP).mode()).isEqualTo(MtlsMode.PERMISSIVE);
  }

  @Test
  void workloadPolicyOverridesNamespaceAndUnsetInheritsIt() {
    PeerAuthenticationIndex i =
        index(
            pa("shop", "ns", null, "{mtls: {mode: DISABLE}}"),
            pa(
                "shop",
                "web",
                null,
                "{selector: {matchLabels: {app: web}}, mtls: {mode: PERMISSIVE}}"),
            pa("shop", "db", null, "{selector: {matchLabels: {app: db}}}"));
    assertThat(i.forWorkload("shop", APP).mode()).isEqualTo(MtlsMode.PERMISSIVE);
    assertThat(i.forWorkload("shop", Map.of("app", "db")).mode()).isEqualTo(MtlsMode.DISABLE);
    // a selector that does not match, or matches only part of its labels, does not apply
    assertThat(i.forWorkload("shop", Map.of("app", "other")).mode()).isEqualTo(MtlsMode.DISABLE);
    // the namespace's mode for auto mTLS ignores workload policies
    assertThat(i.namespaceMode("shop")).isEqualTo(MtlsMode.DISABLE);
  }

  @Test
  void selectorMustMatchEveryLabel() {
    PeerAuthenticationIndex i =
        index(
            pa(
                "shop",
                "w",
                null,
                "{selector: {matchLabels: {app: web, version: v2}}, mtls: {mode: STRICT}}"));
    assertThat(i.forWorkload("shop", APP).mode()).isEqualTo(MtlsMode.PERMISSIVE);
    assertThat(i.forWorkload("shop", Map.of("app", "web", "version", "v2")).mode())
        .isEqualTo(MtlsMode.STRICT);
  }

  @Test
  void workloadPoliciesInTheRootNamespaceAreIgnored() {
    PeerAuthenticationIndex i =
        index(pa(ROOT, "w", null, "{selector: {matchLabels: {app: web}}, mtls: {mode: STRICT}}"));
    assertThat(i.forWorkload("shop", APP).mode()).isEqualTo(MtlsMode.PERMISSIVE);
    assertThat(i.forWorkload(ROOT, APP).mode()).isEqualTo(MtlsMode.PERMISSIVE);
  }

  @Test
  void portLevelModesComeFromTheWorkloadPolicyAndUnsetInheritsTheWorkloadMode() {
    PeerAuthenticationIndex i =
        index(
            pa(ROOT, "default", null, "{mtls: {mode: DISABLE}}"),
            pa(
                "shop",
                "web",
                null,
                "{selector: {matchLabels: {app: web}}, mtls: {mode: PERMISSIVE},"
                    + " portLevelMtls: {8080: {mode: STRICT}, 9090: {mode: UNSET}, 9091: {}}}"));
    EffectivePeerAuthentication p = i.forWorkload("shop", APP);
    assertThat(p.mode()).isEqualTo(MtlsMode.PERMISSIVE);
    assertThat(p.forPort(8080)).isEqualTo(MtlsMode.STRICT);
    assertThat(p.forPort(9090)).isEqualTo(MtlsMode.PERMISSIVE);
    assertThat(p.forPort(9091)).isEqualTo(MtlsMode.PERMISSIVE);
    assertThat(p.forPort(7070)).isEqualTo(MtlsMode.PERMISSIVE);
    assertThat(p.forPort(0)).isEqualTo(MtlsMode.PERMISSIVE);
    assertThat(p.perPort().keySet()).containsExactly(8080, 9090, 9091);
  }

  @Test
  void portLevelUnsetUnderAnUnsetWorkloadInheritsTheNamespace() {
    PeerAuthenticationIndex i =
        index(
            pa("shop", "ns", null, "{mtls: {mode: STRICT}}"),
            pa(
                "shop",
                "web",
                null,
                "{selector: {matchLabels: {app: web}}, portLevelMtls: {8080: {mode: DISABLE},"
                    + " 9090: {}}}"));
    EffectivePeerAuthentication p = i.forWorkload("shop", APP);
    assertThat(p.mode()).isEqualTo(MtlsMode.STRICT);
    assertThat(p.forPort(8080)).isEqualTo(MtlsMode.DISABLE);
    assertThat(p.forPort(9090)).isEqualTo(MtlsMode.STRICT);
  }

  @Test
  void ofSeveralWorkloadPoliciesTheOldestWinsThenTheFirstName() {
    PeerAuthenticationIndex byTime =
        index(
            pa("shop", "a-new", "2024-05-02T00:00:00Z", sel("STRICT")),
            pa("shop", "z-old", "2024-05-01T00:00:00Z", sel("DISABLE")));
    assertThat(byTime.forWorkload("shop", APP).mode()).isEqualTo(MtlsMode.DISABLE);
    PeerAuthenticationIndex byName =
        index(
            pa("shop", "b", "2024-05-01T00:00:00Z", sel("STRICT")),
            pa("shop", "a", "2024-05-01T00:00:00Z", sel("DISABLE")));
    assertThat(byName.forWorkload("shop", APP).mode()).isEqualTo(MtlsMode.DISABLE);
  }

  @Test
  void ofSeveralNamespaceWidePoliciesOnlyTheOldestCounts() {
    PeerAuthenticationIndex i =
        index(
            pa("shop", "newer", "2024-05-02T00:00:00Z", "{mtls: {mode: DISABLE}}"),
            pa("shop", "older", "2024-05-01T00:00:00Z", "{mtls: {mode: STRICT}}"),
            pa(ROOT, "b-mesh", "2024-05-01T00:00:00Z", "{mtls: {mode: DISABLE}}"),
            pa(ROOT, "a-mesh", "2024-05-01T00:00:00Z", "{mtls: {mode: STRICT}}"));
    assertThat(i.forWorkload("shop", APP).mode()).isEqualTo(MtlsMode.STRICT);
    assertThat(i.namespaceMode("shop")).isEqualTo(MtlsMode.STRICT);
    assertThat(i.forWorkload("other", APP).mode()).isEqualTo(MtlsMode.STRICT);
    assertThat(i.namespaceMode("other")).isEqualTo(MtlsMode.STRICT);
  }

  private static String sel(String mode) {
    return "{selector: {matchLabels: {app: web}}, mtls: {mode: " + mode + "}}";
  }
}

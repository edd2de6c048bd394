package io.jistiod.citadel.server.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jistiod.citadel.server.Caller;
import io.jistiod.citadel.server.KubernetesInfo;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Which impersonations a node proxy may make, with istiod's checks in istiod's order. */
class NodeAuthorizerTest {
  private static final String CLUSTER = "Kubernetes";
  private static final String ZT_UID = "uid-zt-a";

  /** ztunnel-a on node-a; sleep on node-a; httpbin only on node-b; ztunnel-b on node-b. */
  private final FakePodIndex pods =
      new FakePodIndex()
          .pod("istio-system", "ztunnel-a", ZT_UID, "ztunnel", "node-a")
          .pod("istio-system", "ztunnel-b", "uid-zt-b", "ztunnel", "node-b")
          .pod("default", "sleep-1", "uid-sleep", "sleep", "node-a")
          .pod("default", "httpbin-1", "uid-httpbin", "httpbin", "node-b")
          .pod("default", "rogue-1", "uid-rogue", "rogue", "node-a");

  private final NodeAuthorizer authorizer =
      new NodeAuthorizer(TrustedNodeAccounts.parse("istio-system/ztunnel"), CLUSTER, pods);

  private static Caller caller(String ns, String sa, String podName, String podUid) {
    return new Caller(
        "KubeJwtAuthenticator",
        List.of("spiffe://cluster.local/ns/" + ns + "/sa/" + sa),
        new KubernetesInfo(podName, ns, podUid, sa));
  }

  private static final Caller ZTUNNEL_A = caller("istio-system", "ztunnel", "ztunnel-a", ZT_UID);

  private static String spiffe(String ns, String sa) {
    return "spiffe://cluster.local/ns/" + ns + "/sa/" + sa;
  }

  @Test
  void trustedProxyMayImpersonateAPodOnItsNode() {
    assertThat(authorizer.refusal(CLUSTER, ZTUNNEL_A, spiffe("default", "sleep"))).isEmpty();
    // The node's own proxies count as pods on the node too.
    assertThat(authorizer.refusal(CLUSTER, ZTUNNEL_A, spiffe("istio-system", "ztunnel"))).isEmpty();
  }

  @Test
  void refusedForAPodOnAnotherNode() {
    assertThat(authorizer.refusal(CLUSTER, ZTUNNEL_A, spiffe("default", "httpbin")))
        .contains("no instances of \"default/httpbin\" found on node \"node-a\"");
    // ... which the proxy of that node may have.
    Caller ztunnelB = caller("istio-system", "ztunnel", "ztunnel-b", "uid-zt-b");
    assertThat(authorizer.refusal(CLUSTER, ztunnelB, spiffe("default", "httpbin"))).isEmpty();
  }

  @Test
  void refusedForAnIdentityWithNoPodOnTheNode() {
    assertThat(authorizer.refusal(CLUSTER, ZTUNNEL_A, spiffe("default", "nobody")))
        .contains("no instances of \"default/nobody\" found on node \"node-a\"");
    // Same account name, other namespace: not the same identity.
    assertThat(authorizer.refusal(CLUSTER, ZTUNNEL_A, spiffe("other", "sleep")))
        .contains("no instances of \"other/sleep\" found on node \"node-a\"");
  }

  @Test
  void refusedWhenThePodIsGone() {
    pods.remove("default", "sleep-1");
    assertThat(authorizer.refusal(CLUSTER, ZTUNNEL_A, spiffe("default", "sleep"))).isPresent();
  }

  @Test
  void refusedForAnUntrustedCaller() {
    // A workload on node-a that is not a node proxy.
    Caller rogue = caller("default", "rogue", "rogue-1", "uid-rogue");
    assertThat(authorizer.refusal(CLUSTER, rogue, spiffe("default", "sleep")))
        .hasValueSatisfying(r -> assertThat(r).endsWith("is not allowed to impersonate"));
    // Right account name in the wrong namespace.
    Caller lookalike = caller("default", "ztunnel", "ztunnel-x", "uid-x");
    assertThat(authorizer.refusal(CLUSTER, lookalike, spiffe("default", "sleep")))
        .hasValueSatisfying(r -> assertThat(r).endsWith("is not allowed to impersonate"));
    // A client certificate carries no Kubernetes account at all.
    Caller byCert =
        new Caller("ClientCertAuthenticator", List.of(spiffe("istio-system", "ztunnel")));
    assertThat(authorizer.refusal(CLUSTER, byCert, spiffe("default", "sleep")))
        .hasValueSatisfying(r -> assertThat(r).endsWith("is not allowed to impersonate"));
  }

  @Test
  void refusedForATokenWithoutPodInfo() {
    // A trusted account's token not bound to a pod: no node to check against.
    Caller unbound = caller("istio-system", "ztunnel", "", "");
    assertThat(authorizer.refusal(CLUSTER, unbound, spiffe("default", "sleep")))
        .contains("pod istio-system/ not found");
  }

  @Test
  void refusedForATokenOfAnotherPodIncarnation() {
    Caller stale = caller("istio-system", "ztunnel", "ztunnel-a", "uid-of-deleted-pod");
    assertThat(authorizer.refusal(CLUSTER, stale, spiffe("default", "sleep")))
        .contains("pod found, but UID does not match: uid-zt-a vs uid-of-deleted-pod");
  }

  @Test
  void refusedWhenThePodRunsAsAnotherAccount() {
    pods.pod("istio-system", "ztunnel-a", ZT_UID, "something-else", "node-a");
    assertThat(authorizer.refusal(CLUSTER, ZTUNNEL_A, spiffe("default", "sleep")))
        .contains("pod found, but ServiceAccount does not match: something-else vs ztunnel");
  }

  @Test
  void refusedWhileTheProxyPodIsUnscheduled() {
    pods.pod("istio-system", "ztunnel-a", ZT_UID, "ztunnel", "")
        .pod("default", "pending-1", "uid-p", "pending", "");
    assertThat(authorizer.refusal(CLUSTER, ZTUNNEL_A, spiffe("default", "pending")))
        .contains("no instances of \"default/pending\" found on node \"\"");
  }

  @Test
  void refusedUnlessTheCallNamesThisCluster() {
    assertThat(authorizer.refusal("", ZTUNNEL_A, spiffe("default", "sleep")))
        .contains("no node authorizer for cluster \"\"");
    assertThat(authorizer.refusal("remote", ZTUNNEL_A, spiffe("default", "sleep")))
        .contains("no node authorizer for cluster \"remote\"");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "default/sleep",
        "spiffe://cluster.local/ns/default/sa",
        "spiffe://cluster.local/ns/default/sa/sleep/x",
        "spiffe://cluster.local/namespace/default/sa/sleep",
        "spiffe://cluster.local/ns/default/serviceaccount/sleep",
        "SPIFFE://cluster.local/ns/default/sa/sleep"
      })
  void refusedForAMalformedIdentity(String identity) {
    assertThat(authorizer.refusal(CLUSTER, ZTUNNEL_A, identity))
        .contains("failed to validate impersonated identity " + identity);
  }

  @Test
  void trustDomainIsNotCompared() {
    // As in istiod: only namespace and service account decide.
    assertThat(authorizer.refusal(CLUSTER, ZTUNNEL_A, "spiffe://other.domain/ns/default/sa/sleep"))
        .isEmpty();
  }

  @Test
  void needsTrustedAccounts() {
    assertThatThrownBy(() -> new NodeAuthorizer(TrustedNodeAccounts.NONE, CLUSTER, pods))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("trusted");
  }

  @Test
  void parseIdentity() {
    assertThat(NodeAuthorizer.parseIdentity("spiffe://td/ns/a/sa/b"))
        .contains(new ServiceAccountName("a", "b"));
    assertThat(NodeAuthorizer.parseIdentity("spiffe://td/ns//sa/"))
        .contains(new ServiceAccountName("", ""));
    assertThat(NodeAuthorizer.parseIdentity(null)).isEqualTo(Optional.empty());
  }
}

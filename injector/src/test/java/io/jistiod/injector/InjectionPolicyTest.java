package io.jistiod.injector;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.jistiod.galley.parse.KubeYaml;
import java.util.List;
import org.junit.jupiter.api.Test;

class InjectionPolicyTest {
  private static JsonNode y(String s) throws Exception {
    return KubeYaml.read(s);
  }

  private static boolean required(String policy, String meta, String spec) throws Exception {
    return required(policy, List.of(), List.of(), meta, spec);
  }

  private static boolean required(
      String policy, List<JsonNode> never, List<JsonNode> always, String meta, String spec)
      throws Exception {
    return InjectionPolicy.required(policy, never, always, y(meta), y(spec));
  }

  @Test
  void policyAndTheInjectLabelOrAnnotation() throws Exception {
    assertThat(required("enabled", "{namespace: a}", "{}")).isTrue();
    assertThat(required("disabled", "{namespace: a}", "{}")).isFalse();
    assertThat(
            required(
                "disabled", "{namespace: a, annotations: {sidecar.istio.io/inject: 'true'}}", "{}"))
        .isTrue();
    assertThat(
            required("enabled", "{namespace: a, labels: {sidecar.istio.io/inject: 'false'}}", "{}"))
        .isFalse();
    // The label wins over the annotation.
    assertThat(
            required(
                "enabled",
                "{namespace: a, labels: {sidecar.istio.io/inject: 'false'},"
                    + " annotations: {sidecar.istio.io/inject: 'true'}}",
                "{}"))
        .isFalse();
    // Neither "true" nor "false": the policy decides.
    assertThat(
            required("enabled", "{namespace: a, labels: {sidecar.istio.io/inject: 'yes'}}", "{}"))
        .isTrue();
    assertThat(required("bogus", "{namespace: a, labels: {sidecar.istio.io/inject: 'true'}}", "{}"))
        .isFalse();
  }

  @Test
  void hostNetworkAndSystemNamespacesAreNeverInjected() throws Exception {
    String on = "{namespace: a, labels: {sidecar.istio.io/inject: 'true'}}";
    assertThat(required("enabled", on, "{hostNetwork: true}")).isFalse();
    assertThat(required("enabled", "{namespace: kube-system}", "{}")).isFalse();
    assertThat(required("enabled", "{namespace: local-path-storage}", "{}")).isFalse();
  }

  @Test
  void neverThenAlwaysSelectorsWhenThePodSaysNothing() throws Exception {
    List<JsonNode> never = List.of(y("{matchLabels: {job: batch}}"), y("{}"));
    List<JsonNode> always =
        List.of(y("{matchExpressions: [{key: tier, operator: In, values: [web]}]}"));
    assertThat(required("disabled", never, always, "{namespace: a, labels: {tier: web}}", "{}"))
        .isTrue();
    assertThat(
            required(
                "enabled", never, always, "{namespace: a, labels: {tier: web, job: batch}}", "{}"))
        .isFalse();
    // An empty selector matches nothing here (istiod skips it), a bad one is skipped.
    assertThat(required("disabled", never, List.of(y("{}")), "{namespace: a}", "{}")).isFalse();
    List<JsonNode> bad = List.of(y("{matchExpressions: [{key: tier, operator: In}]}"));
    assertThat(required("disabled", never, bad, "{namespace: a, labels: {tier: web}}", "{}"))
        .isFalse();
    // The pod's own label overrides the selectors.
    assertThat(
            required(
                "enabled",
                never,
                always,
                "{namespace: a, labels: {job: batch, sidecar.istio.io/inject: 'true'}}",
                "{}"))
        .isTrue();
  }
}

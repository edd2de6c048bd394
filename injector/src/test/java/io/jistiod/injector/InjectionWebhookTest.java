package io.jistiod.injector;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.zjsonpatch.JsonPatch;
import io.jistiod.galley.mesh.MeshConfigs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InjectionWebhookTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  private InjectionWebhook webhook(String policy) throws Exception {
    InjectionConfig config =
        InjectionConfig.parse(
            "policy: " + policy + "\ntemplates: {sidecar: x}",
            (name, text) -> TestInjection.SIDECAR);
    InjectorConfig current =
        new InjectorConfig(
            config, ValuesConfig.parse("{\"global\":{\"hub\":\"h\",\"tag\":\"t\"}}"));
    return new InjectionWebhook(
        () -> current,
        MeshConfigs::defaults,
        "",
        NativeSidecars.Mode.DISABLED,
        null,
        "",
        new InjectionMetrics(registry));
  }

  static byte[] review(String apiVersion, String uid, String podJson) {
    return ("{\"apiVersion\":\""
            + apiVersion
            + "\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\""
            + uid
            + "\",\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},"
            + "\"namespace\":\"shop\",\"operation\":\"CREATE\",\"object\":"
            + podJson
            + "}}")
        .getBytes(StandardCharsets.UTF_8);
  }

  static final String POD =
      "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},"
          + "\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"nginx\"}]}}";

  private double count(String name) {
    return registry.get(name).counter().count();
  }

  @Test
  void aProxyConfigResourceSelectingThePodSetsItsProxyImage() throws Exception {
    InjectionConfig config =
        InjectionConfig.parse(
            "policy: enabled\ntemplates: {sidecar: x}", (name, text) -> TestInjection.SIDECAR);
    InjectorConfig current =
        new InjectorConfig(
            config, ValuesConfig.parse("{\"global\":{\"hub\":\"h\",\"tag\":\"t\"}}"));
    io.jistiod.galley.config.Config resource =
        new io.jistiod.galley.config.Config(
            new io.jistiod.galley.config.ConfigMeta(
                io.jistiod.galley.config.IstioKinds.PROXY_CONFIG,
                "distroless-web",
                "shop",
                Map.of(),
                Map.of(),
                "1",
                1),
            io.jistiod.galley.api.networking.v1beta1.ProxyConfig.newBuilder()
                .setSelector(
                    io.jistiod.galley.api.type.v1beta1.WorkloadSelector.newBuilder()
                        .putMatchLabels("app", "web"))
                .setImage(
                    io.jistiod.galley.api.networking.v1beta1.ProxyImage.newBuilder()
                        .setImageType("distroless"))
                .build());
    InjectionWebhook w =
        new InjectionWebhook(
            () -> current,
            MeshConfigs::defaults,
            () -> ProxyConfigResources.of(java.util.List.of(resource)),
            "",
            NativeSidecars.Mode.DISABLED,
            null,
            "",
            new InjectionMetrics(registry));
    String web = POD.replace("{\"name\":\"p\"}", "{\"name\":\"p\",\"labels\":{\"app\":\"web\"}}");
    for (Map.Entry<String, String> c :
        Map.of(web, "h/proxyv2:t-distroless", POD, "h/proxyv2:t").entrySet()) {
      JsonNode r =
          JSON.readTree(w.handle(review("admission.k8s.io/v1", "u", c.getKey()), "/inject"))
              .path("response");
      JsonNode patch = JSON.readTree(Base64.getDecoder().decode(r.path("patch").asText()));
      JsonNode pod = JsonPatch.apply(patch, JSON.readTree(c.getKey()));
      assertThat(pod.at("/spec/containers/1/image").asText()).isEqualTo(c.getValue());
    }
  }

  @Test
  void injectsWithAJsonPatchThatTheApiServerCanApply() throws Exception {
    JsonNode out =
        JSON.readTree(
            webhook("enabled").handle(review("admission.k8s.io/v1", "u-1", POD), "/inject"));
    assertThat(out.path("apiVersion").asText()).isEqualTo("admission.k8s.io/v1");
    assertThat(out.path("kind").asText()).isEqualTo("AdmissionReview");
    JsonNode r = out.path("response");
    assertThat(r.path("uid").asText()).isEqualTo("u-1");
    assertThat(r.path("allowed").asBoolean()).isTrue();
    assertThat(r.path("patchType").asText()).isEqualTo("JSONPatch");
    JsonNode patch = JSON.readTree(Base64.getDecoder().decode(r.path("patch").asText()));
    JsonNode pod = JsonPatch.apply(patch, JSON.readTree(POD));
    assertThat(TestInjection.names(pod.at("/spec/containers")))
        .containsExactly("app", "istio-proxy");
    // As istiod: the namespace is filled in before the diff, so the patch does not carry it.
    assertThat(pod.at("/metadata/namespace").isMissingNode()).isTrue();
    assertThat(pod.at("/spec/containers/1/image").asText()).isEqualTo("h/proxyv2:t");
    assertThat(count("sidecar_injection_requests_total")).isZero(); // counted by the server
    assertThat(count("sidecar_injection_failure_total")).isZero();
  }

  @Test
  void aSkippedPodIsAllowedWithoutAPatchAndCounted() throws Exception {
    JsonNode out =
        JSON.readTree(
            webhook("disabled").handle(review("admission.k8s.io/v1beta1", "u-2", POD), "/inject"));
    assertThat(out.path("apiVersion").asText()).isEqualTo("admission.k8s.io/v1beta1");
    assertThat(out.path("response").toString()).isEqualTo("{\"uid\":\"u-2\",\"allowed\":true}");
    assertThat(count("sidecar_injection_skip_total")).isEqualTo(1);
  }

  @Test
  void aFailedInjectionDeniesThePodWithTheReason() throws Exception {
    ObjectNode pod = (ObjectNode) JSON.readTree(POD);
    ((ObjectNode) pod.get("metadata"))
        .putObject("annotations")
        .put("sidecar.istio.io/interceptionMode", "MAGIC");
    JsonNode out =
        JSON.readTree(
            webhook("enabled")
                .handle(review("admission.k8s.io/v1", "u-3", pod.toString()), "/inject"));
    JsonNode r = out.path("response");
    assertThat(r.path("allowed").asBoolean()).isFalse();
    assertThat(r.path("uid").asText()).isEqualTo("u-3");
    assertThat(r.at("/status/message").asText())
        .contains("invalid value 'MAGIC' for annotation 'sidecar.istio.io/interceptionMode'");
    assertThat(count("sidecar_injection_failure_total")).isEqualTo(1);
  }

  @Test
  void notAReviewIsAnsweredAsAFailure() throws Exception {
    JsonNode out =
        JSON.readTree(webhook("enabled").handle("{\"kind\":\"Pod\"}".getBytes(), "/inject"));
    assertThat(out.path("response").path("allowed").asBoolean()).isFalse();
    assertThat(out.at("/response/status/message").asText()).startsWith("Could not decode body");
  }

  @Test
  void injectPathParameters() {
    assertThat(InjectionWebhook.parseInjectEnvs("/inject/cluster/c1/net/a--slash--b/"))
        .isEqualTo(Map.of("ISTIO_META_CLUSTER_ID", "c1", "ISTIO_META_NETWORK", "a/b"));
    assertThat(InjectionWebhook.parseInjectEnvs("/inject/:ENV:cluster=c2:ENV:foo=bar:ENV:=x"))
        .isEqualTo(Map.of("ISTIO_META_CLUSTER_ID", "c2", "FOO", "bar"));
    assertThat(InjectionWebhook.parseInjectEnvs("/inject/my_key/v/odd"))
        .isEqualTo(Map.of("MY_KEY", "v"));
    assertThat(InjectionWebhook.parseInjectEnvs("/inject")).isEmpty();
  }
}

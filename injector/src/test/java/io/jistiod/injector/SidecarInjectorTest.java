package io.jistiod.injector;

import static io.jistiod.injector.TestInjection.params;
import static io.jistiod.injector.TestInjection.pod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.zjsonpatch.JsonPatch;
import io.jistiod.galley.mesh.MeshConfigs;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SidecarInjectorTest {
  private static final String APP =
      """
      apiVersion: v1
      kind: Pod
      metadata:
        name: web-7d4b9c-abcde
        generateName: web-7d4b9c-
        namespace: shop
        labels: {app: web, pod-template-hash: 7d4b9c}
        ownerReferences:
        - {apiVersion: apps/v1, kind: ReplicaSet, name: web-7d4b9c, uid: u1, controller: true}
      spec:
        containers:
        - name: web
          image: nginx
          ports: [{containerPort: 8080, name: http}]
          readinessProbe:
            httpGet: {path: /ready, port: http, scheme: HTTPS}
            timeoutSeconds: 3
      """;

  @Test
  void injectsTheTemplateAndThePatchTurnsTheOriginalIntoTheInjectedPod() throws Exception {
    ObjectNode pod = pod(APP);
    SidecarInjector.Result r = SidecarInjector.inject(params(pod));
    JsonNode out = r.pod();

    assertThat(TestInjection.names(out.at("/spec/containers")))
        .containsExactly("web", "istio-proxy");
    assertThat(TestInjection.names(out.at("/spec/initContainers"))).containsExactly("istio-init");
    assertThat(out.at("/spec/containers/1/image").asText())
        .isEqualTo("docker.io/istio/proxyv2:1.27.0");
    // DeploymentMeta: the ReplicaSet named after the pod-template-hash is Deployment "web".
    assertThat(out.at("/spec/containers/1/env/0/value").asText()).isEqualTo("web");
    assertThat(out.at("/metadata/annotations/sidecar.istio.io~1status").asText())
        .isEqualTo(
            "{\"initContainers\":[\"istio-init\"],\"containers\":[\"istio-proxy\"],"
                + "\"volumes\":[\"istio-envoy\"],\"imagePullSecrets\":null,\"revision\":\"default\"}");

    JsonNode patched = JsonPatch.apply(r.patch(), PodJson.normalize(pod));
    assertThat(patched).isEqualTo(out);
  }

  @Test
  void appProbesAreRewrittenToTheStatusPortAndHandedToTheProxy() throws Exception {
    JsonNode out = SidecarInjector.inject(params(pod(APP))).pod();
    JsonNode probe = out.at("/spec/containers/0/readinessProbe/httpGet");
    assertThat(probe.path("path").asText()).isEqualTo("/app-health/web/readyz");
    assertThat(probe.path("port").asInt()).isEqualTo(15020);
    assertThat(probe.path("scheme").asText()).isEqualTo("HTTP");
    JsonNode env = out.at("/spec/containers/1/env");
    assertThat(env.get(env.size() - 1).path("name").asText()).isEqualTo("ISTIO_KUBE_APP_PROBERS");
    assertThat(env.get(env.size() - 1).path("value").asText())
        .isEqualTo(
            "{\"/app-health/web/readyz\":{\"httpGet\":{\"path\":\"/ready\",\"port\":8080,"
                + "\"scheme\":\"HTTPS\"},\"timeoutSeconds\":3}}");
  }

  @Test
  void reinjectingAnInjectedPodChangesNothing() throws Exception {
    JsonNode once = SidecarInjector.inject(params(pod(APP))).pod();
    SidecarInjector.Result twice = SidecarInjector.inject(params((ObjectNode) once.deepCopy()));
    assertThat(twice.pod()).isEqualTo(once);
    assertThat(twice.patch()).isEmpty();
  }

  @Test
  void thePodsOwnProxyContainerOverridesTheTemplateAndIsRemembered() throws Exception {
    ObjectNode pod =
        pod(
            APP
                + """
                  - name: istio-proxy
                    image: auto
                    resources: {limits: {cpu: "2"}}
                    securityContext: {runAsUser: 1500}
                """);
    JsonNode out = SidecarInjector.inject(params(pod)).pod();
    JsonNode proxy = out.at("/spec/containers/1");
    assertThat(proxy.path("name").asText()).isEqualTo("istio-proxy");
    assertThat(proxy.path("image").asText()).isEqualTo("docker.io/istio/proxyv2:1.27.0");
    assertThat(proxy.at("/resources/limits/cpu").asText()).isEqualTo("2");
    assertThat(proxy.at("/resources/requests/cpu").asText()).isEqualTo("100m");
    assertThat(out.at("/metadata/annotations/proxy.istio.io~1overrides").asText())
        .contains("\"name\":\"istio-proxy\"")
        .doesNotContain("auto");
    // iptables exempts the custom proxy user.
    assertThat(out.at("/spec/initContainers/0/args/4").asText()).isEqualTo("1500");
  }

  @Test
  void holdApplicationUntilProxyStartsPutsTheProxyFirst() throws Exception {
    ObjectNode pod = pod(APP);
    ((ObjectNode) pod.at("/metadata"))
        .putObject("annotations")
        .put("proxy.istio.io/config", "holdApplicationUntilProxyStarts: true");
    JsonNode out = SidecarInjector.inject(params(pod)).pod();
    assertThat(TestInjection.names(out.at("/spec/containers")))
        .containsExactly("istio-proxy", "web");
  }

  @Test
  void nativeSidecarGoesBetweenIptablesAndTheRestOfTheInitContainers() throws Exception {
    ObjectNode pod =
        pod(APP.replace("spec:\n", "spec:\n  initContainers: [{name: migrate, image: m}]\n"));
    JsonNode out =
        SidecarInjector.inject(
                params(pod, MeshConfigs.defaults(), Map.of("sidecar", TestInjection.SIDECAR), true))
            .pod();
    assertThat(TestInjection.names(out.at("/spec/initContainers")))
        .containsExactly("istio-init", "istio-proxy", "migrate");
    assertThat(TestInjection.names(out.at("/spec/containers"))).containsExactly("web");
  }

  @Test
  void prometheusAnnotationsMoveToTheProxy() throws Exception {
    ObjectNode pod = pod(APP);
    ((ObjectNode) pod.at("/metadata"))
        .putObject("annotations")
        .put("prometheus.io/scrape", "true")
        .put("prometheus.io/port", "9090");
    JsonNode out = SidecarInjector.inject(params(pod)).pod();
    JsonNode a = out.at("/metadata/annotations");
    assertThat(a.path("prometheus.io/port").asText()).isEqualTo("15020");
    assertThat(a.path("prometheus.io/path").asText()).isEqualTo("/stats/prometheus");
    assertThat(out.at("/spec/containers/1/env").toString())
        .contains(
            "{\"name\":\"ISTIO_PROMETHEUS_ANNOTATIONS\",\"value\":\"{\\\"scrape\\\":\\\"true\\\","
                + "\\\"path\\\":\\\"\\\",\\\"port\\\":\\\"9090\\\"}\"}");
  }

  @Test
  void badAnnotationsAndUnknownTemplatesFailWithTheReason() throws Exception {
    ObjectNode pod = pod(APP);
    ((ObjectNode) pod.at("/metadata"))
        .putObject("annotations")
        .put("traffic.sidecar.istio.io/excludeOutboundPorts", "80,x")
        .put("inject.istio.io/templates", "sidecar,nope");
    assertThatThrownBy(() -> SidecarInjector.inject(params(pod)))
        .isInstanceOf(InjectionException.class)
        .hasMessageStartingWith("failed to run injection template: 1 error occurred:")
        .hasMessageContaining(
            "invalid value '80,x' for annotation 'traffic.sidecar.istio.io/excludeOutboundPorts'");
    ((ObjectNode) pod.at("/metadata/annotations"))
        .remove("traffic.sidecar.istio.io/excludeOutboundPorts");
    assertThatThrownBy(() -> SidecarInjector.inject(params(pod)))
        .hasMessage(
            "failed to run injection template: requested template \"nope\" not found; have"
                + " sidecar");
  }

  @Test
  void clusterAndNetworkFromTheWebhookPathGoToTheProxyAndTheNetworkLabel() throws Exception {
    InjectionParameters p = params(pod(APP));
    p.proxyEnvs().putAll(InjectionWebhook.parseInjectEnvs("/inject/cluster/c1/net/n1"));
    JsonNode out = SidecarInjector.inject(p).pod();
    assertThat(out.at("/metadata/labels/topology.istio.io~1network").asText()).isEqualTo("n1");
    assertThat(out.at("/spec/containers/1/env").toString())
        .contains("{\"name\":\"ISTIO_META_CLUSTER_ID\",\"value\":\"c1\"}")
        .contains("{\"name\":\"ISTIO_META_NETWORK\",\"value\":\"n1\"}");
  }
}

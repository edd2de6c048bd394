package io.jistiod.istiod.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.zjsonpatch.JsonPatch;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.mesh.MeshConfigs;
import io.jistiod.galley.validation.NetworkingValidators;
import io.jistiod.galley.webhook.AdmissionHandler;
import io.jistiod.galley.webhook.ConfigAdmission;
import io.jistiod.galley.webhook.WebhookMetrics;
import io.jistiod.injector.InjectionConfig;
import io.jistiod.injector.InjectionMetrics;
import io.jistiod.injector.InjectionWebhook;
import io.jistiod.injector.InjectorConfig;
import io.jistiod.injector.NativeSidecars;
import io.jistiod.injector.ValuesConfig;
import io.jistiod.istiod.security.ServingKeyManager;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** /inject on the webhook port: an AdmissionReview over HTTPS, the patch applied to the pod. */
class InjectionOverHttpsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final String TEMPLATE =
      """
      spec:
        containers:
        - name: istio-proxy
          image: proxy
          env: [{name: ISTIO_META_CLUSTER_ID, value: Kubernetes}]
      """;

  private static final String POD =
      """
      {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns1"},
       "spec": {"containers": [{"name": "app", "image": "nginx"}]}}
      """;

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private ValidationWebhookServer server;
  private HttpClient client;

  @BeforeEach
  void start() throws Exception {
    SelfSignedWebhookCertificate cert =
        SelfSignedWebhookCertificate.generate(
            List.of("localhost"), List.of("127.0.0.1"), Clock.systemUTC());
    ServingKeyManager serving = new ServingKeyManager();
    serving.set(cert.serving());
    server =
        ValidationWebhookServer.start(
            new InetSocketAddress("127.0.0.1", 0),
            serving,
            new AdmissionHandler(
                new ConfigAdmission(IstioKinds.ALL, NetworkingValidators.forKinds()),
                new WebhookMetrics(registry)),
            () -> true,
            ValidationWebhookServer.DEFAULT_REQUEST_TIMEOUT);
    client = TestClients.client(cert.root());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private void enableInjection() throws Exception {
    InjectorConfig config =
        new InjectorConfig(
            InjectionConfig.parse(
                "policy: enabled\ntemplates: {sidecar: x}", (name, text) -> data -> TEMPLATE),
            ValuesConfig.parse("{}"));
    server.injection(
        new InjectionWebhook(
            () -> config,
            MeshConfigs::defaults,
            "",
            NativeSidecars.Mode.DISABLED,
            null,
            "",
            new InjectionMetrics(registry)));
  }

  private HttpResponse<String> post(String path, String contentType, String body) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.port() + path))
            .header("Content-Type", contentType)
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String review(String pod) {
    return """
        {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
         "request": {"uid": "u-9", "operation": "CREATE", "namespace": "ns1",
           "kind": {"group": "", "version": "v1", "kind": "Pod"}, "object": %s}}
        """
        .formatted(pod);
  }

  @Test
  void injectIsNotServedUntilInjectionIsOn() throws Exception {
    assertThat(post("/inject", "application/json", review(POD)).statusCode()).isEqualTo(404);
  }

  @Test
  void injectsOnBothPathsAndTheClusterFromThePathReachesTheProxy() throws Exception {
    enableInjection();
    HttpResponse<String> r = post("/inject/cluster/east/net/n1", "application/json", review(POD));
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode response = JSON.readTree(r.body()).path("response");
    assertThat(response.path("uid").asText()).isEqualTo("u-9");
    assertThat(response.path("allowed").asBoolean()).isTrue();
    JsonNode patch = JSON.readTree(Base64.getDecoder().decode(response.path("patch").asText()));
    JsonNode pod = JsonPatch.apply(patch, JSON.readTree(POD));
    JsonNode proxy = pod.at("/spec/containers/1");
    assertThat(proxy.path("name").asText()).isEqualTo("istio-proxy");
    assertThat(proxy.path("env").toString())
        .isEqualTo(
            "[{\"name\":\"ISTIO_META_CLUSTER_ID\",\"value\":\"east\"},"
                + "{\"name\":\"ISTIO_META_NETWORK\",\"value\":\"n1\"}]");
    assertThat(pod.at("/metadata/labels/topology.istio.io~1network").asText()).isEqualTo("n1");

    assertThat(post("/inject", "application/json", review(POD)).statusCode()).isEqualTo(200);
    assertThat(registry.get("sidecar_injection_requests_total").counter().count()).isEqualTo(2);
    assertThat(registry.get("sidecar_injection_success_total").counter().count()).isEqualTo(2);
    assertThat(registry.get("sidecar_injection_time_seconds").timer().count()).isEqualTo(2);
  }

  @Test
  void httpRefusalsCountAsFailedInjections() throws Exception {
    enableInjection();
    assertThat(post("/inject", "text/plain", review(POD)).statusCode()).isEqualTo(415);
    assertThat(post("/inject", "application/json", "").statusCode()).isEqualTo(400);
    assertThat(registry.get("sidecar_injection_requests_total").counter().count()).isEqualTo(2);
    assertThat(registry.get("sidecar_injection_failure_total").counter().count()).isEqualTo(2);
    assertThat(registry.get("sidecar_injection_success_total").counter().count()).isZero();
  }
}

package io.jistiod.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.zjsonpatch.JsonPatch;
import io.jistiod.istiod.Istiod;
import io.jistiod.istiod.IstiodOptions;
import io.jistiod.istiod.KubernetesAccess;
import io.jistiod.istiod.inject.InjectionOptions;
import io.jistiod.istiod.security.SecurityOptions;
import io.jistiod.istiod.webhook.WebhookOptions;
import io.jistiod.it.kubeinject.InjectCase;
import io.jistiod.it.kubeinject.InjectorConfigs;
import io.jistiod.it.sidebyside.ReferenceIstiod;
import io.jistiod.it.support.Helm;
import io.jistiod.it.support.IstioModule;
import io.jistiod.it.support.Rig;
import io.jistiod.it.support.RigExtension;
import io.jistiod.it.support.TestNamespace;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sidecar injection with ProxyConfig resources, side by side: the same AdmissionReviews go to the
 * injector of Istio's pilot-discovery 1.27 (its /inject on the plain HTTP port, the injection
 * config Istio's chart renders) and to ours (/inject on the webhook port, the config our chart
 * renders), both seeing the same namespace-wide and workload-selecting ProxyConfig resources on the
 * rig and the same mesh config. Each patch applied to its pod must give the same pod: the proxy's
 * image type, concurrency and proxyMetadata environment come from the merged ProxyConfig.
 */
@Tag("e2e")
@ExtendWith(RigExtension.class)
class InjectionProxyConfigE2ETest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String LABEL = "jistiod.io/scenario";

  @TempDir Path tmp;

  private static String proxyConfigs(String ns) {
    return """
        apiVersion: networking.istio.io/v1beta1
        kind: ProxyConfig
        metadata: {name: namespace-wide, namespace: %1$s}
        spec:
          concurrency: 3
          environmentVariables: {NS_WIDE: "yes", SHARED: namespace}
        ---
        apiVersion: networking.istio.io/v1beta1
        kind: ProxyConfig
        metadata: {name: web, namespace: %1$s}
        spec:
          selector: {matchLabels: {app: web}}
          concurrency: 4
          image: {imageType: distroless}
          environmentVariables: {FOR_WEB: "1", SHARED: web}
        """
        .formatted(ns);
  }

  /** The pods sent, by name: their labels and proxy.istio.io/config annotation. */
  private static Map<String, ObjectNode> pods(String ns) {
    Map<String, ObjectNode> out = new LinkedHashMap<>();
    out.put("web", pod(ns, "web", "web", null));
    out.put("db", pod(ns, "db", "db", "concurrency: 7\nproxyMetadata: {FROM_POD: p, SHARED: pod}"));
    // the selecting resource wins over the annotation
    out.put(
        "web-annotated",
        pod(ns, "web-annotated", "web", "concurrency: 9\nimage: {imageType: debug}"));
    return out;
  }

  private static ObjectNode pod(String ns, String name, String app, String proxyConfig) {
    ObjectNode pod = JSON.createObjectNode();
    pod.put("apiVersion", "v1").put("kind", "Pod");
    ObjectNode meta = pod.putObject("metadata");
    meta.put("name", name).put("namespace", ns);
    meta.putObject("labels").put("app", app);
    if (proxyConfig != null) {
      meta.putObject("annotations").put("proxy.istio.io/config", proxyConfig);
    }
    ObjectNode c = pod.putObject("spec").putArray("containers").addObject();
    c.put("name", "app").put("image", "example.invalid/app:v1");
    return pod;
  }

  private static byte[] review(ObjectNode pod) throws IOException {
    ObjectNode r = JSON.createObjectNode();
    r.put("apiVersion", "admission.k8s.io/v1").put("kind", "AdmissionReview");
    ObjectNode req = r.putObject("request");
    req.put("uid", "uid-" + pod.at("/metadata/name").asText());
    req.putObject("kind").put("group", "").put("version", "v1").put("kind", "Pod");
    req.putObject("resource").put("group", "").put("version", "v1").put("resource", "pods");
    req.put("namespace", pod.at("/metadata/namespace").asText());
    req.put("operation", "CREATE");
    req.set("object", pod);
    return JSON.writeValueAsBytes(r);
  }

  /** The pod with the patch of the injector at {@code url} applied. */
  private static JsonNode injected(String url, ObjectNode pod) throws Exception {
    HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
    if (c instanceof HttpsURLConnection https) {
      // our webhook's self-signed serving certificate, on loopback only
      https.setSSLSocketFactory(trustAll().getSocketFactory());
      https.setHostnameVerifier((host, session) -> true);
    }
    c.setRequestMethod("POST");
    c.setDoOutput(true);
    c.setRequestProperty("Content-Type", "application/json");
    c.setConnectTimeout(5000);
    c.setReadTimeout(10000);
    try (OutputStream out = c.getOutputStream()) {
      out.write(review(pod));
    }
    JsonNode response;
    try (InputStream in = c.getInputStream()) {
      response = JSON.readTree(in).path("response");
    }
    assertThat(response.path("allowed").asBoolean()).as(url + " " + response).isTrue();
    JsonNode patch = JSON.readTree(Base64.getDecoder().decode(response.path("patch").asText()));
    return JsonPatch.apply(patch, pod);
  }

  private static SSLContext trustAll() throws Exception {
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(
        null,
        new TrustManager[] {
          new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public X509Certificate[] getAcceptedIssuers() {
              return new X509Certificate[0];
            }
          }
        },
        null);
    return ctx;
  }

  /** The injected proxy container of {@code pod}. */
  private static JsonNode proxy(JsonNode pod) {
    for (JsonNode c : pod.at("/spec/containers")) {
      if (c.path("name").asText().equals("istio-proxy")) {
        return c;
      }
    }
    for (JsonNode c : pod.at("/spec/initContainers")) {
      if (c.path("name").asText().equals("istio-proxy")) {
        return c; // native sidecar
      }
    }
    throw new AssertionError("no istio-proxy in " + pod);
  }

  /**
   * The pod as indented JSON with object keys sorted (the two patches add them in other orders).
   */
  private static String canonical(JsonNode pod) throws IOException {
    return JSON.writer()
        .with(com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
        .withDefaultPrettyPrinter()
        .writeValueAsString(JSON.convertValue(pod, Object.class));
  }

  private static String env(JsonNode container, String name) {
    for (JsonNode e : container.path("env")) {
      if (e.path("name").asText().equals(name)) {
        return e.path("value").asText();
      }
    }
    return null;
  }

  @Test
  void oursInjectsTheProxyConfigIstiodInjects(Rig rig, TestNamespace home) throws Exception {
    rig.installIstioCrds();
    String ns = home.name();
    rig.kubectl("label", "namespace", ns, LABEL + "=" + ns, "--overwrite");
    rig.apply(proxyConfigs(ns));

    InjectorConfigs configs =
        new InjectorConfigs(
            Helm.require(),
            IstioModule.dir().resolve("manifests/charts/istio-control/istio-discovery"),
            Helm.CHARTS.resolve("istiod"),
            tmp.resolve("charts"));
    InjectorConfigs.Rendered rendered =
        configs.render(new InjectCase.Settings(JSON.createObjectNode(), null, Map.of()));
    Map<String, ObjectNode> pods = pods(ns);

    Map<String, JsonNode> reference = new LinkedHashMap<>();
    Path mesh;
    try (ReferenceIstiod ref =
        ReferenceIstiod.start(
            "inject-pc-" + ns,
            List.of(ns),
            rendered.reference().mesh(),
            rendered.reference().config().getParent())) {
      mesh = tmp.resolve("mesh.yaml");
      java.nio.file.Files.copy(ref.meshFile(), mesh);
      String url = "http://127.0.0.1:" + ref.httpPort() + "/inject";
      for (var p : pods.entrySet()) {
        reference.put(p.getKey(), injected(url, p.getValue()));
      }
    }
    // what Istio injected: the resources took part, in their order of precedence
    JsonNode web = proxy(reference.get("web"));
    assertThat(web.path("image").asText()).endsWith("-distroless");
    assertThat(env(web, "FOR_WEB")).isEqualTo("1");
    assertThat(env(web, "SHARED")).isEqualTo("web");
    assertThat(env(web, "NS_WIDE")).isEqualTo("yes");
    JsonNode db = proxy(reference.get("db"));
    assertThat(env(db, "FROM_POD")).isEqualTo("p");
    assertThat(env(db, "SHARED")).isEqualTo("pod");
    assertThat(env(db, "FOR_WEB")).isNull();
    assertThat(proxy(reference.get("web-annotated")).path("image").asText())
        .endsWith("-distroless");

    Map<String, String> env =
        Map.of(
            "POD_NAMESPACE", ns,
            // no webhook configuration patching on the shared rig
            "VALIDATION_WEBHOOK_CONFIG_NAME", "",
            "INJECTION_WEBHOOK_CONFIG_NAME", "");
    try (Istiod ours =
        new Istiod(
            IstiodOptions.defaults(null)
                .withKubernetes(new KubernetesAccess(rig.istiodKubeconfig(ns)))
                .withAddresses("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
                .withMeshConfigFile(mesh)
                .withSecurity(SecurityOptions.disabled().withNamespace(ns))
                .withWebhook(
                    WebhookOptions.fromEnvironment(env::get)
                        .withHttpsAddr("127.0.0.1:0")
                        .withNamespace(ns))
                .withInjection(
                    InjectionOptions.fromEnvironment(env::get)
                        .withDirectory(rendered.ours().config().getParent())))) {
      ours.start();
      String url = "https://127.0.0.1:" + ours.webhookPort() + "/inject";
      // the resources are in our config store once it synced; wait for the webhook to serve
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () -> {
                try {
                  return injected(url, pods.get("web")) != null;
                } catch (Exception | AssertionError e) {
                  return false; // not serving yet
                }
              });
      for (var p : pods.entrySet()) {
        assertThat(canonical(injected(url, p.getValue())))
            .as("pod %s", p.getKey())
            .isEqualTo(canonical(reference.get(p.getKey())));
      }
    }
  }
}

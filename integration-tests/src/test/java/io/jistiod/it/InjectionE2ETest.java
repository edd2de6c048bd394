package io.jistiod.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.jistiod.istiod.Istiod;
import io.jistiod.istiod.IstiodOptions;
import io.jistiod.istiod.KubernetesAccess;
import io.jistiod.istiod.inject.InjectionOptions;
import io.jistiod.istiod.security.SecurityOptions;
import io.jistiod.istiod.webhook.WebhookOptions;
import io.jistiod.it.support.ChartIdentity;
import io.jistiod.it.support.FreePorts;
import io.jistiod.it.support.Helm;
import io.jistiod.it.support.Rig;
import io.jistiod.it.support.RigExtension;
import io.jistiod.it.support.TestNamespace;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sidecar injection on the rig's real kube-apiserver, installed as an Istio user installs it:
 * {@code helm install} of base, istiod (default revision) and istiod {@code revision=canary} from
 * manifests/charts, both istiods running in-process on their chart ServiceAccount's token. Then,
 * with kubectl, as a user: Pods in a namespace labelled {@code istio-injection=enabled} come back
 * with the sidecar; opted-out Pods do not; a namespace labelled {@code istio.io/rev=canary} is
 * injected by the canary; a template broken in the ConfigMap refuses Pods with istiod's message;
 * with istiod stopped the chart's {@code failurePolicy: Fail} refuses Pods it would inject, and
 * Pods no webhook selects are still created. The sidecar_injection_* counters follow.
 *
 * <p>How the API server reaches an istiod that runs outside it: the rig has no cluster DNS and
 * refuses loopback Endpoints, so the charts are installed with {@code
 * istiodRemote.injectionURL=https://localhost:PORT/inject} (the value external-istiod installs
 * use), and istiod's serving certificate carries {@code localhost} through {@code
 * ISTIOD_CUSTOM_HOST}; the caBundle is istiod's CA root, patched in by istiod itself.
 */
@Tag("e2e")
@ExtendWith(RigExtension.class)
class InjectionE2ETest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String STATUS = "sidecar.istio.io/status";

  @TempDir Path tmp;

  private final Helm helm = Helm.require();
  private final List<String[]> releases = new ArrayList<>();
  private final List<String> namespaces = new ArrayList<>();
  private final List<Istiod> istiods = new ArrayList<>();
  private Rig rig;

  @AfterEach
  void cleanUp() throws Exception {
    for (Istiod i : istiods) {
      i.close();
    }
    // Webhooks first: once they are gone nothing can refuse the deletes below.
    for (int i = releases.size() - 1; i >= 0; i--) {
      String[] r = releases.get(i);
      Helm.Result res =
          helm.run(
              List.of(
                  "uninstall",
                  r[0],
                  "-n",
                  r[1],
                  "--kubeconfig",
                  rig.kubeconfig().toString(),
                  "--wait",
                  "--timeout",
                  "60s"));
      if (res.exitCode() != 0) {
        System.out.println("helm uninstall " + r[0] + ": " + res.stderr());
      }
    }
    for (String ns : namespaces) {
      rig.client().pods().inNamespace(ns).delete();
      rig.client().namespaces().withName(ns).delete();
    }
  }

  @Test
  void podsCreatedWithKubectlAreInjectedAsIstioSelectsThem(Rig rig, TestNamespace testNamespace)
      throws Exception {
    this.rig = rig;
    String ns = testNamespace.name();
    int defaultPort = FreePorts.loopback();
    int canaryPort = FreePorts.loopback();
    install("istio-base", "base", ns, "global.istioNamespace=" + ns);
    install(
        "istiod",
        "istiod",
        ns,
        "global.istioNamespace=" + ns,
        "istiodRemote.injectionURL=https://localhost:" + defaultPort + "/inject");
    install(
        "istiod-canary",
        "istiod",
        ns,
        "global.istioNamespace=" + ns,
        "revision=canary",
        "istiodRemote.injectionURL=https://localhost:" + canaryPort + "/inject");

    Istiod stable = startIstiod(ns, "default", "istiod", defaultPort);
    Istiod canary = startIstiod(ns, "canary", "istiod-canary", canaryPort);
    awaitCaBundle("istio-sidecar-injector-" + ns);
    awaitCaBundle("istio-sidecar-injector-canary-" + ns);

    // 1. istio-injection=enabled: injected by the default revision.
    String injected = namespace("injected", Map.of("istio-injection", "enabled"));
    awaitWebhookServing(injected);
    Pod app = create(pod(injected, "app", Map.of(), Map.of()));
    assertInjected(app, "default");
    assertThat(app.getSpec().getContainers().get(0).getName()).isEqualTo("app");

    // 2. Opted out: by label (the webhook's objectSelector never sends it) and by annotation
    //    (sent, and istiod skips it).
    Pod byLabel =
        create(pod(injected, "out-label", Map.of("sidecar.istio.io/inject", "false"), Map.of()));
    assertNotInjected(byLabel);
    Pod byAnnotation =
        create(
            pod(injected, "out-annotation", Map.of(), Map.of("sidecar.istio.io/inject", "false")));
    assertNotInjected(byAnnotation);

    // 3. istio.io/rev=canary: injected by the canary, not by the default revision.
    double defaultRequests = counter(stable, "sidecar_injection_requests_total");
    String canaryNs = namespace("canary", Map.of("istio.io/rev", "canary"));
    Pod canaryApp = create(pod(canaryNs, "app", Map.of(), Map.of()));
    assertInjected(canaryApp, "canary");
    assertThat(counter(canary, "sidecar_injection_requests_total")).isGreaterThanOrEqualTo(1);
    assertThat(counter(canary, "sidecar_injection_success_total")).isGreaterThanOrEqualTo(1);
    assertThat(counter(stable, "sidecar_injection_requests_total")).isEqualTo(defaultRequests);

    // 4. A namespace without labels: no webhook selects its Pods.
    String plain = namespace("plain", Map.of());
    assertNotInjected(create(pod(plain, "app", Map.of(), Map.of())));

    // The default revision's counters: the injected Pod and the annotation opt-out (the label
    // opt-out never reached it).
    assertThat(counter(stable, "sidecar_injection_success_total")).isGreaterThanOrEqualTo(1);
    assertThat(counter(stable, "sidecar_injection_skip_total")).isGreaterThanOrEqualTo(1);
    assertThat(counter(stable, "sidecar_injection_failure_total")).isZero();

    // 5. A template that fails to render, edited into the ConfigMap as a user would: Pods are
    //    refused with istiod's message naming the template; the fixed ConfigMap injects again.
    ConfigMap original =
        rig.client().configMaps().inNamespace(ns).withName("istio-sidecar-injector").get();
    String config = original.getData().get("config");
    String broken = breakSidecarTemplate(config);
    rig.client()
        .configMaps()
        .inNamespace(ns)
        .withName("istio-sidecar-injector")
        .edit(
            c -> {
              c.getData().put("config", broken);
              return c;
            });
    String refusal =
        Awaitility.await()
            .atMost(WAIT)
            .pollInterval(Duration.ofMillis(500))
            .until(
                () -> dryRunError(pod(injected, "after-edit", Map.of(), Map.of())), e -> e != null);
    assertThat(refusal)
        .contains("admission webhook \"namespace.sidecar-injector.istio.io\" denied the request")
        .contains("sidecar:1:")
        .contains("index of untyped nil")
        .doesNotContain("Exception")
        .doesNotContain("\tat ");
    assertThat(counter(stable, "sidecar_injection_failure_total")).isGreaterThanOrEqualTo(1);
    rig.client()
        .configMaps()
        .inNamespace(ns)
        .withName("istio-sidecar-injector")
        .edit(
            c -> {
              c.getData().put("config", config);
              return c;
            });
    Awaitility.await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(500))
        .until(() -> dryRunError(pod(injected, "fixed", Map.of(), Map.of())) == null);
    assertInjected(create(pod(injected, "fixed", Map.of(), Map.of())), "default");

    // 6. istiod stopped: failurePolicy Fail refuses the Pods its webhooks select (as Istio's
    //    chart: a Pod never starts without the sidecar it was meant to get); other Pods are
    //    still created.
    stable.close();
    istiods.remove(stable);
    String error = createError(pod(injected, "no-istiod", Map.of(), Map.of()));
    assertThat(error)
        .contains("failed calling webhook \"namespace.sidecar-injector.istio.io\"")
        .contains("localhost:" + defaultPort);
    assertNotInjected(create(pod(plain, "still-created", Map.of(), Map.of())));
    assertInjected(create(pod(canaryNs, "canary-still-up", Map.of(), Map.of())), "canary");
  }

  // ---------------------------------------------------------------------------------------------

  private void install(String release, String chart, String namespace, String... sets)
      throws Exception {
    List<String> args =
        new ArrayList<>(
            List.of(
                "install",
                release,
                Helm.CHARTS.resolve(chart).toString(),
                "-n",
                namespace,
                "--kubeconfig",
                rig.kubeconfig().toString(),
                "--take-ownership"));
    for (String s : sets) {
      args.add("--set");
      args.add(s);
    }
    releases.add(new String[] {release, namespace});
    helm.check(args.toArray(String[]::new));
  }

  /**
   * istiod of {@code revision} in {@code ns}, on its chart ServiceAccount, CA on, webhook port
   * {@code port} with {@code localhost} in its certificate.
   */
  private Istiod startIstiod(String ns, String revision, String serviceAccount, int port)
      throws Exception {
    Map<String, String> env =
        Map.of("POD_NAMESPACE", ns, "REVISION", revision, "ISTIOD_CUSTOM_HOST", "localhost");
    Istiod istiod =
        new Istiod(
            IstiodOptions.defaults(null)
                .withKubernetes(
                    new KubernetesAccess(
                        ChartIdentity.serviceAccountKubeconfig(rig, ns, serviceAccount)))
                .withAddresses("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
                .withSecurity(
                    SecurityOptions.fromEnvironment(env::get)
                        .withSecureGrpcAddr("127.0.0.1:0")
                        .withRootCaDir(tmp.resolve("no-cacerts-" + revision)))
                .withWebhook(
                    WebhookOptions.fromEnvironment(env::get).withHttpsAddr("127.0.0.1:" + port))
                // The config from the chart's ConfigMap, watched (no injection files here).
                .withInjection(
                    InjectionOptions.fromEnvironment(env::get)
                        .withDirectory(tmp.resolve("no-inject-files-" + revision))));
    istiods.add(istiod);
    istiod.start();
    Awaitility.await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(() -> Http.status("http://127.0.0.1:" + istiod.httpPort() + "/ready") == 200);
    return istiod;
  }

  /** istiod patched its CA root into every injector webhook of the configuration. */
  private void awaitCaBundle(String name) {
    Awaitility.await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(200))
        .untilAsserted(
            () -> {
              MutatingWebhookConfiguration c =
                  rig.client()
                      .admissionRegistration()
                      .v1()
                      .mutatingWebhookConfigurations()
                      .withName(name)
                      .get();
              assertThat(c.getWebhooks())
                  .isNotEmpty()
                  .extracting(MutatingWebhook::getClientConfig)
                  .allSatisfy(cc -> assertThat(cc.getCaBundle()).isNotEmpty());
            });
  }

  /**
   * The API server caches webhook configurations and istiod loads its injection config once it
   * runs: wait until a server-side dry run in {@code namespace} comes back injected.
   */
  private void awaitWebhookServing(String namespace) {
    Awaitility.await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(500))
        .ignoreExceptions()
        .until(
            () ->
                rig.kubectlStdin(
                        pod(namespace, "probe", Map.of(), Map.of()),
                        "create",
                        "--dry-run=server",
                        "-o",
                        "json",
                        "-f",
                        "-")
                    .contains(STATUS));
  }

  private String namespace(String prefix, Map<String, String> labels) {
    String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    rig.client()
        .namespaces()
        .resource(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName(name)
                .withLabels(labels)
                .endMetadata()
                .build())
        .create();
    namespaces.add(name);
    return name;
  }

  /** A Pod manifest as a user writes it: one app container, nothing of Istio's. */
  private static String pod(
      String namespace, String name, Map<String, String> labels, Map<String, String> annotations)
      throws IOException {
    Map<String, Object> metadata = new java.util.LinkedHashMap<>();
    metadata.put("name", name);
    metadata.put("namespace", namespace);
    java.util.Map<String, String> l = new java.util.LinkedHashMap<>(Map.of("app", "demo"));
    l.putAll(labels);
    metadata.put("labels", l);
    if (!annotations.isEmpty()) {
      metadata.put("annotations", annotations);
    }
    Map<String, Object> pod =
        Map.of(
            "apiVersion",
            "v1",
            "kind",
            "Pod",
            "metadata",
            metadata,
            "spec",
            Map.of(
                // What the ServiceAccount admission plugin would fill in; the rig runs without it.
                "serviceAccountName",
                "default",
                "containers",
                List.of(
                    Map.of(
                        "name",
                        "app",
                        "image",
                        "example.invalid/demo:1",
                        "ports",
                        List.of(Map.of("containerPort", 8080))))));
    return JSON.writeValueAsString(pod);
  }

  /** {@code kubectl create -f -}; the Pod as the API server stored it. */
  private Pod create(String manifest) throws Exception {
    String out = rig.kubectlStdin(manifest, "create", "-o", "json", "-f", "-");
    return JSON.readValue(out, Pod.class);
  }

  /** The error kubectl prints when the API server refuses the Pod; fails if it is created. */
  private String createError(String manifest) throws Exception {
    try {
      rig.kubectlStdin(manifest, "create", "-o", "json", "-f", "-");
    } catch (IOException e) {
      return e.getMessage();
    }
    throw new AssertionError("created, but the API server was expected to refuse: " + manifest);
  }

  /** A server-side dry run of the Pod: null when admitted, else kubectl's error. */
  private String dryRunError(String manifest) throws Exception {
    try {
      rig.kubectlStdin(manifest, "create", "--dry-run=server", "-o", "json", "-f", "-");
      return null;
    } catch (IOException e) {
      return e.getMessage();
    }
  }

  private static void assertInjected(Pod pod, String revision) throws Exception {
    List<String> containers = names(pod.getSpec().getContainers());
    List<String> inits = names(pod.getSpec().getInitContainers());
    // 1.27 injects istio-proxy as a container, or as a native sidecar (an init container with
    // restartPolicy Always) where native sidecars are on.
    assertThat(containers.contains("istio-proxy") || inits.contains("istio-proxy"))
        .as("istio-proxy in %s / %s", containers, inits)
        .isTrue();
    assertThat(inits).contains("istio-init");
    assertThat(pod.getMetadata().getAnnotations()).containsKey(STATUS);
    JsonNode status = JSON.readTree(pod.getMetadata().getAnnotations().get(STATUS));
    assertThat(status.path("revision").asText()).isEqualTo(revision);
    // istiod 1.27 with ENABLE_NATIVE_SIDECARS=auto goes native when every node's kubelet is 1.33+,
    // which is so on a rig without nodes: then istio-proxy is listed with the init containers.
    assertThat(status.path("initContainers").toString() + status.path("containers"))
        .contains("istio-proxy");
  }

  private static void assertNotInjected(Pod pod) {
    assertThat(names(pod.getSpec().getContainers())).containsExactly("app");
    assertThat(names(pod.getSpec().getInitContainers())).isEmpty();
    Map<String, String> annotations = pod.getMetadata().getAnnotations();
    assertThat(annotations == null ? Map.of() : annotations).doesNotContainKey(STATUS);
  }

  private static List<String> names(List<Container> containers) {
    return containers == null ? List.of() : containers.stream().map(Container::getName).toList();
  }

  /**
   * The injector config with a first line added to its {@code sidecar} template that parses but
   * fails when rendered (Go's text/template: "index of untyped nil"; a field of a missing value
   * would only print "<no value>"), as a mistaken edit does.
   */
  static String breakSidecarTemplate(String config) {
    Matcher m = Pattern.compile("(?m)^(\\s+)sidecar: \\|\\n").matcher(config);
    if (!m.find()) {
      throw new IllegalStateException("no sidecar template in the injector config:\n" + config);
    }
    String indent = m.group(1) + "  ";
    return config.substring(0, m.end())
        + indent
        + "{{ index .Values.nonexistentValue \"field\" }}\n"
        + config.substring(m.end());
  }

  /** The sum of a counter's series on istiod's /metrics (0 when it has none yet). */
  private static double counter(Istiod istiod, String name) throws Exception {
    String text = Http.get("http://127.0.0.1:" + istiod.monitoringPort() + "/metrics");
    double sum = 0;
    Pattern p = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*\\})? (\\S+)$");
    Matcher m = p.matcher(text);
    while (m.find()) {
      sum += Double.parseDouble(m.group(2));
    }
    return sum;
  }
}

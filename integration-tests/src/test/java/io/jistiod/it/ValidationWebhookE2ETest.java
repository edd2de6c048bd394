package io.jistiod.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfigurationBuilder;
import io.jistiod.istiod.Istiod;
import io.jistiod.istiod.IstiodOptions;
import io.jistiod.istiod.KubernetesAccess;
import io.jistiod.istiod.security.SecurityOptions;
import io.jistiod.istiod.webhook.WebhookOptions;
import io.jistiod.it.support.Rig;
import io.jistiod.it.support.RigExtension;
import io.jistiod.it.support.TestNamespace;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The validation webhook on a real kube-apiserver, end to end: istiod patches the
 * ValidatingWebhookConfiguration's {@code caBundle}, switches it to {@code failurePolicy: Fail}
 * only after its own webhook has denied the always-reject dry run, and from then on kubectl's
 * writes of Istio config are validated by istiod: valid objects are stored, invalid ones denied
 * with the field named, warnings reach the user. With istiod gone, writes fail closed.
 *
 * <p>The rig is shared, so the configuration is scoped to this test: its own revision label (no
 * other istiod patches it), a namespace selector matching only the test namespace (a fail-closed
 * webhook here never blocks anyone else's writes), and it is deleted afterwards. There is no
 * Service routing to istiod, so {@code clientConfig.url} points at istiod's port on loopback: with
 * istiod's CA off the webhook serves its self-signed certificate (SAN 127.0.0.1); with the CA on,
 * the certificate the CA issues for istiod's DNS names, plus {@code localhost} through {@code
 * ISTIOD_CUSTOM_HOST}, and the CA's root as {@code caBundle}.
 */
@Tag("e2e")
@ExtendWith(RigExtension.class)
class ValidationWebhookE2ETest {
  private static final String WEBHOOK = "rev.validation.istio.io";

  /** Istio's istioctl 1.27.0, built by build-istio.sh next to pilot-agent. */
  private static final Path ISTIOCTL =
      io.jistiod.it.support.PilotAgent.BINARY.resolveSibling("istioctl");

  private Istiod istiod;
  private Rig rig;
  private String configName;

  @AfterEach
  void stop() {
    if (istiod != null) {
      istiod.close();
    }
    if (rig != null && configName != null) {
      rig.client()
          .admissionRegistration()
          .v1()
          .validatingWebhookConfigurations()
          .withName(configName)
          .delete();
    }
  }

  private record Kubectl(int exit, String out, String err) {}

  /** kubectl with {@code stdin}, keeping stderr (where warnings and denials go) apart. */
  private Kubectl kubectl(String stdin, String... args) throws Exception {
    List<String> cmd =
        new ArrayList<>(List.of("kubectl", "--kubeconfig", rig.kubeconfig().toString()));
    cmd.addAll(List.of(args));
    Path err = Files.createTempFile("kubectl", ".err");
    try {
      Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
      if (stdin != null) {
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
      }
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", cmd) + ": timed out");
      }
      return new Kubectl(p.exitValue(), out, Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(err);
    }
  }

  private static String virtualService(String ns, String name, String http) {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: %s, namespace: %s}
        spec:
          hosts: [reviews]
          http:
        %s"""
        .formatted(name, ns, http.indent(2));
  }

  private static final String VALID_ROUTES = "- route: [{destination: {host: reviews}}]\n";

  private static final String NEGATIVE_WEIGHT =
      "- route: [{destination: {host: reviews}, weight: -1}]\n";

  /** The second rule can never match: the first one has no match and takes everything. */
  private static final String UNREACHABLE_RULE =
      """
      - route: [{destination: {host: reviews}}]
      - match: [{uri: {prefix: /v2}}]
        route: [{destination: {host: reviews}}]
      """;

  private ValidatingWebhookConfiguration configuration() {
    return rig.client()
        .admissionRegistration()
        .v1()
        .validatingWebhookConfigurations()
        .withName(configName)
        .get();
  }

  private boolean patchedAndFailClosed() {
    ValidatingWebhookConfiguration c = configuration();
    return c != null
        && c.getWebhooks().stream()
            .allMatch(
                w ->
                    w.getClientConfig().getCaBundle() != null
                        && !w.getClientConfig().getCaBundle().isEmpty()
                        && "Fail".equals(w.getFailurePolicy()));
  }

  private void installCrds() throws Exception {
    rig.kubectl(
        "apply",
        "--server-side",
        "--force-conflicts",
        "-f",
        Rig.MODULE.resolve("../crds/crd-all.gen.yaml").toString());
    rig.kubectl(
        "wait",
        "--for=condition=Established",
        "--timeout=60s",
        "crd/virtualservices.networking.istio.io",
        "crd/gateways.networking.istio.io");
  }

  /** istiod in Kubernetes mode with the webhook port on, in {@code ns}, of its own revision. */
  private String startIstiod(TestNamespace ns, SecurityOptions security) throws Exception {
    String revision = "e2e-" + Long.toHexString(System.nanoTime() & 0xffffff);
    istiod =
        new Istiod(
            IstiodOptions.defaults(null)
                .withKubernetes(new KubernetesAccess(rig.istiodKubeconfig(ns.name(), revision)))
                .withAddresses("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
                .withSecurity(security)
                .withWebhook(
                    WebhookOptions.fromEnvironment(name -> null)
                        .withHttpsAddr("127.0.0.1:0")
                        .withNamespace(ns.name())
                        .withRevision(revision)));
    istiod.start();
    return revision;
  }

  /** The configuration as Helm installs it: Ignore, no caBundle yet; scoped to {@code ns}. */
  private void createConfiguration(String revision, TestNamespace ns, String url) {
    configName = "istio-validator-" + revision + "-" + ns.name();
    rig.client()
        .admissionRegistration()
        .v1()
        .validatingWebhookConfigurations()
        .resource(
            new ValidatingWebhookConfigurationBuilder()
                .withNewMetadata()
                .withName(configName)
                .addToLabels("istio.io/rev", revision)
                .endMetadata()
                .addNewWebhook()
                .withName(WEBHOOK)
                .withNewClientConfig()
                .withUrl(url)
                .endClientConfig()
                .addNewRule()
                .withOperations("CREATE", "UPDATE")
                .withApiGroups(
                    "security.istio.io",
                    "networking.istio.io",
                    "telemetry.istio.io",
                    "extensions.istio.io")
                .withApiVersions("*")
                .withResources("*")
                .endRule()
                .withFailurePolicy("Ignore")
                .withSideEffects("None")
                .withAdmissionReviewVersions("v1")
                .withNewNamespaceSelector()
                .addToMatchLabels("kubernetes.io/metadata.name", ns.name())
                .endNamespaceSelector()
                .endWebhook()
                .build())
        .create();
  }

  private void awaitPatchedAndFailClosed() {
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(this::patchedAndFailClosed);
  }

  @Test
  void istioConfigWritesAreValidatedByIstiodAndFailClosedWithoutIt(Rig rig, TestNamespace ns)
      throws Exception {
    this.rig = rig;
    installCrds();
    String revision = startIstiod(ns, SecurityOptions.disabled());
    long created = System.nanoTime();
    createConfiguration(revision, ns, "https://127.0.0.1:" + istiod.webhookPort() + "/validate");
    awaitPatchedAndFailClosed();
    System.out.printf(
        "caBundle patched and failurePolicy Fail after %d ms%n",
        (System.nanoTime() - created) / 1_000_000);
    assertThat(istiod.webhook().controller().failClosed()).isTrue();

    // A valid object is stored.
    Kubectl ok = kubectl(virtualService(ns.name(), "valid", VALID_ROUTES), "apply", "-f", "-");
    assertThat(ok.exit()).as(ok.err()).isZero();
    assertThat(ok.out()).contains("virtualservice.networking.istio.io/valid created");

    // An invalid one is denied, naming the field; dry run and real write say the same (VAL-02).
    for (String dryRun : List.of("--dry-run=server", "--dry-run=none")) {
      Kubectl bad =
          kubectl(
              virtualService(ns.name(), "negative", NEGATIVE_WEIGHT), "apply", dryRun, "-f", "-");
      assertThat(bad.exit()).isNotZero();
      assertThat(bad.err())
          .contains("admission webhook \"" + WEBHOOK + "\" denied the request")
          .contains("configuration is invalid")
          .contains("spec.http[0].route[0].weight");
    }
    assertThat(kubectl(null, "get", "virtualservice", "negative", "-n", ns.name()).exit())
        .isNotZero();

    // A valid object with a warning is stored, and kubectl shows the warning.
    Kubectl warned =
        kubectl(virtualService(ns.name(), "unreachable", UNREACHABLE_RULE), "apply", "-f", "-");
    assertThat(warned.exit()).as(warned.err()).isZero();
    assertThat(warned.err()).contains("Warning:").contains("spec.http[1]");

    // Someone clears the bundle and sets Ignore: istiod puts both back (VAL-01).
    ValidatingWebhookConfiguration tampered = configuration();
    for (ValidatingWebhook w : tampered.getWebhooks()) {
      w.getClientConfig().setCaBundle(null);
      w.setFailurePolicy("Ignore");
    }
    rig.client()
        .admissionRegistration()
        .v1()
        .validatingWebhookConfigurations()
        .resource(tampered)
        .update();
    long tamperedAt = System.nanoTime();
    awaitPatchedAndFailClosed();
    System.out.printf(
        "cleared caBundle and Ignore repaired after %d ms%n",
        (System.nanoTime() - tamperedAt) / 1_000_000);

    // Istio's counters, as Prometheus reads them.
    String metrics = Http.get("http://127.0.0.1:" + istiod.monitoringPort() + "/metrics");
    assertThat(metrics)
        .contains("galley_validation_passed{")
        .contains("reason=\"invalid_resource\"")
        .contains("galley_validation_config_updates");

    // istiod gone: with Fail, writes are rejected with a webhook error, never admitted unchecked.
    istiod.close();
    istiod = null;
    Kubectl down =
        kubectl(virtualService(ns.name(), "while-down", VALID_ROUTES), "apply", "-f", "-");
    assertThat(down.exit()).isNotZero();
    assertThat(down.err()).contains("failed calling webhook \"" + WEBHOOK + "\"");
    assertThat(kubectl(null, "get", "virtualservice", "while-down", "-n", ns.name()).exit())
        .isNotZero();

    // Deletes are not validated; tidy up what this test stored.
    rig.kubectl("delete", "virtualservice", "--all", "-n", ns.name());
  }

  /**
   * Istio's own {@code istioctl analyze} 1.27, run on the rig over objects applied through our
   * webhook, finds exactly what our admission warnings said, for the codes our analyzers implement
   * (IST0101 referenced resource not found, IST0127 no matching workloads): the same code, the same
   * object and the same text.
   */
  @Test
  void istioctlAnalyzeAgreesWithOurAdmissionWarnings(Rig rig, TestNamespace ns) throws Exception {
    this.rig = rig;
    io.jistiod.it.support.Peers.require(ISTIOCTL, "Istio's istioctl 1.27.0", "build-istio.sh");
    installCrds();
    String revision = startIstiod(ns, SecurityOptions.disabled());
    createConfiguration(revision, ns, "https://127.0.0.1:" + istiod.webhookPort() + "/validate");
    awaitPatchedAndFailClosed();
    String n = ns.name();
    rig.kubectl("create", "service", "clusterip", "reviews", "--tcp=9080:9080", "-n", n);
    rig.kubectl("create", "service", "clusterip", "ratings", "--tcp=9080:9080", "-n", n);
    kubectl(
        """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews, namespace: %s}
        spec:
          host: reviews
          subsets: [{name: v1, labels: {version: v1}}]
        """
            .formatted(n),
        "apply",
        "-f",
        "-");
    // istiod must see the Service and the rule before the objects that refer to them
    String probe = "- route: [{destination: {host: reviews, subset: v1}}]\n";
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              Kubectl dry =
                  kubectl(
                      virtualService(n, "probe", probe), "apply", "--dry-run=server", "-f", "-");
              return dry.exit() == 0 && !dry.err().contains("Warning:");
            });

    List<String> objects =
        List.of(
            // fine: an existing host and subset
            virtualService(n, "to-v1", probe),
            // a subset the rule does not define, and a host that does not exist
            virtualService(
                n,
                "broken",
                """
                - route:
                  - {destination: {host: reviews, subset: v3}, weight: 50}
                  - {destination: {host: reveiws}, weight: 50}
                """),
            // a selector no pod carries
            """
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: deny-nobody, namespace: %1$s}
            spec:
              selector: {matchLabels: {app: nobody, team: %1$s}}
              action: DENY
              rules: [{}]
            """
                .formatted(n),
            // no selector, in a namespace where no workload runs: applies to nothing
            """
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: allow-all, namespace: %s}
            spec: {action: ALLOW, rules: [{}]}
            """
                .formatted(n));
    java.util.Set<String> ours = new java.util.TreeSet<>();
    java.util.regex.Pattern warning =
        java.util.regex.Pattern.compile(
            "Warning: (IST\\d{4}) \\((\\w+) ([^)]+)\\) (?:spec[^ ]*: )?(.*)");
    for (String object : objects) {
      Kubectl applied = kubectl(object, "apply", "-f", "-");
      assertThat(applied.exit()).as(applied.err()).isZero();
      for (String line : applied.err().lines().toList()) {
        java.util.regex.Matcher m = warning.matcher(line.strip());
        if (m.matches()) {
          ours.add((m.group(1) + " (" + m.group(2) + " " + m.group(3) + ") " + m.group(4)).strip());
        }
      }
    }
    assertThat(ours).as("our admission warnings").hasSize(4);

    List<String> cmd =
        List.of(
            ISTIOCTL.toString(),
            "analyze",
            "-n",
            n,
            "-o",
            "json",
            "--kubeconfig",
            rig.kubeconfig().toString());
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    // istioctl logs to stdout too (e.g. "translation function ... not found"): the JSON is the
    // array
    int array = out.startsWith("[") ? 0 : out.indexOf("\n[");
    assertThat(array).as("istioctl analyze printed no JSON array:\n%s", out).isNotNegative();
    out = out.substring(array);
    java.util.Set<String> istios = new java.util.TreeSet<>();
    for (com.fasterxml.jackson.databind.JsonNode m :
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(out)) {
      String code = m.path("code").asText();
      if (code.equals("IST0101") || code.equals("IST0127")) {
        istios.add(
            (code + " (" + m.path("origin").asText() + ") " + m.path("message").asText()).strip());
      }
    }
    System.out.println("istioctl analyze and our admission warnings agree on: " + istios);
    assertThat(ours).isEqualTo(istios);
  }

  /**
   * Cross-object analyzers on the real API server: objects that are valid on their own but refer to
   * what does not exist are admitted, and kubectl prints the analyzers' findings as warnings naming
   * the code, the object, the field and the reason.
   */
  @Test
  void analyzerFindingsAreAdmittedWithWarningsKubectlPrints(Rig rig, TestNamespace ns)
      throws Exception {
    this.rig = rig;
    installCrds();
    String revision = startIstiod(ns, SecurityOptions.disabled());
    createConfiguration(revision, ns, "https://127.0.0.1:" + istiod.webhookPort() + "/validate");
    awaitPatchedAndFailClosed();
    String n = ns.name();
    rig.kubectl("create", "service", "clusterip", "reviews", "--tcp=9080:9080", "-n", n);
    Kubectl rule =
        kubectl(
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews, namespace: %s}
            spec:
              host: reviews
              subsets: [{name: v1, labels: {version: v1}}]
            """
                .formatted(n),
            "apply",
            "-f",
            "-");
    assertThat(rule.exit()).as(rule.err()).isZero();
    assertThat(rule.err()).doesNotContain("Warning:");

    // Once istiod has seen the Service and the rule, a route to subset v1 draws no warning.
    String toV1 = "- route: [{destination: {host: reviews, subset: v1}}]\n";
    long t0 = System.nanoTime();
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              Kubectl dry =
                  kubectl(
                      virtualService(n, "reviews", toV1), "apply", "--dry-run=server", "-f", "-");
              return dry.exit() == 0 && !dry.err().contains("Warning:");
            });
    System.out.printf(
        "Service and DestinationRule visible to the analyzers after %d ms%n",
        (System.nanoTime() - t0) / 1_000_000);

    Kubectl warned =
        kubectl(
            virtualService(
                n,
                "reviews",
                """
                - route:
                  - {destination: {host: reviews, subset: v3}, weight: 50}
                  - {destination: {host: reveiws}, weight: 50}
                """),
            "apply",
            "-f",
            "-");
    assertThat(warned.exit()).as(warned.err()).isZero();
    assertThat(warned.out()).contains("virtualservice.networking.istio.io/reviews created");
    assertThat(warned.err())
        .contains(
            "Warning: IST0101 (VirtualService "
                + n
                + "/reviews) spec.http[0].route[0].destination.subset: Referenced"
                + " host+subset in destinationrule not found: \"reviews+v3\"")
        .contains(
            "Warning: IST0101 (VirtualService "
                + n
                + "/reviews) spec.http[0].route[1].destination.host: Referenced host not found:"
                + " \"reveiws\"");

    // Two namespace-wide PeerAuthentications: the second is admitted with the conflict named.
    String peerAuthentication =
        """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: %s, namespace: %s}
        spec: {mtls: {mode: %s}}
        """;
    Kubectl first =
        kubectl(peerAuthentication.formatted("strict", n, "STRICT"), "apply", "-f", "-");
    assertThat(first.exit()).as(first.err()).isZero();
    assertThat(first.err()).doesNotContain("Warning:");
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .untilAsserted(
            () ->
                assertThat(
                        kubectl(
                                peerAuthentication.formatted("permissive", n, "PERMISSIVE"),
                                "apply",
                                "-f",
                                "-")
                            .err())
                    .contains(
                        "Warning: JST0001 (PeerAuthentication "
                            + n
                            + "/permissive) spec.selector: conflicts with PeerAuthentication "
                            + n
                            + "/strict"));

    // A selector no pod carries (a label unique to this test: the rig is shared).
    Kubectl policy =
        kubectl(
            """
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: deny-ratings, namespace: %s}
            spec:
              selector: {matchLabels: {app: ratings, team: %s}}
              action: DENY
              rules: [{}]
            """
                .formatted(n, n),
            "apply",
            "-f",
            "-");
    assertThat(policy.exit()).as(policy.err()).isZero();
    assertThat(policy.err())
        .contains(
            "Warning: IST0127 (AuthorizationPolicy "
                + n
                + "/deny-ratings) spec.selector.matchLabels: No matching workloads for this"
                + " resource with the following labels: app=ratings,team="
                + n);

    for (String kind :
        List.of("virtualservice", "destinationrule", "peerauthentication", "authorizationpolicy")) {
      rig.kubectl("delete", kind, "--all", "-n", n);
    }
  }

  @Test
  void withIstiodsCaTheWebhookServesTheCaIssuedCertificate(Rig rig, TestNamespace ns)
      throws Exception {
    this.rig = rig;
    installCrds();
    SecurityOptions security =
        SecurityOptions.fromEnvironment(
                name -> name.equals("ISTIOD_CUSTOM_HOST") ? "localhost" : null)
            .withSecureGrpcAddr("127.0.0.1:0")
            .withNamespace(ns.name());
    String revision = startIstiod(ns, security);
    assertThat(istiod.webhook().certificateSource()).contains("istiod's serving certificate");
    createConfiguration(revision, ns, "https://localhost:" + istiod.webhookPort() + "/validate");
    awaitPatchedAndFailClosed();

    String root = istiod.security().ca().current().orElseThrow().rootBundlePem();
    assertThat(configuration().getWebhooks().get(0).getClientConfig().getCaBundle())
        .isEqualTo(
            java.util.Base64.getEncoder().encodeToString(root.getBytes(StandardCharsets.UTF_8)));
    Kubectl bad =
        kubectl(virtualService(ns.name(), "negative", NEGATIVE_WEIGHT), "apply", "-f", "-");
    assertThat(bad.err())
        .contains("admission webhook \"" + WEBHOOK + "\" denied the request")
        .contains("spec.http[0].route[0].weight");
    Kubectl ok = kubectl(virtualService(ns.name(), "valid", VALID_ROUTES), "apply", "-f", "-");
    assertThat(ok.exit()).as(ok.err()).isZero();
    rig.kubectl("delete", "virtualservice", "--all", "-n", ns.name());
  }
}

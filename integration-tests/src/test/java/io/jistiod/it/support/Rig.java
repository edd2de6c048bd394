package io.jistiod.it.support;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The end-to-end rig as tests see it: a real kube-apiserver (started by {@code
 * integration-tests/cluster/up.sh}), an admin fabric8 client, and kubectl/helm on its kubeconfig.
 */
public final class Rig {
  /** integration-tests/ (the module's base directory, where Maven runs the tests). */
  public static final Path MODULE = Path.of("").toAbsolutePath();

  private final Path kubeconfig;
  private final KubernetesClient client;
  // istiod identities installed by the running test, by "namespace/revision"; RigExtension
  // deletes them after each test.
  private final java.util.Map<String, ChartIdentity> identities =
      new java.util.concurrent.ConcurrentHashMap<>();

  Rig(Path kubeconfig) throws IOException {
    this.kubeconfig = kubeconfig;
    this.client =
        new KubernetesClientBuilder()
            .withConfig(
                Config.fromKubeconfig(
                    null,
                    Files.readString(kubeconfig, StandardCharsets.UTF_8),
                    kubeconfig.toString()))
            .build();
  }

  /**
   * The rig behind {@code kubeconfig}, already started (by {@code cluster/up.sh}), for harnesses
   * that run outside JUnit; they delete the identities they installed with {@link #close()}.
   */
  public static Rig at(Path kubeconfig) throws IOException {
    return new Rig(kubeconfig);
  }

  /** Deletes the istiod identities installed through this rig and closes the client. */
  public void close() {
    deleteIdentities();
    client.close();
  }

  /** The admin kubeconfig: for the test's own kubectl and client, never for istiod. */
  public Path kubeconfig() {
    return kubeconfig;
  }

  /**
   * The kubeconfig istiod runs on in e2e tests: the token of the istiod chart's ServiceAccount in
   * {@code namespace}, with the chart's ClusterRole and Role bound to it (see {@link
   * ChartIdentity}), as a helm-installed istiod runs. Installed once per test and namespace.
   */
  public Path istiodKubeconfig(String namespace) {
    return istiodKubeconfig(namespace, "");
  }

  /** As {@link #istiodKubeconfig(String)}, for istiod of {@code revision} (empty: default). */
  public Path istiodKubeconfig(String namespace, String revision) {
    return identities
        .computeIfAbsent(
            namespace + "/" + revision,
            k -> {
              try {
                return ChartIdentity.install(this, namespace, revision);
              } catch (IOException e) {
                throw new IllegalStateException(
                    "istiod's chart RBAC in " + namespace + ": " + e.getMessage(), e);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
              }
            })
        .kubeconfig();
  }

  private boolean istioCrdsInstalled;

  /**
   * Installs Istio's CRDs (crds/crd-all.gen.yaml, server side) once per rig and waits until the API
   * server serves them; for tests that write Istio config, whatever ran before them.
   */
  public synchronized void installIstioCrds() throws IOException, InterruptedException {
    if (istioCrdsInstalled) {
      return;
    }
    applyCrds(
        MODULE.resolve("../crds/crd-all.gen.yaml"),
        "crd/virtualservices.networking.istio.io",
        "crd/destinationrules.networking.istio.io",
        "crd/authorizationpolicies.security.istio.io");
    istioCrdsInstalled = true;
  }

  /** Applies CRDs server side (too large for client-side apply) and waits until they serve. */
  private void applyCrds(Path source, String... established)
      throws IOException, InterruptedException {
    kubectl("apply", "--server-side", "--force-conflicts", "-f", source.toString());
    List<String> wait =
        new ArrayList<>(List.of("wait", "--for=condition=Established", "--timeout=60s"));
    wait.addAll(List.of(established));
    kubectl(wait.toArray(String[]::new));
  }

  private boolean gatewayApiCrdsInstalled;

  /**
   * Installs the Kubernetes Gateway API's standard CRDs (v1.3.0, the version Istio 1.27 builds
   * with, from Go's module cache where build-istio.sh put it) once per rig.
   */
  public synchronized void installGatewayApiCrds() throws IOException, InterruptedException {
    if (gatewayApiCrdsInstalled) {
      return;
    }
    applyCrds(
        IstioModule.module("sigs.k8s.io/gateway-api").resolve("config/crd/standard"),
        "crd/gateways.gateway.networking.k8s.io",
        "crd/httproutes.gateway.networking.k8s.io",
        "crd/referencegrants.gateway.networking.k8s.io");
    gatewayApiCrdsInstalled = true;
  }

  private boolean gatewayApiAlphaCrdsInstalled;

  /**
   * Installs the experimental-channel CRDs of the kinds istiod reads only with
   * PILOT_ENABLE_ALPHA_GATEWAY_API (TCPRoute, TLSRoute, XListenerSet, BackendTLSPolicy), once per
   * rig; not the experimental Gateway and HTTPRoute CRDs, so the standard ones other tests use
   * stay.
   */
  public synchronized void installGatewayApiAlphaCrds() throws IOException, InterruptedException {
    if (gatewayApiAlphaCrdsInstalled) {
      return;
    }
    Path dir = IstioModule.module("sigs.k8s.io/gateway-api").resolve("config/crd/experimental");
    for (String file :
        List.of(
            "gateway.networking.k8s.io_tcproutes.yaml",
            "gateway.networking.k8s.io_tlsroutes.yaml",
            "gateway.networking.x-k8s.io_xlistenersets.yaml",
            "gateway.networking.k8s.io_backendtlspolicies.yaml")) {
      kubectl("apply", "--server-side", "--force-conflicts", "-f", dir.resolve(file).toString());
    }
    kubectl(
        "wait",
        "--for=condition=Established",
        "--timeout=60s",
        "crd/tcproutes.gateway.networking.k8s.io",
        "crd/tlsroutes.gateway.networking.k8s.io",
        "crd/xlistenersets.gateway.networking.x-k8s.io",
        "crd/backendtlspolicies.gateway.networking.k8s.io");
    gatewayApiAlphaCrdsInstalled = true;
  }

  /** Deletes the istiod identities the test installed. */
  void deleteIdentities() {
    for (ChartIdentity id : identities.values()) {
      id.delete(this);
    }
    identities.clear();
  }

  /**
   * The root certificate istiod published in {@code namespace} ({@code istio-ca-root-cert}), once
   * it is there.
   */
  public String publishedRoot(String namespace, java.time.Duration wait) {
    return org.awaitility.Awaitility.await()
        .atMost(wait)
        .pollInterval(java.time.Duration.ofMillis(100))
        .until(
            () -> {
              io.fabric8.kubernetes.api.model.ConfigMap cm =
                  client().configMaps().inNamespace(namespace).withName("istio-ca-root-cert").get();
              return cm == null || cm.getData() == null ? null : cm.getData().get("root-cert.pem");
            },
            root -> root != null);
  }

  public KubernetesClient client() {
    return client;
  }

  /** Runs kubectl against the rig; returns stdout, throws with stderr on failure. */
  public String kubectl(String... args) throws IOException, InterruptedException {
    return run(stdinNone(), "kubectl", args);
  }

  /** {@code kubectl apply -f -} with {@code yaml} on stdin. */
  public String apply(String yaml) throws IOException, InterruptedException {
    return run(yaml, "kubectl", "apply", "-f", "-");
  }

  /** kubectl with {@code stdin} fed to it (for {@code -f -}). */
  public String kubectlStdin(String stdin, String... args)
      throws IOException, InterruptedException {
    return run(stdin, "kubectl", args);
  }

  private static String stdinNone() {
    return null;
  }

  private String run(String stdin, String tool, String... args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(tool);
    cmd.add("--kubeconfig");
    cmd.add(kubeconfig.toString());
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
      if (p.exitValue() != 0) {
        throw new IOException(
            String.join(" ", cmd)
                + " failed: "
                + Files.readString(err, StandardCharsets.UTF_8).strip());
      }
      return out;
    } finally {
      Files.deleteIfExists(err);
    }
  }
}

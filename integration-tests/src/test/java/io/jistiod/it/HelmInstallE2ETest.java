package io.jistiod.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.jistiod.istiod.Istiod;
import io.jistiod.istiod.IstiodOptions;
import io.jistiod.istiod.KubernetesAccess;
import io.jistiod.istiod.inject.InjectionOptions;
import io.jistiod.istiod.security.SecurityOptions;
import io.jistiod.istiod.webhook.WebhookOptions;
import io.jistiod.it.support.ChartIdentity;
import io.jistiod.it.support.Helm;
import io.jistiod.it.support.Rig;
import io.jistiod.it.support.RigExtension;
import io.jistiod.it.support.TestNamespace;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code helm install} of manifests/charts/base and manifests/charts/istiod into the rig's real
 * kube-apiserver: the objects exist with Istio's names (default revision and {@code
 * revision=canary}), the CRDs are established, and jistiod's istiod, run in-process with the
 * chart's ServiceAccount token instead of the admin kubeconfig, becomes ready (the chart's RBAC is
 * enough for what it does). Each test installs into its own namespace (RigExtension's) and
 * uninstalls its releases afterwards.
 */
@Tag("e2e")
@ExtendWith(RigExtension.class)
class HelmInstallE2ETest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path tmp;

  private final Helm helm = Helm.require();
  private final List<String[]> uninstall = new ArrayList<>();
  private Rig rig;
  private Istiod istiod;

  @AfterEach
  void cleanUp() throws Exception {
    if (istiod != null) {
      istiod.close();
    }
    for (int i = uninstall.size() - 1; i >= 0; i--) {
      String[] r = uninstall.get(i);
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
  }

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
                // The CRDs may already be on the rig (other e2e tests apply crds/ with kubectl);
                // they keep helm.sh/resource-policy: keep, so uninstalling leaves them.
                "--take-ownership"));
    for (String s : sets) {
      args.add("--set");
      args.add(s);
    }
    uninstall.add(new String[] {release, namespace});
    helm.check(args.toArray(String[]::new));
  }

  @Test
  void baseAndIstiodInstallWithIstiosNamesAndIstiodRunsOnTheChartsRbac(
      Rig rig, TestNamespace testNamespace) throws Exception {
    this.rig = rig;
    String ns = testNamespace.name();
    install("istio-base", "base", ns, "global.istioNamespace=" + ns);
    install("istiod", "istiod", ns, "global.istioNamespace=" + ns);
    KubernetesClient k = rig.client();

    // The CRDs: every one in the chart's copy, established.
    String crdNames =
        rig.kubectl("get", "crd", "-l", "app.kubernetes.io/instance=istio-base", "-o", "name");
    assertThat(crdNames.lines())
        .hasSize(io.jistiod.galley.config.IstioKinds.ALL.size())
        .contains(
            "customresourcedefinition.apiextensions.k8s.io/virtualservices.networking.istio.io");
    List<String> wait =
        new ArrayList<>(List.of("wait", "--for=condition=Established", "--timeout=60s"));
    wait.addAll(crdNames.lines().toList());
    rig.kubectl(wait.toArray(String[]::new));

    // base: the default revision's validator, sent to istiod in our namespace.
    var defaultValidator =
        k.admissionRegistration()
            .v1()
            .validatingWebhookConfigurations()
            .withName("istiod-default-validator")
            .get();
    assertThat(defaultValidator).isNotNull();
    assertThat(defaultValidator.getWebhooks().get(0).getClientConfig().getService().getName())
        .isEqualTo("istiod");
    assertThat(defaultValidator.getWebhooks().get(0).getClientConfig().getService().getNamespace())
        .isEqualTo(ns);
    assertThat(k.serviceAccounts().inNamespace(ns).withName("istio-reader-service-account").get())
        .isNotNull();

    // istiod: Istio's object names for the default revision.
    assertThat(k.apps().deployments().inNamespace(ns).withName("istiod").get()).isNotNull();
    assertThat(k.serviceAccounts().inNamespace(ns).withName("istiod").get()).isNotNull();
    Service svc = k.services().inNamespace(ns).withName("istiod").get();
    assertThat(svc.getSpec().getPorts())
        .extracting(ServicePort::getPort)
        .containsExactly(15010, 15012, 443, 15014);
    assertThat(svc.getSpec().getPorts().get(2).getTargetPort().getIntVal()).isEqualTo(15017);
    assertThat(k.configMaps().inNamespace(ns).withName("istio").get().getData())
        .containsKey("mesh");
    assertThat(k.configMaps().inNamespace(ns).withName("istio-sidecar-injector").get().getData())
        .containsKeys("values", "config");
    assertThat(k.rbac().roles().inNamespace(ns).withName("istiod").get()).isNotNull();
    assertThat(k.rbac().roleBindings().inNamespace(ns).withName("istiod").get()).isNotNull();
    assertThat(k.rbac().clusterRoles().withName("istiod-clusterrole-" + ns).get()).isNotNull();
    assertThat(k.rbac().clusterRoleBindings().withName("istiod-clusterrole-" + ns).get())
        .isNotNull();
    assertThat(k.policy().v1().podDisruptionBudget().inNamespace(ns).withName("istiod").get())
        .isNotNull();
    assertThat(
            k.autoscaling()
                .v2()
                .horizontalPodAutoscalers()
                .inNamespace(ns)
                .withName("istiod")
                .get())
        .isNotNull();
    var injector =
        k.admissionRegistration()
            .v1()
            .mutatingWebhookConfigurations()
            .withName("istio-sidecar-injector-" + ns)
            .get();
    assertThat(injector.getWebhooks())
        .extracting(w -> w.getName())
        .containsExactly(
            "rev.namespace.sidecar-injector.istio.io",
            "rev.object.sidecar-injector.istio.io",
            "namespace.sidecar-injector.istio.io",
            "object.sidecar-injector.istio.io");
    assertThat(
            k.admissionRegistration()
                .v1()
                .validatingWebhookConfigurations()
                .withName("istio-validator-" + ns)
                .get())
        .isNotNull();

    // RBAC: istiod with the chart's ServiceAccount token, not the admin kubeconfig.
    Path kubeconfig = ChartIdentity.serviceAccountKubeconfig(rig, ns, "istiod");
    istiod =
        new Istiod(
            IstiodOptions.defaults(null)
                .withKubernetes(new KubernetesAccess(kubeconfig))
                .withAddresses("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
                .withSecurity(
                    SecurityOptions.fromEnvironment(Map.<String, String>of()::get)
                        .withSecureGrpcAddr("127.0.0.1:0")
                        .withNamespace(ns)
                        .withRootCaDir(tmp.resolve("no-cacerts")))
                .withWebhook(
                    WebhookOptions.fromEnvironment(name -> null)
                        .withHttpsAddr("127.0.0.1:0")
                        .withNamespace(ns)
                        .withRevision("default"))
                // Injection from the chart's istio-sidecar-injector ConfigMap (no files here).
                .withInjection(
                    InjectionOptions.fromEnvironment(name -> null)
                        .withDirectory(tmp.resolve("no-inject-files"))));
    istiod.start();
    HttpClient http = HttpClient.newHttpClient();
    URI ready = URI.create("http://127.0.0.1:" + istiod.httpPort() + "/ready");
    Awaitility.await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(200))
        .untilAsserted(
            () ->
                assertThat(
                        http.send(
                                HttpRequest.newBuilder(ready).build(),
                                HttpResponse.BodyHandlers.ofString())
                            .statusCode())
                    .isEqualTo(200));
    // What its RBAC lets it do: the self-signed CA in its namespace (Role: secrets create), the
    // root certificate published into namespaces (ClusterRole: configmaps create), and the
    // validator's caBundle patched in (ClusterRole: validatingwebhookconfigurations update), and
    // the injector's (ClusterRole: mutatingwebhookconfigurations update).
    Awaitility.await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              assertThat(k.secrets().inNamespace(ns).withName("istio-ca-secret").get()).isNotNull();
              assertThat(k.configMaps().inNamespace(ns).withName("istio-ca-root-cert").get())
                  .isNotNull();
              var v =
                  k.admissionRegistration()
                      .v1()
                      .validatingWebhookConfigurations()
                      .withName("istio-validator-" + ns)
                      .get();
              assertThat(v.getWebhooks().get(0).getClientConfig().getCaBundle()).isNotEmpty();
              var m =
                  k.admissionRegistration()
                      .v1()
                      .mutatingWebhookConfigurations()
                      .withName("istio-sidecar-injector-" + ns)
                      .get();
              assertThat(m.getWebhooks())
                  .allSatisfy(w -> assertThat(w.getClientConfig().getCaBundle()).isNotEmpty());
            });
    JsonNode registryz =
        JSON.readTree(
            http.send(
                    HttpRequest.newBuilder(
                            URI.create(
                                "http://127.0.0.1:" + istiod.httpPort() + "/debug/registryz"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body());
    assertThat(registryz.toString()).contains("istiod." + ns + ".svc.cluster.local");
  }

  @Test
  void revisionCanaryNamesEverythingCanary(Rig rig, TestNamespace testNamespace) throws Exception {
    this.rig = rig;
    String ns = testNamespace.name();
    install("istiod-canary", "istiod", ns, "global.istioNamespace=" + ns, "revision=canary");
    KubernetesClient k = rig.client();
    assertThat(
            k.apps()
                .deployments()
                .inNamespace(ns)
                .withName("istiod-canary")
                .get()
                .getSpec()
                .getTemplate()
                .getMetadata()
                .getLabels())
        .containsEntry("istio.io/rev", "canary");
    assertThat(k.services().inNamespace(ns).withName("istiod-canary").get().getSpec().getSelector())
        .containsEntry("istio.io/rev", "canary");
    assertThat(k.serviceAccounts().inNamespace(ns).withName("istiod-canary").get()).isNotNull();
    assertThat(k.configMaps().inNamespace(ns).withName("istio-canary").get()).isNotNull();
    assertThat(k.configMaps().inNamespace(ns).withName("istio-sidecar-injector-canary").get())
        .isNotNull();
    assertThat(k.rbac().clusterRoles().withName("istiod-clusterrole-canary-" + ns).get())
        .isNotNull();
    assertThat(k.rbac().roles().inNamespace(ns).withName("istiod-canary").get()).isNotNull();
    var injector =
        k.admissionRegistration()
            .v1()
            .mutatingWebhookConfigurations()
            .withName("istio-sidecar-injector-canary-" + ns)
            .get();
    assertThat(injector.getMetadata().getLabels()).containsEntry("istio.io/rev", "canary");
    assertThat(injector.getWebhooks())
        .extracting(w -> w.getName())
        .containsExactly(
            "rev.namespace.sidecar-injector.istio.io", "rev.object.sidecar-injector.istio.io");
    assertThat(injector.getWebhooks().get(0).getClientConfig().getService().getName())
        .isEqualTo("istiod-canary");
    var validator =
        k.admissionRegistration()
            .v1()
            .validatingWebhookConfigurations()
            .withName("istio-validator-canary-" + ns)
            .get();
    assertThat(
            validator
                .getWebhooks()
                .get(0)
                .getObjectSelector()
                .getMatchExpressions()
                .get(0)
                .getValues())
        .containsExactly("canary");
  }
}

package io.jistiod.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import io.jistiod.it.support.Helm;
import io.jistiod.it.support.Rig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;

/**
 * The charts under manifests/charts: {@code helm lint --strict} passes on each (with default values
 * and with the common settings below), and {@code helm template} renders what the golden files in
 * src/test/resources/helm-golden hold. Regenerate those with {@code -Djistiod.helm.update=true} and
 * read the diff before committing it.
 *
 * <p>Tagged e2e (it needs the helm that integration-tests/cluster/build-peers.sh builds, which
 * e2e.sh builds first), but it needs no rig. CRDs appear in the golden files by their metadata
 * only: their specs are crds/crd-all.gen.yaml, which galley's CrdFileTest keeps identical to the
 * chart's copy.
 */
@Tag("e2e")
class HelmTemplateE2ETest {
  static final Path GOLDEN = Rig.MODULE.resolve("src/test/resources/helm-golden");

  /** One rendering: a golden file name, the chart, the release, its namespace and settings. */
  record Case(String golden, String chart, String release, String namespace, List<String> sets) {}

  static final List<Case> CASES =
      List.of(
          new Case("base-default", "base", "istio-base", "istio-system", List.of()),
          new Case(
              "base-canary-default-revision",
              "base",
              "istio-base",
              "istio-system",
              List.of(
                  "defaultRevision=canary",
                  "base.excludedCRDs[0]=envoyfilters.networking.istio.io",
                  "global.imagePullSecrets[0]=pull-secret")),
          new Case(
              "base-no-default-revision",
              "base",
              "istio-base",
              "istio-system",
              List.of("defaultRevision=")),
          new Case("istiod-default", "istiod", "istiod", "istio-system", List.of()),
          new Case(
              "istiod-canary",
              "istiod",
              "istiod-canary",
              "istio-system",
              List.of("revision=canary")),
          new Case(
              "istiod-common-sets",
              "istiod",
              "istiod",
              "istio-system",
              List.of(
                  "global.hub=registry.example.com/istio",
                  "global.tag=1.27.0-custom",
                  "hub=registry.example.com/jistiod",
                  "tag=dev",
                  "resources.requests.cpu=1",
                  "resources.requests.memory=1Gi",
                  "env.PILOT_ENABLE_STATUS=true",
                  "env.PILOT_TRACE_SAMPLING=5",
                  "meshConfig.accessLogFile=/dev/stdout",
                  "meshConfig.trustDomain=example.org",
                  "global.proxy.tracer=zipkin",
                  "global.meshID=mesh1",
                  "global.logging.level=default:debug",
                  "autoscaleEnabled=false",
                  "replicaCount=2",
                  "revisionTags[0]=prod",
                  "sidecarInjectorWebhook.enableNamespacesByDefault=true",
                  "global.defaultPodDisruptionBudget.enabled=false",
                  "gatewayClasses.istio.service.spec.type=ClusterIP",
                  "gatewayClasses.istio.deployment.spec.replicas=2")),
          new Case(
              "istiod-other-namespace",
              "istiod",
              "istiod",
              "istio-control",
              List.of("global.istioNamespace=istio-control", "revision=1-27")),
          new Case(
              "gateway-default", "gateway", "istio-ingressgateway", "istio-ingress", List.of()),
          new Case(
              "gateway-egress",
              "gateway",
              "egress",
              "istio-egress",
              List.of(
                  "name=istio-egressgateway",
                  "revision=canary",
                  "service.type=ClusterIP",
                  "autoscaling.enabled=false",
                  "replicaCount=2",
                  "podDisruptionBudget.minAvailable=1")));

  @TestFactory
  Stream<DynamicTest> helmLintStrict() {
    Helm helm = Helm.require();
    return CASES.stream()
        .map(
            c ->
                DynamicTest.dynamicTest(
                    "helm lint " + c.golden(),
                    () -> {
                      List<String> args = new ArrayList<>(List.of("lint", "--strict"));
                      args.add(Helm.CHARTS.resolve(c.chart()).toString());
                      args.addAll(List.of("--namespace", c.namespace()));
                      c.sets().forEach(s -> args.addAll(List.of("--set", s)));
                      Helm.Result r = helm.run(args);
                      assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isZero();
                      assertThat(r.stdout()).contains("1 chart(s) linted, 0 chart(s) failed");
                      assertThat(r.stdout()).doesNotContain("[WARNING]", "[ERROR]");
                    }));
  }

  @TestFactory
  Stream<DynamicTest> helmTemplateGolden() {
    Helm helm = Helm.require();
    boolean update = Boolean.getBoolean("jistiod.helm.update");
    return CASES.stream()
        .map(
            c ->
                DynamicTest.dynamicTest(
                    "helm template " + c.golden(),
                    () -> {
                      List<String> args = new ArrayList<>(List.of("template", c.release()));
                      args.add(Helm.CHARTS.resolve(c.chart()).toString());
                      args.addAll(List.of("--namespace", c.namespace()));
                      c.sets().forEach(s -> args.addAll(List.of("--set", s)));
                      String rendered = summarizeCrds(helm.check(args.toArray(String[]::new)));
                      String header =
                          "# helm template "
                              + c.release()
                              + " manifests/charts/"
                              + c.chart()
                              + " -n "
                              + c.namespace()
                              + c.sets().stream().map(s -> " --set " + s).reduce("", String::concat)
                              + "\n# Regenerate: -Djistiod.helm.update=true (HelmTemplateE2ETest)\n";
                      Path file = GOLDEN.resolve(c.golden() + ".yaml");
                      if (update) {
                        Files.createDirectories(GOLDEN);
                        Files.writeString(file, header + rendered, StandardCharsets.UTF_8);
                        return;
                      }
                      if (!Files.exists(file)) {
                        fail(file + " is missing; write it with -Djistiod.helm.update=true");
                      }
                      assertThat(header + rendered)
                          .as("%s (regenerate with -Djistiod.helm.update=true)", file)
                          .isEqualTo(Files.readString(file, StandardCharsets.UTF_8));
                    }));
  }

  /**
   * The mesh ConfigMap the istiod chart renders is MeshConfig that jistiod's istiod reads (it is
   * mounted as its --meshConfig file), with the chart's defaults and the user's meshConfig in it.
   */
  @TestFactory
  Stream<DynamicTest> theMeshConfigMapIsMeshConfigIstiodReads() {
    Helm helm = Helm.require();
    return CASES.stream()
        .filter(c -> c.chart().equals("istiod"))
        .map(
            c ->
                DynamicTest.dynamicTest(
                    "mesh of " + c.golden(),
                    () -> {
                      List<String> args = new ArrayList<>(List.of("template", c.release()));
                      args.add(Helm.CHARTS.resolve(c.chart()).toString());
                      args.addAll(List.of("--namespace", c.namespace()));
                      args.addAll(List.of("--show-only", "templates/configmap.yaml"));
                      c.sets().forEach(s -> args.addAll(List.of("--set", s)));
                      var cm =
                          new com.fasterxml.jackson.databind.ObjectMapper(
                                  new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
                              .readTree(helm.check(args.toArray(String[]::new)));
                      String mesh = cm.path("data").path("mesh").asText();
                      var parsed = io.jistiod.galley.mesh.MeshConfigs.parse(mesh, c.golden());
                      assertThat(parsed.getRootNamespace()).isEqualTo(c.namespace());
                      assertThat(parsed.getDefaultConfig().getDiscoveryAddress())
                          .endsWith("." + c.namespace() + ".svc:15012");
                      if (c.sets().contains("meshConfig.accessLogFile=/dev/stdout")) {
                        assertThat(parsed.getAccessLogFile()).isEqualTo("/dev/stdout");
                        assertThat(parsed.getTrustDomain()).isEqualTo("example.org");
                      }
                    }));
  }

  /** Each CustomResourceDefinition reduced to its metadata (its spec is checked elsewhere). */
  static String summarizeCrds(String rendered) {
    StringBuilder out = new StringBuilder();
    for (String doc : rendered.split("(?m)^---\n", -1)) {
      if (doc.isEmpty()) {
        continue;
      }
      out.append("---\n");
      if (doc.contains("\nkind: CustomResourceDefinition\n")) {
        int spec = doc.indexOf("\nspec:\n");
        out.append(doc, 0, spec + 1).append("# spec: as in crds/crd-all.gen.yaml\n");
      } else {
        out.append(doc);
      }
    }
    return out.toString();
  }
}

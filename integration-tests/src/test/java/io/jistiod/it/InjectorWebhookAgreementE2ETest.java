package io.jistiod.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.jistiod.it.support.Helm;
import io.jistiod.it.support.IstioModule;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;

/**
 * The injector's MutatingWebhookConfigurations from manifests/charts/istiod agree with Istio
 * 1.27.0's own istio-discovery chart (read from Go's module cache, rendered with the same helm):
 * for each set of values, the same configuration names, the same revision and tag labels and
 * annotations, and webhook by webhook the same names, clientConfig (Service and path, or URL, and
 * caBundle), rules, namespace and object selectors, failurePolicy, reinvocationPolicy, sideEffects
 * and admissionReviewVersions. Labels that name the chart or operator are not compared.
 */
@Tag("e2e")
class InjectorWebhookAgreementE2ETest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final List<String> COMPARED_LABELS =
      List.of("istio.io/rev", "istio.io/tag", "app");

  private record Case(String name, String namespace, List<String> sets) {}

  private static final List<Case> CASES =
      List.of(
          new Case("default", "istio-system", List.of()),
          new Case("canary", "istio-system", List.of("revision=canary")),
          new Case(
              "canary with tags prod and default",
              "istio-system",
              List.of("revision=canary", "revisionTags={prod,default}")),
          new Case(
              "default with tags, all namespaces, multi-cluster path, IfNeeded, annotations",
              "istio-system",
              List.of(
                  "revisionTags={prod}",
                  "sidecarInjectorWebhook.enableNamespacesByDefault=true",
                  "istiodRemote.injectionPath=/inject/cluster/cluster2/net/network2",
                  "sidecarInjectorWebhook.reinvocationPolicy=IfNeeded",
                  "sidecarInjectorWebhookAnnotations.example\\.com/owner=mesh-team")),
          new Case("other namespace, revision 1-27", "istio-control", List.of("revision=1-27")),
          new Case(
              "remote injection URL with a CA bundle, and a tag",
              "istio-system",
              List.of(
                  "istiodRemote.injectionURL=https://istiod.example.com:15017/inject",
                  "istiodRemote.injectionCABundle=Q0EgYnVuZGxl",
                  "revisionTags={prod}")),
          new Case(
              "webhooks managed by the operator",
              "istio-system",
              List.of("global.operatorManageWebhooks=true")));

  @TestFactory
  Stream<DynamicTest> sameWebhooksAsIstiosChart() throws Exception {
    Helm helm = Helm.require();
    Path istio = IstioModule.dir().resolve("manifests/charts/istio-control/istio-discovery");
    Path ours = Helm.CHARTS.resolve("istiod");
    return CASES.stream()
        .map(
            c ->
                DynamicTest.dynamicTest(
                    c.name(),
                    () -> {
                      Map<String, JsonNode> want = render(helm, istio, c);
                      Map<String, JsonNode> got = render(helm, ours, c);
                      assertThat(got.keySet()).as("configurations").isEqualTo(want.keySet());
                      for (String name : want.keySet()) {
                        assertThat(got.get(name).toPrettyString())
                            .as("MutatingWebhookConfiguration %s", name)
                            .isEqualTo(want.get(name).toPrettyString());
                      }
                    }));
  }

  /** Each MutatingWebhookConfiguration the chart renders, by name, reduced to what is compared. */
  private static Map<String, JsonNode> render(Helm helm, Path chart, Case c) throws Exception {
    Map<String, JsonNode> out = new TreeMap<>();
    for (String template :
        List.of("templates/mutatingwebhook.yaml", "templates/revision-tags.yaml")) {
      List<String> args =
          new ArrayList<>(
              List.of(
                  "template",
                  "istiod",
                  chart.toString(),
                  "-n",
                  c.namespace(),
                  "--show-only",
                  template));
      for (String s : c.sets()) {
        args.add("--set");
        args.add(s);
      }
      Helm.Result r = helm.run(args);
      if (r.exitCode() != 0 && r.stderr().contains("could not find template")) {
        continue; // the template rendered nothing
      }
      r.orThrow(args);
      try (var parser = YAML.getFactory().createParser(r.stdout())) {
        for (JsonNode doc : YAML.readValues(parser, JsonNode.class).readAll()) {
          if (doc == null || !"MutatingWebhookConfiguration".equals(doc.path("kind").asText())) {
            continue;
          }
          out.put(doc.path("metadata").path("name").asText(), compared(doc));
        }
      }
    }
    return out;
  }

  private static JsonNode compared(JsonNode doc) {
    ObjectNode compared = YAML.createObjectNode();
    ObjectNode labels = compared.putObject("labels");
    for (String l : COMPARED_LABELS) {
      JsonNode v = doc.path("metadata").path("labels").get(l);
      if (v != null) {
        labels.put(l, v.asText());
      }
    }
    compared.set("annotations", doc.path("metadata").path("annotations"));
    compared.set("webhooks", doc.path("webhooks"));
    return compared;
  }
}

package io.jistiod.injector;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.zjsonpatch.JsonPatch;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.mesh.MeshConfigs;
import io.jistiod.galley.parse.KubeYaml;
import io.jistiod.injector.template.GoMarshal;
import io.jistiod.injector.template.InjectionFunctions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The webhook with our chart's real injection templates (manifests/charts/istiod/files) and the
 * values and mesh our chart renders (stored in src/test/resources/chart-injection): each pod of
 * pods.yaml goes through /inject as an AdmissionReview, the returned patch is applied, and the
 * injected pod is compared with a golden file ({@code -Djistiod.inject.update=true} rewrites them).
 */
class ChartTemplatesGoldenTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path DIR = Path.of("src/test/resources/chart-injection");
  private static final Path FILES = Path.of("../manifests/charts/istiod/files");
  private static final Map<String, String> TEMPLATE_FILES =
      Map.of(
          "sidecar", "injection-template.yaml",
          "gateway", "gateway-injection-template.yaml",
          "grpc-agent", "grpc-agent.yaml",
          "grpc-simple", "grpc-simple.yaml");

  private static InjectionWebhook webhook() throws Exception {
    StringBuilder config = new StringBuilder("policy: enabled\ndefaultTemplates: [sidecar]\n");
    config.append("templates:\n");
    for (var e : new java.util.TreeMap<>(TEMPLATE_FILES).entrySet()) {
      config.append("  ").append(e.getKey()).append(": ");
      config.append(JSON.writeValueAsString(Files.readString(FILES.resolve(e.getValue()))));
      config.append('\n');
    }
    InjectorConfig current =
        new InjectorConfig(
            // As istiod runs them: protoToJSON drops ProxyConfig fields equal to the defaults.
            InjectionConfig.parse(config.toString(), InjectionFunctions.all()),
            ValuesConfig.parse(Files.readString(DIR.resolve("values.json"))));
    MeshConfig mesh = MeshConfigs.parse(Files.readString(DIR.resolve("mesh.yaml")), "mesh.yaml");
    return new InjectionWebhook(
        () -> current,
        () -> mesh,
        "",
        NativeSidecars.Mode.DISABLED,
        null,
        "",
        InjectionMetrics.NONE);
  }

  @Test
  void injectedPodsMatchTheGoldenFiles() throws Exception {
    InjectionWebhook webhook = webhook();
    Map<String, String> actual = new LinkedHashMap<>();
    for (KubeYaml.Document d :
        KubeYaml.documents(Files.readString(DIR.resolve("pods.yaml")), false)) {
      ObjectNode pod = (ObjectNode) d.value();
      String name =
          pod.at("/metadata/name")
              .asText(pod.at("/metadata/generateName").asText())
              .replaceAll("-$", "");
      String review =
          "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
              + "\"uid\":\""
              + name
              + "\",\"namespace\":\""
              + pod.at("/metadata/namespace").asText()
              + "\",\"object\":"
              + pod
              + "}}";
      JsonNode response =
          JSON.readTree(webhook.handle(review.getBytes(StandardCharsets.UTF_8), "/inject"))
              .path("response");
      assertThat(response.path("allowed").asBoolean()).as(response.toString()).isTrue();
      JsonNode patch = JSON.readTree(Base64.getDecoder().decode(response.path("patch").asText()));
      JsonNode injected = JsonPatch.apply(patch, pod);
      actual.put(name, GoMarshal.yaml(JSON.convertValue(injected, Object.class)));
    }
    assertThat(actual).hasSize(3);
    for (var e : actual.entrySet()) {
      Path file = DIR.resolve("expected-" + e.getKey() + ".yaml");
      if (Boolean.getBoolean("jistiod.inject.update")) {
        Files.writeString(file, e.getValue());
      }
      assertThat(e.getValue()).as(e.getKey()).isEqualTo(Files.readString(file));
    }
  }
}

package io.jistiod.it.template;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.google.protobuf.util.JsonFormat;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.api.mesh.v1alpha1.ProxyConfig;
import io.jistiod.injector.template.GoStruct;
import io.jistiod.injector.template.GoTemplate;
import io.jistiod.injector.template.GoValues;
import io.jistiod.injector.template.InjectionFunctions;
import io.jistiod.injector.template.TemplateException;
import io.jistiod.it.support.GoTemplatePeer;
import io.jistiod.it.support.GoTemplatePeer.Request;
import io.jistiod.it.support.GoTemplatePeer.Result;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * jistiod's Go template engine against Go's own (the gotemplate peer: text/template + sprig + Istio
 * 1.27.0's InjectionFuncmap, as istiod parses injection templates): every template of our corpus
 * and every file of Istio's istio-discovery chart {@code files/}, read from the Go module cache,
 * renders to the same bytes or fails at the same stage with the same message.
 */
class GoTemplateAgreementTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path ISTIO =
      Path.of(System.getProperty("user.home"))
          .resolve("go/pkg/mod/istio.io/istio@v0.0.0-20250808040725-7359d8be2504");

  @Test
  void ownCorpusRendersAsGo() throws Exception {
    JsonNode data = JSON.readTree(resource("/gotemplate/data.json"));
    List<Request> requests = new ArrayList<>();
    for (String line : resource("/gotemplate/corpus.txt").split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String template = JSON.readValue(line, String.class);
      requests.add(new Request("corpus", template, false, data));
    }
    assertAgreement(requests);
  }

  @Test
  void sidecarDataReadsAsGo() throws Exception {
    List<Request> requests = new ArrayList<>();
    for (String line : resource("/gotemplate/corpus-sidecar.txt").split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String template = JSON.readValue(line, String.class);
      for (JsonNode data : sidecarVariants()) {
        requests.add(new Request("sidecar", template, true, data));
      }
    }
    assertAgreement(requests);
  }

  @Test
  void istioChartTemplatesRenderAsGo() throws Exception {
    Path files = ISTIO.resolve("manifests/charts/istio-control/istio-discovery/files");
    assertThat(files).as("Istio 1.27.0 in the Go module cache").isDirectory();
    List<Request> requests = new ArrayList<>();
    List<Path> all;
    try (Stream<Path> s = Files.list(files)) {
      all = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    for (Path f : all) {
      String text = Files.readString(f);
      for (JsonNode data : sidecarVariants()) {
        requests.add(new Request(f.getFileName().toString(), text, true, data));
      }
    }
    assertThat(requests).hasSizeGreaterThan(20);
    assertAgreement(requests);
  }

  private static void assertAgreement(List<Request> requests) throws Exception {
    List<Result> go = GoTemplatePeer.get().render(requests);
    List<String> mismatches = new ArrayList<>();
    for (int i = 0; i < requests.size(); i++) {
      Request r = requests.get(i);
      Result want = go.get(i);
      Result got = renderJava(r);
      if (!want.equals(got)) {
        mismatches.add(
            "template "
                + r.name()
                + " #"
                + i
                + (r.template().length() < 400 ? " " + JSON.writeValueAsString(r.template()) : "")
                + "\n  go:   "
                + JSON.writeValueAsString(want)
                + "\n  java: "
                + JSON.writeValueAsString(got));
      }
    }
    assertThat(mismatches).as(String.join("\n", mismatches)).isEmpty();
  }

  private static Result renderJava(Request r) {
    GoTemplate t;
    try {
      t = GoTemplate.parse(r.name(), r.template(), InjectionFunctions.all());
    } catch (TemplateException e) {
      return new Result(false, "", "parse", e.getMessage());
    }
    Object data;
    try {
      data = r.sidecar() ? sidecarData(r.data()) : GoValues.fromJson(r.data());
    } catch (Exception e) {
      return new Result(false, "", "data", e.toString());
    }
    try {
      return new Result(true, t.execute(data), "", "");
    } catch (TemplateException e) {
      return new Result(false, "", "exec", e.getMessage());
    }
  }

  /** istiod's SidecarTemplateData from the JSON the peer decodes it from. */
  static GoStruct sidecarData(JsonNode d) throws Exception {
    Map<String, Object> f = new LinkedHashMap<>();
    Map<String, Object> typeMeta = new LinkedHashMap<>();
    typeMeta.put("Kind", d.path("TypeMeta").path("kind").asText(""));
    typeMeta.put("APIVersion", d.path("TypeMeta").path("apiVersion").asText(""));
    f.put("TypeMeta", new GoStruct("v1.TypeMeta", typeMeta));
    Map<String, Object> dm = new LinkedHashMap<>();
    dm.put("Namespace", d.path("DeploymentMeta").path("Namespace").asText(""));
    dm.put("Name", d.path("DeploymentMeta").path("Name").asText(""));
    f.put("DeploymentMeta", new GoStruct("types.NamespacedName", dm));
    f.put("ObjectMeta", JSON.treeToValue(d.path("ObjectMeta"), ObjectMeta.class));
    f.put("Spec", JSON.treeToValue(d.path("Spec"), PodSpec.class));
    ProxyConfig.Builder pc = ProxyConfig.newBuilder();
    JsonFormat.parser().merge(d.path("ProxyConfig").toString(), pc);
    f.put("ProxyConfig", pc.build());
    MeshConfig.Builder mc = MeshConfig.newBuilder();
    JsonFormat.parser().merge(d.path("MeshConfig").toString(), mc);
    f.put("MeshConfig", mc.build());
    f.put("Values", GoValues.fromJson(d.path("Values")));
    f.put("Revision", d.path("Revision").asText(""));
    f.put("NativeSidecars", d.path("NativeSidecars").asBoolean(false));
    f.put("ProxyImage", d.path("ProxyImage").asText(""));
    f.put("ProxyUID", d.path("ProxyUID").asLong(0));
    f.put("ProxyGID", d.path("ProxyGID").asLong(0));
    f.put("InboundTrafficPolicyMode", d.path("InboundTrafficPolicyMode").asText(""));
    f.put("CompliancePolicy", d.path("CompliancePolicy").asText(""));
    return new GoStruct("*inject.SidecarTemplateData", f);
  }

  /** Data shaped like istiod's for a plain pod, an annotated one, and a native-sidecar one. */
  static List<JsonNode> sidecarVariants() throws IOException {
    JsonNode values =
        new YAMLMapper()
            .readTree(
                Files.readString(
                    ISTIO.resolve("manifests/charts/istio-control/istio-discovery/values.yaml")))
            .path("_internal_defaults_do_not_set");
    List<JsonNode> out = new ArrayList<>();
    for (String variant : List.of("/gotemplate/pod-plain.json", "/gotemplate/pod-annotated.json")) {
      ObjectNode d = (ObjectNode) JSON.readTree(resource(variant));
      d.set("Values", values.deepCopy());
      out.add(d);
      ObjectNode nativeSidecars = d.deepCopy();
      nativeSidecars.put("NativeSidecars", true);
      ((ObjectNode) nativeSidecars.path("Values").path("global")).put("logAsJson", true);
      out.add(nativeSidecars);
    }
    return out;
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = GoTemplateAgreementTest.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IOException("missing test resource " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}

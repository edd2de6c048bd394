package io.jistiod.injector.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Istio's and sprig's functions as istiod's templates call them. */
class InjectionFunctionsTest {
  static String render(String text, Object data) throws TemplateException {
    return GoTemplate.parse("t", text, InjectionFunctions.all(k -> null, m -> m)).execute(data);
  }

  static Map<String, Object> data() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put(
        "ObjectMeta",
        new ObjectMetaBuilder()
            .withName("p")
            .withAnnotations(Map.of("a", "1", "sidecar.istio.io/x", "y"))
            .build());
    d.put(
        "Spec",
        new PodSpecBuilder()
            .withContainers(
                new ContainerBuilder()
                    .withName("app")
                    .addNewPort()
                    .withContainerPort(8080)
                    .withName("http")
                    .endPort()
                    .addNewPort()
                    .withContainerPort(53)
                    .withProtocol("UDP")
                    .endPort()
                    .build())
            .build());
    d.put(
        "Values",
        GoTemplateTest.map(
            "global",
            GoTemplateTest.map(
                "proxy",
                GoTemplateTest.map(
                    "resources",
                    GoTemplateTest.map(
                        "requests", GoTemplateTest.map("cpu", "100m", "memory", 128.0))))));
    return new GoStruct(d).fields();
  }

  @Test
  void istioFunctions() throws Exception {
    Object d = new GoStruct(data());
    assertThat(render("{{annotation .ObjectMeta `a` `d`}} {{annotation .ObjectMeta `b` 5}}", d))
        .isEqualTo("1 5");
    assertThat(
            render(
                "{{isset .ObjectMeta.Annotations `a`}} {{isset .ObjectMeta.Annotations `z`}}", d))
        .isEqualTo("true false");
    assertThat(render("{{index .ObjectMeta.Annotations `zz`}}|{{.ObjectMeta.Annotations.zz}}", d))
        .isEqualTo("|<no value>");
    assertThat(render("{{includeInboundPorts .Spec.Containers}}", d)).isEqualTo("8080");
    assertThat(
            render("{{range .Spec.Containers}}{{range .Ports}}{{structToJSON .}}{{end}}{{end}}", d))
        .isEqualTo(
            "{\"name\":\"http\",\"containerPort\":8080}{\"containerPort\":53,\"protocol\":\"UDP\"}");
    assertThat(
            render("{{excludeInboundPort 15020 \"1,2\"}} {{excludeInboundPort \"2\" \"1,2\"}}", d))
        .isEqualTo("1,2,15020 1,2");
    assertThat(render("{{valueOrDefault .Values.nope \"dflt\"}} {{valueOrDefault \"\" 3}}", d))
        .isEqualTo("dflt 3");
    assertThat(render("{{toYaml .Values.global.proxy.resources | indent 2}}", d))
        .isEqualTo("requests:\n    cpu: 100m\n    memory: 128\n  ");
    assertThat(
            render("{{ toJsonMap (omit .ObjectMeta.Annotations \"a\") (strdict \"k\" \"v\") }}", d))
        .isEqualTo("{\"k\":\"v\",\"sidecar.istio.io/x\":\"y\"}");
    assertThat(render("{{contains \"b\" \"abc\"}} {{toLower \"AbC\"}} {{directory \"/a/b/c\"}}", d))
        .isEqualTo("true abc /a/b/");
    assertThat(render("{{ fromJSON \"[1, {\\\"a\\\": true}]\" }} {{ fromJSON \"nope\" }}", d))
        .isEqualTo("[1 map[a:true]] {}");
    assertThat(render("{{ appendMultusNetwork \"a, b\" \"istio-cni\" }}", d))
        .isEqualTo("a, b, istio-cni");
    assertThat(render("{{ env \"NOPE\" \"def\" }}", d)).isEqualTo("def");
  }

  @Test
  void sprigFunctions() throws Exception {
    Object d = new GoStruct(data());
    assertThat(
            render(
                "{{ .Values.missing | default \"x\" | quote }} {{ 5 | quote }} {{ squote \"a\" }}",
                d))
        .isEqualTo("\"x\" \"5\" 'a'");
    assertThat(
            render(
                "{{ list \"a\" \"b\" | join \",\" }} {{ \"abcdef\" | trunc 3 }} {{ trimSuffix \"-x\" \"a-x\" }}",
                d))
        .isEqualTo("a,b abc a");
    assertThat(render("{{ \"a\\nb\" | nindent 2 }}", d)).isEqualTo("\n  a\n  b");
    assertThat(
            render(
                "{{ $m := dict \"a\" 1 }}{{ $_ := set $m \"b\" 2 }}{{ $m }} {{ hasKey $m \"a\" }}",
                d))
        .isEqualTo("map[a:1 b:2] true");
    assertThat(render("{{ add 1 2 }} {{ sub 5 3 }} {{ mul 2 3 }} {{ div 7 2 }} {{ max 1 9 3 }}", d))
        .isEqualTo("3 2 6 3 9");
    assertThat(
            render(
                "{{ semverCompare \">=1.20\" \"1.27.0\" }} {{ semverCompare \"<1.20\" \"1.27.0\" }}",
                d))
        .isEqualTo("true false");
    assertThat(render("{{ regexReplaceAll \"a(x*)b\" \"-ab-axxb-\" \"${1}W\" }}", d))
        .isEqualTo("-W-xxW-");
    assertThat(
            render(
                "{{ b64enc \"hi\" }} {{ sha256sum \"\" | trunc 8 }} {{ typeOf 1.5 }} {{ kindIs \"map\" .Values }}",
                d))
        .isEqualTo("aGk= e3b0c442 float64 true");
    assertThat(render("{{ toJson (dict \"b\" \"<x>\" \"a\" 1.5) }}", d))
        .isEqualTo("{\"a\":1.5,\"b\":\"\\u003cx\\u003e\"}");
  }

  @Test
  void wrongArgumentsFailLikeGo() {
    Object d = new GoStruct(data());
    assertThatThrownBy(() -> render("{{ indent 2 }}", d))
        .hasMessageEndingWith("wrong number of args for indent: want 2 got 1");
    assertThatThrownBy(() -> render("{{ indent \"2\" \"x\" }}", d))
        .hasMessageEndingWith("wrong type for value; expected int; got string");
    assertThatThrownBy(() -> render("{{ nosuchfunc }}", d))
        .hasMessage("template: t:1: function \"nosuchfunc\" not defined");
  }

  @Test
  void istioTemplatesParse() throws Exception {
    Path dir =
        Path.of(System.getProperty("user.home"))
            .resolve(
                "go/pkg/mod/istio.io/istio@v0.0.0-20250808040725-7359d8be2504/manifests/charts/"
                    + "istio-control/istio-discovery/files");
    if (!Files.isDirectory(dir)) {
      return;
    }
    for (String f :
        List.of(
            "injection-template.yaml",
            "grpc-agent.yaml",
            "grpc-simple.yaml",
            "gateway-injection-template.yaml",
            "kube-gateway.yaml",
            "waypoint.yaml")) {
      GoTemplate.parse(f, Files.readString(dir.resolve(f)), InjectionFunctions.all());
    }
  }
}

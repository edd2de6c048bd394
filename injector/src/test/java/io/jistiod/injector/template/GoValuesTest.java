package io.jistiod.injector.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Duration;
import com.google.protobuf.Int32Value;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayAddressBuilder;
import io.jistiod.galley.api.mesh.v1alpha1.ProxyConfig;
import io.jistiod.galley.api.mesh.v1alpha1.Tracing;
import io.jistiod.galley.api.networking.v1alpha3.ClientTLSSettings;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How Java values read in templates: the Go types GoValues says they stand for. */
class GoValuesTest {
  static String render(String text, Object data) throws TemplateException {
    return GoTemplate.parse("t", text, InjectionFunctions.all()).execute(data);
  }

  @Test
  void jsonDecodesAsGoInterfaceValues() throws Exception {
    Object v =
        GoValues.fromJson(new ObjectMapper().readTree("{\"n\":1,\"f\":1.5,\"l\":[true,null]}"));
    assertThat(render("{{.n}} {{.f}} {{.l}} {{typeOf .n}}", v))
        .isEqualTo("1 1.5 [true <nil>] float64");
    assertThatThrownBy(() -> render("{{eq .n 1}}", v))
        .hasMessageEndingWith("incompatible types for comparison: float64 and int");
  }

  @Test
  void protobufMessagesReadAsGeneratedGoStructs() throws Exception {
    ProxyConfig pc =
        ProxyConfig.newBuilder()
            .setDiscoveryAddress("istiod:15012")
            .putProxyMetadata("B", "2")
            .putProxyMetadata("A", "1")
            .setConcurrency(Int32Value.of(2))
            .setDrainDuration(Duration.newBuilder().setSeconds(45))
            .setServiceCluster("istio-proxy")
            .build();
    Map<String, Object> d = Map.of("PC", pc);
    assertThat(
            render(
                "{{.PC.DiscoveryAddress}} {{.PC.ProxyMetadata}} {{index .PC.ProxyMetadata \"Z\"}}|",
                d))
        .isEqualTo("istiod:15012 map[A:1 B:2] |");
    assertThat(
            render(
                "{{.PC.Concurrency.Value}} {{.PC.GetConcurrency.GetValue}} {{.PC.Concurrency}}", d))
        .isEqualTo("2 2 value:2");
    assertThat(render("{{formatDuration .PC.DrainDuration}} {{.PC.ControlPlaneAuthPolicy}}", d))
        .isEqualTo("45s NONE");
    assertThat(
            render(
                "{{.PC.Tracing}} {{.PC.GetTracing.GetZipkin.GetAddress}}|{{.PC.ClusterName}}", d))
        .isEqualTo("<nil> |&{istio-proxy}");
    assertThat(render("{{if .PC.Tracing}}t{{else}}none{{end}}", d)).isEqualTo("none");
    assertThatThrownBy(() -> render("{{.PC.Tracing.Sampling}}", d))
        .hasMessageEndingWith("nil pointer evaluating *v1alpha1.Tracing.Sampling");
    // Read from a map[string]any, the message's static type is interface {} in Go's error.
    assertThatThrownBy(() -> render("{{.PC.Nope}}", d))
        .hasMessageEndingWith("can't evaluate field Nope in type interface {}");
    assertThatThrownBy(() -> render("{{.Nope}}", pc))
        .hasMessageEndingWith("can't evaluate field Nope in type *v1alpha1.ProxyConfig");
    ProxyConfig traced =
        pc.toBuilder()
            .setTracing(
                Tracing.newBuilder().setZipkin(Tracing.Zipkin.newBuilder().setAddress("z:9411")))
            .build();
    // Zipkin is a oneof member: Go reaches it through the oneof's wrapper, not as a field.
    assertThat(render("{{.PC.Tracing.Tracer.Zipkin.Address}}", Map.of("PC", traced)))
        .isEqualTo("z:9411");
    assertThatThrownBy(() -> render("{{.PC.Tracing.Zipkin}}", Map.of("PC", traced)))
        .hasMessageEndingWith("can't evaluate field Zipkin in type *v1alpha1.Tracing");
  }

  @Test
  void protoToJsonDropsIstioDefaultsLikeIstio() throws Exception {
    ProxyConfig pc =
        ProxyConfig.newBuilder()
            .setDiscoveryAddress("istiod.istio-system.svc:15012")
            .setStatusPort(15020)
            .setConcurrency(Int32Value.of(2))
            .putProxyMetadata("B", "2")
            .putProxyMetadata("A", "1")
            .build();
    assertThat(render("{{protoToJSON .}}", pc))
        .isEqualTo("{\"concurrency\":2,\"proxyMetadata\":{\"A\":\"1\",\"B\":\"2\"}}");
  }

  @Test
  void protoToJsonEscapesHtmlInStringsAsGoJsonDoes() throws Exception {
    // jsonpb writes strings, map keys included, with encoding/json: <, > and & as \\u escapes.
    ProxyConfig pc =
        ProxyConfig.newBuilder()
            .setDiscoveryAddress("a<b>&c:15012")
            .putProxyMetadata("K<&>", "quote \" and <tag>")
            .setTracing(
                Tracing.newBuilder().setTlsSettings(ClientTLSSettings.newBuilder().setSni("x&y")))
            .build();
    assertThat(render("{{protoToJSON .}}", pc))
        .isEqualTo(
            "{\"discoveryAddress\":\"a\\u003cb\\u003e\\u0026c:15012\","
                + "\"tracing\":{\"tlsSettings\":{\"sni\":\"x\\u0026y\"}},"
                + "\"proxyMetadata\":{\"K\\u003c\\u0026\\u003e\":\"quote \\\" and \\u003ctag\\u003e\"}}");
  }

  @Test
  void gatewayTemplatePointerFieldsAreNilWhenUnset() throws Exception {
    // ServicePort.AppProtocol is a *string: unset prints as Go prints a nil pointer.
    var ports =
        List.of(
            new ServicePortBuilder().withName("a").withAppProtocol("http").build(),
            new ServicePortBuilder().withName("b").build());
    assertThat(render("{{range .}}{{.Name}}={{.AppProtocol}} {{end}}", ports))
        .isEqualTo("a=http b=<nil> ");
    var address = new GatewayAddressBuilder().withValue("10.0.0.1").build();
    assertThat(render("{{.Type}} {{.Value}}", address)).isEqualTo("<nil> 10.0.0.1");
  }

  @Test
  void kubernetesModelsReadAsK8sGoStructs() throws Exception {
    var pod =
        new PodBuilder()
            .withMetadata(new ObjectMetaBuilder().withName("p").withUid("u1").build())
            .withSpec(
                new PodSpecBuilder()
                    .withContainers(
                        new ContainerBuilder()
                            .withName("c")
                            .withNewReadinessProbe()
                            .withNewHttpGet()
                            .withPath("/r")
                            .withNewPort(8080)
                            .endHttpGet()
                            .endReadinessProbe()
                            .build())
                    .build())
            .build();
    assertThat(
            render(
                "{{.ObjectMeta.Name}} {{.Name}} {{.ObjectMeta.UID}} [{{.Spec.DNSPolicy}}] {{.Kind}}",
                pod))
        .isEqualTo("p p u1 [] Pod");
    assertThat(
            render(
                "{{range .Spec.Containers}}{{.ReadinessProbe.HTTPGet.Path}}:{{.ReadinessProbe.HTTPGet.Port}} {{.ReadinessProbe.TCPSocket}} {{.Resources.Limits}} {{.TTY}}{{end}}",
                pod))
        .isEqualTo("/r:8080 nil map[] false");
    assertThat(
            render(
                "{{.Spec.SecurityContext}} {{if .Spec.SecurityContext}}y{{else}}n{{end}} {{.ObjectMeta.Labels}} {{index .ObjectMeta.Labels \"x\"}}|",
                pod))
        .isEqualTo("nil n map[] |");
    assertThatThrownBy(() -> render("{{.Spec.SecurityContext.RunAsUser}}", pod))
        .hasMessageEndingWith("nil pointer evaluating *v1.PodSecurityContext.RunAsUser");
  }

  @Test
  void goStructsNameTheirTypeInErrors() {
    GoStruct s = new GoStruct("*inject.SidecarTemplateData", Map.of("A", "a"));
    assertThatThrownBy(() -> render("{{.B}}", s))
        .hasMessage(
            "template: t:1:2: executing \"t\" at <.B>: can't evaluate field B in type"
                + " *inject.SidecarTemplateData");
  }

  @Test
  void anEmbeddedValuePromotesItsFields() throws Exception {
    var pod =
        new PodBuilder()
            .withMetadata(new ObjectMetaBuilder().withName("p").withNamespace("ns").build())
            .build();
    GoStruct outer =
        new GoStruct("gateway.TemplateInput", Map.of("DeploymentName", "d", "Pod", pod), pod);
    // Own fields first, then the embedded model's (and through it, its ObjectMeta's).
    assertThat(render("{{.DeploymentName}} {{.Name}} {{.Namespace}} {{.Pod.Name}}", outer))
        .isEqualTo("d p ns p");
    GoStruct twice = new GoStruct("gateway.derivedInput", Map.of("ProxyImage", "img"), outer);
    assertThat(render("{{.ProxyImage}} {{.DeploymentName}} {{.ObjectMeta.Name}}", twice))
        .isEqualTo("img d p");
    assertThatThrownBy(() -> render("{{.Nope}}", twice))
        .hasMessageEndingWith("can't evaluate field Nope in type gateway.derivedInput");
  }
}

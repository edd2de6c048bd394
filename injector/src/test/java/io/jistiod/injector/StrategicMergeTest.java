package io.jistiod.injector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jistiod.galley.parse.KubeYaml;
import org.junit.jupiter.api.Test;

class StrategicMergeTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static ObjectNode yaml(String text) throws Exception {
    return (ObjectNode) KubeYaml.read(text);
  }

  private static JsonNode merge(String original, String patch) throws Exception {
    return StrategicMerge.apply(yaml(original), yaml(patch), PodPatchSchema.POD);
  }

  @Test
  void containersMergeByNameAndNewOnesAreAppended() throws Exception {
    JsonNode out =
        merge(
            """
            spec:
              containers:
              - name: app
                image: app:1
                args: [a, b]
              - name: istio-proxy
                image: auto
                resources: {limits: {cpu: "2"}}
            """,
            """
            spec:
              containers:
              - name: istio-proxy
                image: proxyv2
                args: [proxy, sidecar]
                resources: {requests: {cpu: 100m}}
              - name: extra
                image: x
            """);
    assertThat(out.at("/spec/containers").findValuesAsText("name"))
        .containsExactly("app", "istio-proxy", "extra");
    JsonNode proxy = out.at("/spec/containers/1");
    assertThat(proxy.path("image").asText()).isEqualTo("proxyv2");
    assertThat(proxy.at("/resources/limits/cpu").asText()).isEqualTo("2");
    assertThat(proxy.at("/resources/requests/cpu").asText()).isEqualTo("100m");
    assertThat(out.at("/spec/containers/0/args")).hasSize(2);
  }

  @Test
  void listsWithoutMergeKeyAreReplacedAndEnvPortsMountsMergeByTheirKeys() throws Exception {
    JsonNode out =
        merge(
            """
            spec:
              containers:
              - name: c
                args: [x, y, z]
                env: [{name: A, value: "1"}, {name: B, value: "2"}]
                ports: [{containerPort: 80, name: http}]
                volumeMounts: [{mountPath: /a, name: a}]
              tolerations: [{key: k1}]
            """,
            """
            spec:
              containers:
              - name: c
                args: [q]
                env: [{name: B, value: "3"}, {name: C, value: "4"}]
                ports: [{containerPort: 80, protocol: TCP}, {containerPort: 15090}]
                volumeMounts: [{mountPath: /a, readOnly: true}, {mountPath: /b, name: b}]
              tolerations: [{key: k2}]
            """);
    JsonNode c = out.at("/spec/containers/0");
    assertThat(c.path("args").toString()).isEqualTo("[\"q\"]");
    assertThat(c.path("env").toString())
        .isEqualTo(
            "[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"B\",\"value\":\"3\"},"
                + "{\"name\":\"C\",\"value\":\"4\"}]");
    assertThat(c.path("ports").toString())
        .isEqualTo(
            "[{\"containerPort\":80,\"name\":\"http\",\"protocol\":\"TCP\"},"
                + "{\"containerPort\":15090}]");
    assertThat(c.at("/volumeMounts/0/readOnly").asBoolean()).isTrue();
    assertThat(c.at("/volumeMounts/1/name").asText()).isEqualTo("b");
    assertThat(out.at("/spec/tolerations").toString()).isEqualTo("[{\"key\":\"k2\"}]");
  }

  @Test
  void patchOrderWinsForItsOwnElementsOriginalOrderForTheRest() throws Exception {
    // Kubernetes' normalizeElementOrder: the patch's items in the patch's order, merged with the
    // server-only items; where one of the two compared is new, the patch's item goes first (d
    // before b); b goes before c, both in the original in that order (checked against
    // istioctl's output for Istio's statefulset.yaml and merge-probers.yaml).
    JsonNode out =
        merge(
            "spec: {volumes: [{name: a}, {name: b}, {name: c}]}",
            "spec: {volumes: [{name: d}, {name: c}, {name: a, emptyDir: {}}]}");
    assertThat(out.at("/spec/volumes").findValuesAsText("name"))
        .containsExactly("d", "b", "c", "a");
  }

  @Test
  void nullDeletesAndNullsInNewValuesAreDropped() throws Exception {
    JsonNode out =
        merge(
            "metadata: {annotations: {a: '1', b: '2'}}\nspec: {}",
            "metadata: {annotations: {a: null, c: '3'}}\nspec: {securityContext: {runAsUser: null,"
                + " fsGroup: 1}}");
    assertThat(out.at("/metadata/annotations").toString()).isEqualTo("{\"b\":\"2\",\"c\":\"3\"}");
    assertThat(out.at("/spec/securityContext").toString()).isEqualTo("{\"fsGroup\":1}");
  }

  @Test
  void patchDirectives() throws Exception {
    JsonNode out =
        merge(
            """
            spec:
              containers: [{name: a, image: x}, {name: b, image: y}]
              securityContext: {runAsUser: 1, fsGroup: 2}
              volumes: [{name: v1}, {name: v2}]
            """,
            """
            spec:
              containers: [{name: a, $patch: delete}]
              securityContext: {$patch: replace, runAsGroup: 3}
              volumes: [{$patch: replace}, {name: v3}]
            """);
    assertThat(out.at("/spec/containers").findValuesAsText("name")).containsExactly("b");
    assertThat(out.at("/spec/securityContext").toString()).isEqualTo("{\"runAsGroup\":3}");
    assertThat(out.at("/spec/volumes").toString()).isEqualTo("[{\"name\":\"v3\"}]");
  }

  @Test
  void anElementWithoutTheMergeKeyIsAnError() {
    assertThatThrownBy(
            () -> merge("spec: {containers: [{name: a}]}", "spec: {containers: [{image: b}]}"))
        .isInstanceOf(StrategicMerge.PatchException.class)
        .hasMessageContaining("does not contain declared merge key: name");
  }

  @Test
  void theOriginalIsNotModified() throws Exception {
    ObjectNode original = yaml("spec: {containers: [{name: a}]}");
    String before = JSON.writeValueAsString(original);
    StrategicMerge.apply(
        original, yaml("spec: {containers: [{name: a, image: b}]}"), PodPatchSchema.POD);
    assertThat(JSON.writeValueAsString(original)).isEqualTo(before);
  }
}

package io.jistiod.istiod.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.istiod.Main;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ValidateCommandTest {
  @TempDir Path tmp;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cli = new CommandLine(new Main());
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    return cli.execute(args);
  }

  private Path file(String name, String text) throws Exception {
    Path p = tmp.resolve(name);
    Files.writeString(p, text);
    return p;
  }

  private static final String VALID =
      """
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata: {name: reviews}
      spec:
        hosts: [reviews]
        http:
        - route: [{destination: {host: reviews}}]
      ---
      apiVersion: v1
      kind: Service
      metadata: {name: not-istio}
      spec: {ports: [{port: 80}]}
      """;

  private static final String INVALID =
      """
      apiVersion: networking.istio.io/v1beta1
      kind: VirtualService
      metadata: {name: broken, namespace: shop}
      spec:
        hosts: [reviews]
        http:
        - route: [{destination: {host: reviews}, weight: -1}]
      """;

  @Test
  void validFilesExitZeroAndNonIstioObjectsAreReportedNotValidated() throws Exception {
    int code = run("validate", "-f", file("ok.yaml", VALID).toString());
    assertThat(code).as(out + "" + err).isZero();
    assertThat(out.toString())
        .contains("ok.yaml (document 1): VirtualService default/reviews: valid")
        .contains(
            "ok.yaml (document 2): Service default/not-istio: not validated (v1 is not an Istio"
                + " API)")
        .contains("1 objects valid, 1 objects of other kinds not validated");
  }

  @Test
  void dashReadsStandardInput() {
    CommandLine cli = new CommandLine(new Main());
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    ((ValidateCommand) cli.getSubcommands().get("validate").getCommand()).stdin =
        new ByteArrayInputStream(INVALID.getBytes(StandardCharsets.UTF_8));
    int code = cli.execute("validate", "-f", "-");
    assertThat(code).isEqualTo(1);
    assertThat(out.toString())
        .contains("stdin: VirtualService shop/broken: configuration is invalid: ");
  }

  @Test
  void listItemsAreValidatedOneByOne() throws Exception {
    String list =
        "apiVersion: v1\nkind: List\nitems:\n"
            + "- apiVersion: networking.istio.io/v1\n  kind: VirtualService\n"
            + "  metadata: {name: bad}\n  spec: {hosts: [a]}\n"
            + "- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: d}\n";
    int code = run("validate", "-f", file("list.yaml", list).toString());
    assertThat(code).isEqualTo(1);
    assertThat(out.toString())
        .contains("list.yaml: VirtualService default/bad: configuration is invalid")
        .contains("list.yaml: Deployment default/d: not validated (apps/v1 is not an Istio API)");
  }

  @Test
  void documentsWithoutKindAreReportedWithTheirNumber() throws Exception {
    String text = VALID + "---\n# only a comment\n---\nmetadata: {name: x}\n";
    int code = run("validate", "-f", file("nokind.yaml", text).toString());
    assertThat(code).isEqualTo(1);
    assertThat(out.toString())
        .contains("nokind.yaml (document 4): not a Kubernetes object: apiVersion is missing");
  }

  @Test
  void yamlIsReadAsIstioctlReadsIt() throws Exception {
    // Kubernetes' YAML reads "on" as true and refuses a key set twice (istioctl reads strictly).
    String text =
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r}\n"
            + "spec:\n  hosts: [on]\n---\n"
            + "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: d}\n"
            + "spec:\n  hosts: [a]\n  hosts: [b]\n";
    int code = run("validate", "-f", file("scalars.yaml", text).toString());
    assertThat(code).isEqualTo(1);
    assertThat(out.toString())
        .contains("scalars.yaml (document 1): VirtualService default/r: error decoding");
    assertThat(err.toString())
        .contains(
            "scalars.yaml (document 2): cannot parse: line 6: key \"hosts\" already set in map");
  }

  @Test
  void anInvalidObjectExitsOneWithTheWebhooksMessage() throws Exception {
    int code =
        run(
            "validate",
            "-f",
            file("ok.yaml", VALID).toString(),
            file("bad.yaml", INVALID).toString());
    assertThat(code).isEqualTo(1);
    assertThat(out.toString())
        .contains("ok.yaml (document 1): VirtualService default/reviews: valid")
        .contains("bad.yaml: VirtualService shop/broken: configuration is invalid: ")
        .contains("spec.http[0].route[0].weight");
    assertThat(err.toString()).contains("1 of 2 objects invalid");
  }

  @Test
  void aFileThatDoesNotParseExitsOne() throws Exception {
    int code = run("validate", "-f", file("garbage.yaml", "kind: [unclosed\n  : :").toString());
    assertThat(code).isEqualTo(1);
    assertThat(err.toString()).contains("garbage.yaml: cannot parse");
    code = run("validate", "-f", tmp.resolve("missing.yaml").toString());
    assertThat(code).isEqualTo(1);
  }

  @Test
  void foldersAreWalkedAndUnknownIstioKindsAreInvalid() throws Exception {
    Files.createDirectories(tmp.resolve("mesh"));
    Files.writeString(tmp.resolve("mesh/a.yaml"), VALID);
    Files.writeString(
        tmp.resolve("mesh/b.yml"),
        "apiVersion: networking.istio.io/v1\nkind: Teleporter\nmetadata: {name: t}\n");
    Files.writeString(tmp.resolve("mesh/notes.txt"), "not config");
    int code = run("validate", "-f", tmp.resolve("mesh").toString());
    assertThat(code).isEqualTo(1);
    assertThat(out.toString())
        .contains("Teleporter default/t: unrecognized type networking.istio.io/v1, Kind=Teleporter")
        .doesNotContain("notes.txt");
  }

  @Test
  void trafficExtensionsOfApi132AreValidated() throws Exception {
    String yaml =
        """
        apiVersion: extensions.istio.io/v1alpha1
        kind: TrafficExtension
        metadata: {name: lua, namespace: shop}
        spec:
          lua: {inlineCode: "function envoy_on_request(h) end"}
        ---
        apiVersion: extensions.istio.io/v1alpha1
        kind: TrafficExtension
        metadata: {name: bad-sha, namespace: shop}
        spec:
          wasm: {url: "oci://registry/filter:1", sha256: "01ba47"}
        """;
    int code = run("validate", "-f", file("ext.yaml", yaml).toString());
    assertThat(code).isEqualTo(1);
    assertThat(out.toString())
        .contains("ext.yaml (document 1): TrafficExtension shop/lua: valid")
        .contains(
            "ext.yaml (document 2): TrafficExtension shop/bad-sha: configuration is invalid: ")
        .contains("spec.wasm.sha256");
    assertThat(err.toString()).contains("1 of 2 objects invalid");
  }
}

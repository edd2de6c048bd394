package io.jistiod.istiod.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.istiod.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
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
  void validFilesExitZeroAndNonIstioObjectsAreSkipped() throws Exception {
    int code = run("validate", "-f", file("ok.yaml", VALID).toString());
    assertThat(code).as(out + "" + err).isZero();
    assertThat(out.toString())
        .contains("ok.yaml: VirtualService default/reviews: valid")
        .contains("1 objects valid")
        .doesNotContain("not-istio");
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
        .contains("ok.yaml: VirtualService default/reviews: valid")
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
        .contains("ext.yaml: TrafficExtension shop/lua: valid")
        .contains("ext.yaml: TrafficExtension shop/bad-sha: configuration is invalid: ")
        .contains("spec.wasm.sha256");
    assertThat(err.toString()).contains("1 of 2 objects invalid");
  }
}

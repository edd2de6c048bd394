package io.jistiod.istiod.inject;

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

class KubeInjectCommandTest {
  private static final String POD =
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ns}\n"
          + "spec: {containers: [{name: app, image: nginx}]}\n";

  private record Run(int code, String out, String err) {}

  private static Run run(String stdin, String... args) {
    KubeInjectCommand command = new KubeInjectCommand();
    command.stdin = new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
    CommandLine cli = new CommandLine(command);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void injectsFromStandardInputWithABareTemplateAsTheSidecar(@TempDir Path dir) throws Exception {
    // istioctl accepts a file that is not a config with templates as the sidecar template itself.
    Files.writeString(
        dir.resolve("tmpl"),
        "spec:\n  containers:\n  - name: istio-proxy\n    image: {{ .ProxyImage }}\n");
    Files.writeString(dir.resolve("values"), "{\"global\":{\"hub\":\"h\",\"tag\":\"t\"}}");
    Run r =
        run(
            POD,
            "-f",
            "-",
            "--injectConfigFile",
            dir.resolve("tmpl").toString(),
            "--valuesFile",
            dir.resolve("values").toString());
    assertThat(r.err()).isEmpty();
    assertThat(r.code()).isZero();
    assertThat(r.out())
        .contains("  - image: h/proxyv2:t\n    name: istio-proxy\n    resources: {}\n")
        .contains(
            "sidecar.istio.io/status: '{\"initContainers\":null,\"containers\":[\"istio-proxy\"]")
        .endsWith("status: {}\n---\n");
  }

  @Test
  void writesTheOutputFileAndFailsWithAClearMessage(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("in.yaml"), POD);
    Files.writeString(dir.resolve("cfg"), "templates:\n  sidecar: '{{ .Nope'\n");
    Run bad =
        run(
            "",
            "-f",
            dir.resolve("in.yaml").toString(),
            "--injectConfigFile",
            dir.resolve("cfg").toString());
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.err())
        .startsWith("Error: template sidecar does not parse: ")
        .doesNotContain("\tat ");

    Files.writeString(dir.resolve("cfg"), "templates:\n  sidecar: 'metadata: {labels: {x: y1}}'\n");
    Run ok =
        run(
            "",
            "-f",
            dir.resolve("in.yaml").toString(),
            "-o",
            dir.resolve("out.yaml").toString(),
            "--injectConfigFile",
            dir.resolve("cfg").toString());
    assertThat(ok.code()).isZero();
    assertThat(ok.out()).isEmpty();
    assertThat(Files.readString(dir.resolve("out.yaml"))).contains("    x: y1\n");
  }

  @Test
  void aMissingFileIsNamedWithoutAJavaExceptionName(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("in.yaml"), POD);
    Run r =
        run(
            "",
            "-f",
            dir.resolve("in.yaml").toString(),
            "--injectConfigFile",
            dir.resolve("missing").toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err())
        .isEqualTo("Error: open " + dir.resolve("missing") + ": no such file or directory\n");
  }

  @Test
  void isASubcommandOfIstiod() {
    assertThat(new CommandLine(new Main()).getSubcommands()).containsKey("kube-inject");
  }
}

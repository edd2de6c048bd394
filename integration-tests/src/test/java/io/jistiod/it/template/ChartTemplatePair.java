package io.jistiod.it.template;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jistiod.injector.template.GoTemplate;
import io.jistiod.injector.template.InjectionFunctions;
import io.jistiod.injector.template.TemplateException;
import io.jistiod.it.support.GoTemplatePeer;
import io.jistiod.it.support.GoTemplatePeer.Request;
import io.jistiod.it.support.GoTemplatePeer.Result;
import io.jistiod.it.support.IstioModule;
import io.jistiod.it.support.Rig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One template of Istio 1.27's istiod chart (read from the Go module cache) and ours of the same
 * name (manifests/charts/istiod/files), each as the charts deliver it to istiod (trimmed, then one
 * newline: a YAML {@code |} block), and the two checks the template agreement tests make of them on
 * a matrix of inputs: both render as Go's text/template renders them, and ours renders what Istio's
 * does, with every branch of Istio's taken by some input.
 */
final class ChartTemplatePair {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One input: its name, the data as our engine takes it, the same data as the Go peer does. */
  record Input(String name, Object data, JsonNode goData) {}

  /** A rendering, or the reason it failed. */
  record Rendered(boolean ok, String text) {}

  private final String name;
  private final String istioText;
  private final String oursText;
  private final GoTemplate istio;
  private final GoTemplate ours;

  private ChartTemplatePair(String name, String istioText, String oursText)
      throws TemplateException {
    this.name = name;
    this.istioText = istioText;
    this.oursText = oursText;
    this.istio = GoTemplate.parse(name, istioText, InjectionFunctions.all());
    this.ours = GoTemplate.parse(name, oursText, InjectionFunctions.all());
  }

  /** The chart file {@code files/NAME.yaml} of Istio's istio-discovery chart and of ours. */
  static ChartTemplatePair load(String name) throws Exception {
    Path istioFile =
        IstioModule.dir()
            .resolve("manifests/charts/istio-control/istio-discovery/files/" + name + ".yaml");
    Path oursFile =
        Rig.MODULE.getParent().resolve("manifests/charts/istiod/files/" + name + ".yaml");
    return new ChartTemplatePair(
        name, asDelivered(Files.readString(istioFile)), asDelivered(Files.readString(oursFile)));
  }

  private static String asDelivered(String file) {
    return file.strip() + "\n";
  }

  /** Both templates, with our engine and with Go's: every disagreement (none when they agree). */
  List<String> mismatchesWithGo(List<Input> inputs) throws Exception {
    List<Request> requests = new ArrayList<>();
    for (Input in : inputs) {
      requests.add(new Request(name, istioText, false, true, in.goData()));
      requests.add(new Request(name, oursText, false, true, in.goData()));
    }
    List<Result> want = GoTemplatePeer.get().render(requests);
    List<String> mismatches = new ArrayList<>();
    for (int i = 0; i < requests.size(); i++) {
      GoTemplate t = i % 2 == 0 ? istio : ours;
      Result got;
      try {
        got = new Result(true, t.execute(inputs.get(i / 2).data()), "", "");
      } catch (TemplateException e) {
        got = new Result(false, "", "exec", e.getMessage());
      }
      if (!want.get(i).equals(got)) {
        mismatches.add(
            (i % 2 == 0 ? "istio's, " : "ours, ")
                + inputs.get(i / 2).name()
                + ":\n"
                + diff(
                    new Rendered(
                        want.get(i).ok(),
                        want.get(i).ok() ? want.get(i).output() : want.get(i).error()),
                    new Rendered(got.ok(), got.ok() ? got.output() : got.error())));
      }
    }
    return mismatches;
  }

  /**
   * Asserts that ours renders what Istio's does on every input (Istio's renderings are written to
   * {@code out}, a file per input, for reading), that some input fails, that each of {@code
   * branches} is in some rendering and missing from another, and that none holds any of {@code
   * never}.
   */
  void assertRendersAsIstios(
      List<Input> inputs, Path out, List<String> branches, List<String> never) throws IOException {
    List<String> mismatches = new ArrayList<>();
    List<Rendered> istioOut = new ArrayList<>();
    Files.createDirectories(out);
    for (Input in : inputs) {
      Rendered want = render(istio, in.data());
      Rendered got = render(ours, in.data());
      istioOut.add(want);
      Files.writeString(
          out.resolve(in.name().replaceAll("[^A-Za-z0-9.]+", "-") + ".yaml"),
          want.ok() ? want.text() : "# error: " + want.text() + "\n");
      if (!want.equals(got)) {
        mismatches.add(in.name() + ":\n" + diff(want, got));
      }
    }
    assertThat(mismatches).as(String.join("\n", mismatches)).isEmpty();

    List<String> texts = istioOut.stream().filter(Rendered::ok).map(Rendered::text).toList();
    assertThat(istioOut).filteredOn(r -> !r.ok()).isNotEmpty();
    for (String marker : branches) {
      assertThat(texts).as("some case with %s", marker).anyMatch(t -> t.contains(marker));
      assertThat(texts).as("some case without %s", marker).anyMatch(t -> !t.contains(marker));
    }
    for (String n : never) {
      assertThat(texts).as("no case with %s", n).noneMatch(t -> t.contains(n));
    }
    assertThat(texts).noneMatch(t -> t.contains("<no value>") && !t.contains("istiod-<no value>"));
  }

  private static Rendered render(GoTemplate t, Object data) {
    try {
      return new Rendered(true, t.execute(data));
    } catch (TemplateException e) {
      // The line and column differ between the two files; the action and reason must not.
      return new Rendered(false, e.getMessage().replaceFirst("^template: [^:]+:\\d+:\\d+: ", ""));
    }
  }

  private static String diff(Rendered want, Rendered got) {
    if (want.ok() != got.ok()) {
      return "  istio: "
          + (want.ok() ? "ok" : want.text())
          + "\n  ours:  "
          + (got.ok() ? "ok" : got.text());
    }
    String[] a = want.text().split("\n", -1);
    String[] b = got.text().split("\n", -1);
    for (int i = 0; i < Math.max(a.length, b.length); i++) {
      String x = i < a.length ? a[i] : "<end>";
      String y = i < b.length ? b[i] : "<end>";
      if (!x.equals(y)) {
        return "  line "
            + (i + 1)
            + "\n  istio: "
            + JSON.valueToTree(x)
            + "\n  ours:  "
            + JSON.valueToTree(y);
      }
    }
    return "  (same lines)";
  }
}

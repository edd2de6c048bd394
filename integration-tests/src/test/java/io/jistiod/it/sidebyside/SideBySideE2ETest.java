package io.jistiod.it.sidebyside;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.istiod.Istiod;
import io.jistiod.istiod.IstiodOptions;
import io.jistiod.istiod.KubernetesAccess;
import io.jistiod.it.support.Rig;
import io.jistiod.it.support.RigExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Side by side with Istio: for each golden scenario, applies the inputs to the rig, runs Istio's
 * pilot-discovery 1.27.0 and our istiod (in-process, Kubernetes mode, the same mesh config),
 * connects each scenario proxy's identity (node id, metadata, locality) to both over ADS, and
 * compares resource names per type and their essential content ({@link EssentialContent}).
 *
 * <p>Writes {@code target/compatibility.md} (match per scenario, every difference) and fails on any
 * difference not allowed, with a reason, in {@code
 * src/test/resources/sidebyside/known-differences.yaml}. Run: {@code ./mvnw -o -pl
 * integration-tests -Pe2e test -Dtest=SideBySideE2ETest} (optionally
 * -Djistiod.scenarios=bookinfo,tcp-services).
 */
@Tag("e2e")
@ExtendWith(RigExtension.class)
class SideBySideE2ETest {
  private static final Path ALLOW_LIST =
      Rig.MODULE.resolve("src/test/resources/sidebyside/known-differences.yaml");
  private static final Path REPORT = Rig.MODULE.resolve("target/compatibility.md");

  @TempDir Path tmp;

  /** Per scenario: the proxies' tallies, the differences, out-of-scope count. */
  private record ScenarioResult(
      String scenario,
      Map<String, List<Comparison.Tally>> tallies,
      List<Comparison.Difference> differences,
      int outOfScope,
      String error) {}

  @Test
  void oursMatchesTheReferenceIstiodForEveryGoldenScenario(Rig rig) throws Exception {
    KnownDifferences known = KnownDifferences.load(ALLOW_LIST);
    List<ScenarioResult> results = new ArrayList<>();
    for (GoldenScenario s : ReferenceDumpE2ETest.selected()) {
      results.add(run(rig, s));
    }
    List<String> unexpected = new ArrayList<>();
    String report = Report.write(results, known, unexpected);
    Files.createDirectories(REPORT.getParent());
    Files.writeString(REPORT, report);
    System.out.println("side-by-side report: " + REPORT);
    assertThat(unexpected)
        .as("differences from Istio 1.27.0 not in known-differences.yaml (see " + REPORT + ")")
        .isEmpty();
  }

  private ScenarioResult run(Rig rig, GoldenScenario s) {
    Map<String, List<Comparison.Tally>> tallies = new LinkedHashMap<>();
    List<Comparison.Difference> diffs = new ArrayList<>();
    int outOfScope = 0;
    try {
      s.apply(rig);
      try (ReferenceIstiod ref = ReferenceIstiod.start(s, tmp);
          Istiod ours =
              new Istiod(
                  IstiodOptions.defaults(null)
                      .withKubernetes(new KubernetesAccess(rig.kubeconfig()))
                      .withAddresses("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
                      .withMeshConfigFile(ref.meshFile()))) {
        ours.start();
        awaitReady(ours.httpPort());
        Comparison.Scope scope = new Comparison.Scope(s);
        for (GoldenScenario.Proxy p : s.proxies()) {
          AdsDumper.Snapshot r = AdsDumper.fetch(ref.grpcPort(), p.node());
          AdsDumper.Snapshot o = AdsDumper.fetch(ours.grpcPort(), p.node(), true, r);
          Comparison.Result c = Comparison.compare(s, p.name(), r, o, scope);
          tallies.put(p.name(), c.tallies());
          diffs.addAll(c.differences());
          outOfScope += c.outOfScope();
        }
      }
      return new ScenarioResult(s.name(), tallies, diffs, outOfScope, null);
    } catch (Exception e) {
      return new ScenarioResult(s.name(), tallies, diffs, outOfScope, e.toString());
    }
  }

  private static void awaitReady(int httpPort) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      try {
        HttpResponse<Void> r =
            http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/ready"))
                    .timeout(Duration.ofSeconds(2))
                    .build(),
                HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (java.io.IOException e) {
        // not yet
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("our istiod not ready after 60 s");
      }
      Thread.sleep(100);
    }
  }

  /** The markdown report. */
  static final class Report {
    private Report() {}

    static String write(
        List<ScenarioResult> results, KnownDifferences known, List<String> unexpected) {
      StringBuilder md = new StringBuilder();
      StringBuilder details = new StringBuilder();
      md.append("# Side by side with Istio 1.27.0\n\n")
          .append(
              "Generated by `SideBySideE2ETest`. Per scenario: reference resources (all proxies,")
          .append(" all types), how many of them ours sent with identical essential content,")
          .append(" and the differences (unexpected ones fail the test).\n\n")
          .append(
              "| scenario | reference resources | identical | match | differences | unexpected |\n")
          .append("| --- | ---: | ---: | ---: | ---: | ---: |\n");
      int totalRef = 0;
      int totalSame = 0;
      for (ScenarioResult r : results) {
        int ref = 0;
        int same = 0;
        for (List<Comparison.Tally> ts : r.tallies().values()) {
          for (Comparison.Tally t : ts) {
            ref += t.reference();
            same += Math.min(t.identical(), t.reference());
          }
        }
        totalRef += ref;
        totalSame += same;
        int bad = 0;
        details.append("\n## ").append(r.scenario()).append("\n\n");
        if (r.error() != null) {
          details.append("**Error:** `").append(r.error()).append("`\n\n");
          unexpected.add(r.scenario() + ": " + r.error());
          bad++;
        }
        details.append(
            "| proxy | type | reference | ours | identical |\n| --- | --- | ---: | ---: | ---: |\n");
        r.tallies()
            .forEach(
                (proxy, ts) ->
                    ts.forEach(
                        t ->
                            details
                                .append("| ")
                                .append(proxy)
                                .append(" | ")
                                .append(t.type())
                                .append(" | ")
                                .append(t.reference())
                                .append(" | ")
                                .append(t.ours())
                                .append(" | ")
                                .append(t.identical())
                                .append(" |\n")));
        if (r.outOfScope() > 0) {
          details
              .append("\nLeft out as other namespaces' on the shared rig: ")
              .append(r.outOfScope())
              .append(" resources, virtual hosts or filter chains.\n");
        }
        List<String> allowed = new ArrayList<>();
        List<String> failing = new ArrayList<>();
        for (Comparison.Difference d : r.differences()) {
          Optional<KnownDifferences.Entry> e = known.allowing(d);
          String line = d.proxy() + ": " + d.describe();
          if (e.isPresent()) {
            allowed.add(line + " (known: " + e.get().reason() + ")");
          } else {
            failing.add(line);
            unexpected.add(r.scenario() + "/" + line);
          }
        }
        bad += failing.size();
        appendList(details, "Unexpected differences", failing);
        appendList(details, "Known differences", allowed);
        md.append("| ")
            .append(r.scenario())
            .append(" | ")
            .append(ref)
            .append(" | ")
            .append(same)
            .append(" | ")
            .append(ref == 0 ? "-" : Math.round(100.0 * same / ref) + "%")
            .append(" | ")
            .append(r.differences().size())
            .append(" | ")
            .append(bad)
            .append(" |\n");
      }
      md.append("| **all** | ")
          .append(totalRef)
          .append(" | ")
          .append(totalSame)
          .append(" | ")
          .append(totalRef == 0 ? "-" : Math.round(100.0 * totalSame / totalRef) + "%")
          .append(" | | |\n");
      List<KnownDifferences.Entry> unused = known.unused();
      if (!unused.isEmpty()) {
        md.append("\nAllow-list entries that matched nothing (remove them): ");
        unused.forEach(e -> md.append(e.source()).append(" (").append(e.reason()).append(") "));
        md.append("\n");
      }
      return md.append(details).toString();
    }

    private static void appendList(StringBuilder md, String title, List<String> lines) {
      if (lines.isEmpty()) {
        return;
      }
      md.append("\n").append(title).append(" (").append(lines.size()).append("):\n\n");
      int shown = 0;
      for (String l : lines) {
        if (shown++ == 200) {
          md.append("- ... ").append(lines.size() - 200).append(" more\n");
          break;
        }
        md.append("- ").append(l).append("\n");
      }
    }
  }
}

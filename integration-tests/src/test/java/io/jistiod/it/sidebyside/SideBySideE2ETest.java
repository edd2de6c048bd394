package io.jistiod.it.sidebyside;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.istiod.Istiod;
import io.jistiod.istiod.IstiodOptions;
import io.jistiod.istiod.KubernetesAccess;
import io.jistiod.it.support.Rig;
import io.jistiod.it.support.RigExtension;
import io.jistiod.it.support.TestNamespace;
import java.io.IOException;
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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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

  /** Proxies fetched at once (each on its own ADS streams to both servers). */
  private static final int PARALLELISM = Integer.getInteger("jistiod.sidebyside.parallelism", 4);

  @TempDir Path tmp;
  // Ours runs on the istiod chart's ServiceAccount (the reference pilot-discovery on the admin
  // kubeconfig: its RBAC is not what this project proves).
  private Path istiodKubeconfig;

  /** The namespace that identity lives in: istiod's own (its Leases are there). */
  private String istiodNamespace;

  /** Per scenario: the proxies' tallies, the differences, out-of-scope count. */
  private record ScenarioResult(
      String scenario,
      Map<String, List<Comparison.Tally>> tallies,
      List<Comparison.Difference> differences,
      int outOfScope,
      String error) {}

  @Test
  void oursMatchesTheReferenceIstiodForEveryGoldenScenario(Rig rig, TestNamespace home)
      throws Exception {
    istiodKubeconfig = rig.istiodKubeconfig(home.name());
    istiodNamespace = home.name();
    KnownDifferences known = KnownDifferences.load(ALLOW_LIST);
    List<GoldenScenario> scenarios = GoldenScenario.selected();
    Map<String, ScenarioResult> results = new LinkedHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(PARALLELISM);
    try {
      long t0 = System.nanoTime();
      // Every scenario's inputs first: the servers then start on a rig that already holds them,
      // so their initial lists are the whole config and nothing changes while proxies fetch.
      Map<String, String> applyErrors = applyAll(rig, scenarios);
      long t1 = System.nanoTime();
      for (ScenarioGroups.Group g : ScenarioGroups.of(scenarios)) {
        results.putAll(runGroup(rig, g, applyErrors, pool));
      }
      System.out.printf(
          "side-by-side: %d scenarios applied in %d ms, compared in %d ms%n",
          scenarios.size(), (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000);
    } finally {
      pool.shutdownNow();
    }
    List<String> unexpected = new ArrayList<>();
    String report = Report.write(List.copyOf(results.values()), known, unexpected);
    Files.createDirectories(REPORT.getParent());
    Files.writeString(REPORT, report);
    System.out.println("side-by-side report: " + REPORT);
    assertThat(unexpected)
        .as("differences from Istio 1.27.0 not in known-differences.yaml (see " + REPORT + ")")
        .isEmpty();
  }

  /** Applies every scenario; returns the failure, if any, for each scenario. */
  private static Map<String, String> applyAll(Rig rig, List<GoldenScenario> scenarios)
      throws InterruptedException {
    try {
      GoldenScenario.applyAll(rig, scenarios);
      return Map.of();
    } catch (IOException | RuntimeException e) {
      Map<String, String> errors = new LinkedHashMap<>();
      scenarios.forEach(s -> errors.put(s.name(), "apply: " + e));
      return errors;
    }
  }

  /**
   * One reference pilot-discovery and one of ours for the group (the same MeshConfig, the group's
   * namespaces), then every proxy of every scenario of the group fetched from both concurrently.
   */
  private Map<String, ScenarioResult> runGroup(
      Rig rig, ScenarioGroups.Group g, Map<String, String> applyErrors, ExecutorService pool)
      throws IOException, InterruptedException {
    Map<String, ScenarioResult> out = new LinkedHashMap<>();
    Path mesh = tmp.resolve(g.name() + "-mesh.yaml");
    Files.writeString(mesh, g.meshYaml() == null ? "" : g.meshYaml());
    long t0 = System.nanoTime();
    // pilot-discovery starts in its own process while ours starts here
    Future<ReferenceIstiod> refStart =
        pool.submit(() -> ReferenceIstiod.start(g.name(), g.labels(), mesh, null, g.env()));
    Istiod ours = null;
    ReferenceIstiod ref = null;
    String groupError = null;
    try {
      ref = refStart.get();
      ours =
          new Istiod(
              IstiodOptions.defaults(null)
                  .withKubernetes(new KubernetesAccess(istiodKubeconfig))
                  .withAddresses("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
                  .withSecurity(
                      io.jistiod.istiod.security.SecurityOptions.disabled()
                          .withNamespace(istiodNamespace))
                  .withMeshConfigFile(ref.meshFile())
                  .withEnv(g.env()));
      ours.start();
      awaitReady(ours.httpPort());
    } catch (Exception e) {
      groupError = "starting the servers: " + e;
    }
    long t1 = System.nanoTime();
    try {
      Map<String, Map<String, Future<Comparison.Result>>> fetches = new LinkedHashMap<>();
      for (GoldenScenario s : g.scenarios()) {
        Map<String, Future<Comparison.Result>> byProxy = new LinkedHashMap<>();
        fetches.put(s.name(), byProxy);
        if (groupError != null || applyErrors.containsKey(s.name())) {
          continue;
        }
        Comparison.Scope scope = new Comparison.Scope(s, g.scenarios());
        int refPort = ref.grpcPort();
        int oursPort = ours.grpcPort();
        for (GoldenScenario.Proxy p : s.proxies()) {
          byProxy.put(
              p.name(),
              pool.submit(
                  () -> {
                    AdsDumper.Snapshot r =
                        p.listeners().isEmpty()
                            ? AdsDumper.fetch(refPort, p.node())
                            : AdsDumper.fetchByName(refPort, p.node(), p.listeners(), false, null);
                    AdsDumper.Snapshot o =
                        p.listeners().isEmpty()
                            ? AdsDumper.fetch(oursPort, p.node(), true, r)
                            : AdsDumper.fetchByName(oursPort, p.node(), p.listeners(), true, r);
                    return Comparison.compare(s, p.name(), r, o, scope);
                  }));
        }
      }
      for (GoldenScenario s : g.scenarios()) {
        Map<String, List<Comparison.Tally>> tallies = new LinkedHashMap<>();
        List<Comparison.Difference> diffs = new ArrayList<>();
        int outOfScope = 0;
        List<String> errors = new ArrayList<>();
        if (groupError != null) {
          errors.add(groupError);
        }
        if (applyErrors.containsKey(s.name())) {
          errors.add(applyErrors.get(s.name()));
        }
        for (Map.Entry<String, Future<Comparison.Result>> f : fetches.get(s.name()).entrySet()) {
          try {
            Comparison.Result c = f.getValue().get();
            tallies.put(f.getKey(), c.tallies());
            diffs.addAll(c.differences());
            outOfScope += c.outOfScope();
          } catch (ExecutionException e) {
            errors.add(f.getKey() + ": " + e.getCause());
          }
        }
        out.put(
            s.name(),
            new ScenarioResult(
                s.name(),
                tallies,
                diffs,
                outOfScope,
                errors.isEmpty() ? null : String.join("; ", errors)));
      }
    } finally {
      if (ours != null) {
        ours.close();
      }
      if (ref != null) {
        ref.close();
      }
    }
    System.out.printf(
        "side-by-side %s (%s): servers up in %d ms, %d proxies compared in %d ms%n",
        g.name(),
        String.join(",", g.labels()),
        (t1 - t0) / 1_000_000,
        g.scenarios().stream().mapToInt(s -> s.proxies().size()).sum(),
        (System.nanoTime() - t1) / 1_000_000);
    return out;
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
              "Per type: identical (identical or differing only by known differences) / reference"
                  + " resources.\n\n")
          .append(
              "| scenario | lds | rds | cds | eds | reference resources | identical | match |"
                  + " identical or only known differences | differences | unexpected |\n")
          .append(
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
      int totalRef = 0;
      int totalSame = 0;
      int totalSameOrKnown = 0;
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
        Map<String, int[]> perType = new LinkedHashMap<>();
        for (String type : List.of("lds", "rds", "cds", "eds")) {
          perType.put(type, new int[3]);
        }
        for (List<Comparison.Tally> ts : r.tallies().values()) {
          for (Comparison.Tally t : ts) {
            int[] c = perType.computeIfAbsent(t.type(), k -> new int[3]);
            c[0] += Math.min(t.identical(), t.reference());
            c[1] += t.reference();
          }
        }
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
              .append("\nLeft out as the other scenarios' of its group (same servers): ")
              .append(r.outOfScope())
              .append(" resources, virtual hosts or filter chains.\n");
        }
        List<String> allowed = new ArrayList<>();
        List<String> failing = new ArrayList<>();
        // resources both sides have whose every difference is a known one, per type
        Map<String, Boolean> onlyKnown = new LinkedHashMap<>();
        for (Comparison.Difference d : r.differences()) {
          Optional<KnownDifferences.Entry> e = known.allowing(d);
          if (d.kind().equals("changed")) {
            onlyKnown.merge(
                d.type() + "\t" + d.proxy() + "\t" + d.resource(),
                e.isPresent(),
                Boolean::logicalAnd);
          }
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
        onlyKnown.forEach(
            (k, ok) -> {
              if (ok) {
                perType.computeIfAbsent(k.substring(0, k.indexOf('\t')), t -> new int[3])[2]++;
              }
            });
        totalSameOrKnown += same + perType.values().stream().mapToInt(c -> c[2]).sum();
        md.append("| ").append(r.scenario()).append(" | ");
        perType
            .values()
            .forEach(
                c ->
                    md.append(c[0])
                        .append(" (")
                        .append(c[0] + c[2])
                        .append(") / ")
                        .append(c[1])
                        .append(" | "));
        md.append(ref)
            .append(" | ")
            .append(same)
            .append(" | ")
            .append(ref == 0 ? "-" : Math.round(100.0 * same / ref) + "%")
            .append(" | ")
            .append(same + perType.values().stream().mapToInt(c -> c[2]).sum())
            .append(" | ")
            .append(r.differences().size())
            .append(" | ")
            .append(bad)
            .append(" |\n");
      }
      md.append("| **all** | | | | | ")
          .append(totalRef)
          .append(" | ")
          .append(totalSame)
          .append(" | ")
          .append(totalRef == 0 ? "-" : Math.round(100.0 * totalSame / totalRef) + "%")
          .append(" | ")
          .append(totalSameOrKnown)
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

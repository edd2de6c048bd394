package io.jistiod.it.sidebyside;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import io.jistiod.it.support.Rig;
import io.jistiod.it.support.RigExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dumps what Istio's pilot-discovery 1.27.0 sends each golden scenario's proxies, for the people
 * writing and reviewing our Envoy generators: {@code
 * /tmp/jistiod-reference/<scenario>/<proxy>.{lds,rds,cds,eds}.json} (override with
 * -Djistiod.reference.dir), JSON arrays sorted by resource name. Not committed anywhere: it is
 * Istio's output.
 *
 * <p>A tool, not a test: its name matches neither surefire's default includes nor the e2e suite's
 * {@code -Dtest='*E2ETest'}, so CI never runs it. Each scenario gets a reference of its own (the
 * golden files are per scenario, so nothing of another scenario may leak into the dumps). Run it
 * with {@code ./mvnw -o -pl integration-tests -am -Pe2e test -Dtest=ReferenceDumpTool
 * -Dsurefire.failIfNoSpecifiedTests=false} (optionally -Djistiod.scenarios=bookinfo,canary-weight).
 */
@Tag("e2e")
@ExtendWith(RigExtension.class)
class ReferenceDumpTool {
  @TempDir Path tmp;

  @Test
  void dumpReferenceConfigForEveryScenario(Rig rig) throws Exception {
    Path root = Path.of(System.getProperty("jistiod.reference.dir", "/tmp/jistiod-reference"));
    List<String> problems = new ArrayList<>();
    for (GoldenScenario s : GoldenScenario.selected()) {
      s.apply(rig);
      try (ReferenceIstiod ref = ReferenceIstiod.start(s, tmp)) {
        Path dir = Files.createDirectories(root.resolve(s.name()));
        for (GoldenScenario.Proxy p : s.proxies()) {
          try {
            AdsDumper.Snapshot snap = AdsDumper.fetch(ref.grpcPort(), p.node());
            for (Map.Entry<String, String> t : AdsDumper.SUFFIX.entrySet()) {
              SortedMap<String, Any> res = snap.of(t.getKey());
              Files.writeString(
                  dir.resolve(p.name() + "." + t.getValue() + ".json"),
                  ProtoJson.pretty(ProtoJson.toJson(res.values())));
            }
            System.out.printf(
                "%s/%s: %d listeners, %d routes, %d clusters, %d endpoints%n",
                s.name(),
                p.name(),
                snap.of(AdsDumper.LDS).size(),
                snap.of(AdsDumper.RDS).size(),
                snap.of(AdsDumper.CDS).size(),
                snap.of(AdsDumper.EDS).size());
          } catch (Exception e) {
            problems.add(s.name() + "/" + p.name() + ": " + e);
          }
        }
      }
    }
    assertThat(problems).isEmpty();
  }
}

package io.jistiod.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jistiod.it.kubeinject.InjectCase;
import io.jistiod.it.kubeinject.InjectCorpus;
import io.jistiod.it.kubeinject.InjectedObjects;
import io.jistiod.it.kubeinject.InjectorConfigs;
import io.jistiod.it.kubeinject.KnownInjectDifferences;
import io.jistiod.it.kubeinject.KubeInjectCommand;
import io.jistiod.it.support.Helm;
import io.jistiod.it.support.IstioModule;
import io.jistiod.it.support.Peers;
import io.jistiod.it.support.Rig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Injection side by side with Istio 1.27's own {@code istioctl kube-inject} on a corpus of pods,
 * workloads and annotations ({@link InjectCorpus}: Istio's injection test inputs and
 * inject-corpus/). Each input runs in up to three columns, all with the mesh of Istio's chart:
 *
 * <ul>
 *   <li>reference: istioctl with the injector ConfigMap Istio's istio-discovery chart renders
 *       ({@code config} with Istio's templates, {@code values});
 *   <li>ours-templates: the same istioctl with the ConfigMap our istiod chart renders (our
 *       templates and values), which proves the templates and values equal in output;
 *   <li>istiod: jistiod's own {@code istiod kube-inject} with our ConfigMap (templates, values and
 *       the whole pipeline: engine, merge, post-processing, printing).
 * </ul>
 *
 * A column agrees when it ends the same way (success or failure) and prints the same objects
 * ({@link InjectedObjects}); the ours-templates column must also print the same messages (it is the
 * same program). Accepted differences are in inject-corpus/known-differences.yaml with a reason
 * each. The injector ConfigMaps themselves must parse the same, templates' text aside.
 *
 * <p>Tagged e2e: it needs helm and istioctl from the project's build scripts, but no rig.
 */
@Tag("e2e")
class KubeInjectSideBySideE2ETest {
  /**
   * The third column, jistiod's {@code istiod kube-inject}; off with
   * -Djistiod.kubeinject.istiod=false.
   */
  static final boolean ISTIOD_COLUMN =
      Boolean.parseBoolean(System.getProperty("jistiod.kubeinject.istiod", "true"));

  /** Runs only the cases whose name matches this glob (e.g. {@code ours/pod-*}), when set. */
  static final String ONLY = System.getProperty("jistiod.kubeinject.only", "");

  static final String OURS_TEMPLATES = "ours-templates";
  static final String ISTIOD = "istiod";
  static final Path CORPUS = Rig.MODULE.resolve("src/test/resources/inject-corpus");
  static final Path ISTIOCTL =
      Path.of(
          System.getenv()
              .getOrDefault("JISTIOD_CACHE", System.getProperty("user.home") + "/.cache/jistiod"),
          "istio-1.27.0",
          "istioctl");

  @TempDir static Path work;

  static List<InjectCase> corpus;
  static InjectorConfigs configs;
  static KubeInjectCommand istioctl;
  static KnownInjectDifferences known;
  static final Map<String, AtomicInteger> tally = new ConcurrentHashMap<>();

  @BeforeAll
  static void setUp() throws Exception {
    Peers.require(ISTIOCTL, "Istio's istioctl 1.27.0", "build-istio.sh");
    Path istio = IstioModule.dir();
    corpus = InjectCorpus.load(istio.resolve("pkg/kube/inject/testdata/inject"), CORPUS);
    if (!ONLY.isEmpty()) {
      var only = KnownInjectDifferences.glob(ONLY);
      corpus = corpus.stream().filter(c -> only.matcher(c.name()).matches()).toList();
    }
    configs =
        new InjectorConfigs(
            Helm.require(),
            istio.resolve("manifests/charts/istio-control/istio-discovery"),
            Helm.CHARTS.resolve("istiod"),
            work);
    istioctl = KubeInjectCommand.istioctl(ISTIOCTL);
    known = KnownInjectDifferences.load(CORPUS.resolve("known-differences.yaml"));
  }

  static List<String> columns() {
    return ISTIOD_COLUMN ? List.of(OURS_TEMPLATES, ISTIOD) : List.of(OURS_TEMPLATES);
  }

  /** Our chart's injector ConfigMap parses as Istio's for every chart setting of the corpus. */
  @TestFactory
  Stream<DynamicTest> theInjectorConfigMapParsesAsIstios() {
    Map<String, InjectCase.Settings> settings = new LinkedHashMap<>();
    corpus.forEach(c -> settings.putIfAbsent(c.settings().chartKey(), c.settings()));
    ObjectMapper json = new ObjectMapper();
    return settings.entrySet().stream()
        .map(
            e ->
                DynamicTest.dynamicTest(
                    "injector ConfigMap with " + e.getKey(),
                    () -> {
                      InjectorConfigs.Rendered r = configs.render(e.getValue());
                      JsonNode refValues =
                          withoutNulls(json.readTree(r.reference().values().toFile()));
                      JsonNode ourValues = withoutNulls(json.readTree(r.ours().values().toFile()));
                      assertThat(
                              InjectedObjects.differences(
                                  List.of(refValues), List.of(ourValues), 20))
                          .as("values")
                          .isEmpty();
                      assertThat(
                              InjectedObjects.differences(
                                  List.of(
                                      InjectorConfigs.configWithoutTemplateText(
                                          r.reference().config())),
                                  List.of(
                                      InjectorConfigs.configWithoutTemplateText(r.ours().config())),
                                  20))
                          .as("config (templates' text aside)")
                          .isEmpty();
                    }));
  }

  @TestFactory
  Stream<DynamicTest> kubeInjectAgreesWithIstioctl() {
    return corpus.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> compare(c)));
  }

  private void compare(InjectCase c) throws Exception {
    InjectorConfigs.Rendered r = configs.render(c.settings());
    Path mesh = r.reference().mesh();
    Path dir = Files.createDirectories(work.resolve("runs"));
    KubeInjectCommand.Output reference =
        istioctl.run(
            c.input(),
            r.reference().config(),
            r.reference().values(),
            mesh,
            c.settings().env(),
            dir);
    tally.computeIfAbsent("cases", k -> new AtomicInteger()).incrementAndGet();
    List<String> failures = new ArrayList<>();
    for (String column : columns()) {
      KubeInjectCommand command = column.equals(ISTIOD) ? KubeInjectCommand.istiod() : istioctl;
      KubeInjectCommand.Output ours =
          command.run(
              c.input(), r.ours().config(), r.ours().values(), mesh, c.settings().env(), dir);
      List<String> diff = disagreement(reference, ours, column.equals(OURS_TEMPLATES), r);
      if (diff.isEmpty()) {
        tally.computeIfAbsent(column + " equal", k -> new AtomicInteger()).incrementAndGet();
      } else if (diff.stream().allMatch(d -> known.accept(column, c.name(), d).isPresent())) {
        tally.computeIfAbsent(column + " known", k -> new AtomicInteger()).incrementAndGet();
      } else {
        tally.computeIfAbsent(column + " different", k -> new AtomicInteger()).incrementAndGet();
        List<String> shown = diff.subList(0, Math.min(diff.size(), 40));
        failures.add(
            column
                + " differs from the reference ("
                + diff.size()
                + " differences):\n  "
                + String.join("\n  ", shown));
      }
    }
    assertThat(failures).as(c.name()).isEmpty();
  }

  /** How {@code ours} disagrees with {@code reference}; empty when it agrees. */
  static List<String> disagreement(
      KubeInjectCommand.Output reference,
      KubeInjectCommand.Output ours,
      boolean sameProgram,
      InjectorConfigs.Rendered r)
      throws Exception {
    List<String> out = new ArrayList<>();
    if ((reference.exitCode() == 0) != (ours.exitCode() == 0)) {
      out.add(
          "exit code: reference "
              + reference.exitCode()
              + " ("
              + reference.stderr().strip()
              + "), ours "
              + ours.exitCode()
              + " ("
              + ours.stderr().strip()
              + ")");
      return out;
    }
    out.addAll(
        InjectedObjects.differences(
            InjectedObjects.parse(reference.stdout()),
            InjectedObjects.parse(ours.stdout()),
            Integer.MAX_VALUE));
    if (sameProgram) {
      String refErr = messages(reference.stderr(), r.reference().config().getParent());
      String ourErr = messages(ours.stderr(), r.ours().config().getParent());
      if (!refErr.equals(ourErr)) {
        out.add("messages: reference [" + refErr.strip() + "], ours [" + ourErr.strip() + "]");
      }
    }
    return out;
  }

  /**
   * kube-inject's messages without log timestamps, with the settings folder as DIR, and with the
   * template names istioctl lists for an unknown template sorted (it prints them in Go's random map
   * order).
   */
  static String messages(String stderr, Path settingsDir) {
    String s =
        stderr
            .replaceAll("(?m)^\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z\\t", "")
            .replace(settingsDir.toString(), "DIR")
            // Where a template failed is ours by design (our templates are other text).
            .replaceAll(
                "template: (\\w+):\\d+:\\d+: executing \"[^\"]*\" at <.*?>: ",
                "template: $1:(position): ");
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("; have ([^\\n]*)").matcher(s);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      List<String> names = new ArrayList<>(List.of(m.group(1).split(", ")));
      java.util.Collections.sort(names);
      m.appendReplacement(
          out, java.util.regex.Matcher.quoteReplacement("; have " + String.join(", ", names)));
    }
    return m.appendTail(out).toString();
  }

  /**
   * The values with null entries dropped. Istio's chart layers user values over defaults kept apart
   * (zzz_profile.yaml), so a user's {@code null} stays in its values as null; helm's own merge,
   * which our chart uses, removes the key. Templates see nil either way.
   */
  static JsonNode withoutNulls(JsonNode n) {
    if (n instanceof com.fasterxml.jackson.databind.node.ObjectNode o) {
      List<String> nulls = new ArrayList<>();
      o.fields()
          .forEachRemaining(
              e -> {
                if (e.getValue().isNull()) {
                  nulls.add(e.getKey());
                } else {
                  withoutNulls(e.getValue());
                }
              });
      o.remove(nulls);
    } else if (n.isArray()) {
      n.forEach(KubeInjectSideBySideE2ETest::withoutNulls);
    }
    return n;
  }

  @AfterAll
  static void figuresAndStaleEntries() {
    System.out.println(
        "kube-inject side by side: "
            + (corpus == null ? 0 : corpus.size())
            + " runs in the corpus; "
            + new java.util.TreeMap<>(tally));
    if (known != null && ONLY.isEmpty()) {
      assertThat(known.unused(columns()))
          .as("known-differences.yaml entries that match no difference (stale)")
          .isEmpty();
    }
  }
}

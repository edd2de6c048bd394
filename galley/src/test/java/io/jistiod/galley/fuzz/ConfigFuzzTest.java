package io.jistiod.galley.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jistiod.galley.analysis.Analysis;
import io.jistiod.galley.analysis.AnalysisContext;
import io.jistiod.galley.analysis.Analyzer;
import io.jistiod.galley.analysis.ConfigView;
import io.jistiod.galley.analysis.MeshView;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.ConfigKind;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.config.MemoryConfigStore;
import io.jistiod.galley.parse.ConfigError;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.galley.parse.ParseResult;
import io.jistiod.galley.validation.ConfigValidator;
import io.jistiod.galley.validation.NetworkingValidators;
import io.jistiod.galley.validation.ValidationMessage;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Parse, validate and analyze never fail on arbitrary input (VAL-05): whatever the bytes, {@link
 * ConfigParser} returns configs and {@code ConfigError}s, the validators return findings, the
 * analyzers return messages; nothing throws, and every parse error gives a reason.
 *
 * <p>The first byte picks the shape of the rest (UTF-8 text): below 0x80, the spec of kind {@code
 * IstioKinds.ALL[b % kinds]} (the text is indented under {@code spec:} of an object of that kind,
 * so every kind's converter and rules are reached); from 0x80, whole documents as a config folder
 * or {@code kubectl apply} would hold them.
 *
 * <p>In a normal build ({@code mvn verify}) this is a regression test: Jazzer runs it once per file
 * of {@code src/test/resources/io/jistiod/galley/fuzz/ConfigFuzzTestInputs/parseValidateAnalyze/}
 * (the seed corpus and every crash found so far) and on an empty input; there is no fuzzing. To
 * fuzz: {@code JAZZER_FUZZ=1 ./mvnw -o -pl galley test -Dtest=ConfigFuzzTest} (stops after {@code
 * maxDuration}); a crash is written to that folder, to be committed with its fix. CI ({@code
 * .ci/run}) fuzzes this way for the bounded 60 s after the build; raise maxDuration locally for
 * longer sessions.
 */
class ConfigFuzzTest {
  private static final List<ConfigKind> KINDS = IstioKinds.ALL;
  private static final ConfigParser PARSER = new ConfigParser(KINDS, "default");
  private static final ConfigValidator VALIDATOR = NetworkingValidators.forKinds();
  private static final List<Analyzer> ANALYZERS = Analysis.all();

  /** A mesh where everything exists, so analyzers go all the way through their checks. */
  private static final MeshView MESH =
      new MeshView() {
        @Override
        public Collection<String> serviceHosts() {
          return List.of("reviews.default.svc.cluster.local", "*.example.com");
        }

        @Override
        public List<Map<String, String>> workloadLabels(String namespace) {
          return List.of(Map.of("app", "reviews", "version", "v1"));
        }

        @Override
        public boolean hasSynced() {
          return true;
        }
      };

  @FuzzTest(maxDuration = "60s")
  void parseValidateAnalyze(byte[] input) {
    if (input.length == 0) {
      return;
    }
    int selector = input[0] & 0xff;
    String text = new String(input, 1, input.length - 1, StandardCharsets.UTF_8);
    String documents =
        selector < 0x80 ? wrapAsSpec(KINDS.get(selector % KINDS.size()), text) : text;

    ParseResult parsed = PARSER.parse(documents, "fuzz");
    Objects.requireNonNull(parsed.configs(), "configs");
    for (ConfigError error : parsed.errors()) {
      // Every refusal says why: no empty reason, no bare "null" from an exception without one.
      String message = error.message();
      if (message == null
          || message.isBlank()
          || message.equals("null")
          || message.endsWith(": null")) {
        throw new AssertionError("error without a reason: " + error);
      }
    }
    MemoryConfigStore store = new MemoryConfigStore();
    parsed.configs().forEach(store::put);
    for (Config config : parsed.configs()) {
      for (ValidationMessage m : VALIDATOR.validate(config)) {
        Objects.requireNonNull(m.field(), "field");
        Objects.requireNonNull(m.message(), "message");
      }
      AnalysisContext context =
          new AnalysisContext(
              ConfigView.of(store).with(config), Optional.of(MESH), "cluster.local", "default");
      for (Analyzer analyzer : ANALYZERS) {
        analyzer.analyze(config, context).forEach(Object::toString);
      }
    }
  }

  static String wrapAsSpec(ConfigKind kind, String spec) {
    return "apiVersion: "
        + kind.group()
        + "/"
        + kind.versions().get(0)
        + "\nkind: "
        + kind.kind()
        + "\nmetadata: {name: fuzz, namespace: default}\nspec:\n"
        + spec.indent(2);
  }
}

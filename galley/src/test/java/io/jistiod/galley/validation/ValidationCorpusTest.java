package io.jistiod.galley.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.ConfigKind;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.galley.parse.ParseResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The validation corpus: {@code src/test/resources/validation/<kind>/*.yaml}, one small object per
 * YAML document, each carrying its expected verdict in the annotation {@value #EXPECT}. The
 * annotation holds one expectation per line:
 *
 * <ul>
 *   <li>{@code valid}: no errors, and no warnings unless listed;
 *   <li>{@code error: <field>: <text>}: an error at exactly that field whose message contains the
 *       text (other errors may be reported too);
 *   <li>{@code warning: <field>: <text>}: likewise for a warning.
 * </ul>
 *
 * An object with no expected error must produce no error at all.
 */
class ValidationCorpusTest {
  static final String EXPECT = "test.jistiod.io/expect";

  private static final ConfigValidator VALIDATOR = Validators.forKinds();

  /** One corpus case: where it comes from and the parsed object. */
  record Case(String kind, String file, Config config) {
    String name() {
      return kind + "/" + file + ": " + config.name();
    }
  }

  static Path corpusRoot() {
    try {
      return Path.of(ValidationCorpusTest.class.getResource("/validation").toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Every case of the corpus, parsed; a document that does not parse fails loading. */
  static List<Case> load() {
    ConfigParser parser = new ConfigParser(IstioKinds.ALL, "default");
    List<Case> cases = new ArrayList<>();
    try (Stream<Path> files = Files.walk(corpusRoot())) {
      for (Path file : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        String kindDir = file.getParent().getFileName().toString();
        ParseResult result = parser.parse(Files.readString(file), file.getFileName().toString());
        assertThat(result.errors()).as("parse errors in %s", file).isEmpty();
        for (Config c : result.configs()) {
          assertThat(c.meta().kind().kind().toLowerCase(Locale.ROOT))
              .as("%s: %s belongs in its kind's folder", file, c.name())
              .isEqualTo(kindDir);
          cases.add(new Case(kindDir, file.getFileName().toString(), c));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return cases;
  }

  record Expectation(ValidationMessage.Severity severity, String field, String text) {
    boolean matches(ValidationMessage m) {
      return m.severity() == severity && m.field().equals(field) && m.message().contains(text);
    }

    @Override
    public String toString() {
      return severity.name().toLowerCase(Locale.ROOT) + ": " + field + ": " + text;
    }
  }

  static List<Expectation> expectations(Case c) {
    String spec = c.config().meta().annotations().get(EXPECT);
    if (spec == null || spec.isBlank()) {
      fail(c.name() + ": missing annotation " + EXPECT);
    }
    List<Expectation> out = new ArrayList<>();
    for (String line : spec.strip().split("\n")) {
      line = line.strip();
      if (line.equals("valid")) {
        continue;
      }
      ValidationMessage.Severity severity;
      String rest;
      if (line.startsWith("error: ")) {
        severity = ValidationMessage.Severity.ERROR;
        rest = line.substring("error: ".length());
      } else if (line.startsWith("warning: ")) {
        severity = ValidationMessage.Severity.WARNING;
        rest = line.substring("warning: ".length());
      } else {
        throw new AssertionError(c.name() + ": bad expectation line \"" + line + "\"");
      }
      int sep = rest.indexOf(": ");
      if (sep < 0) {
        throw new AssertionError(c.name() + ": expectation needs \"<field>: <text>\": " + line);
      }
      out.add(new Expectation(severity, rest.substring(0, sep), rest.substring(sep + 2)));
    }
    return out;
  }

  static void check(Case c) {
    List<Expectation> expected = expectations(c);
    List<ValidationMessage> actual = VALIDATOR.validate(c.config());
    for (Expectation e : expected) {
      if (actual.stream().noneMatch(e::matches)) {
        fail(c.name() + ": expected " + e + "\n  but got: " + actual);
      }
    }
    boolean errorExpected =
        expected.stream().anyMatch(e -> e.severity() == ValidationMessage.Severity.ERROR);
    if (!errorExpected) {
      List<ValidationMessage> unexpected =
          actual.stream()
              .filter(m -> m.isError() || expected.stream().noneMatch(e -> e.matches(m)))
              .toList();
      if (!unexpected.isEmpty()) {
        fail(c.name() + ": expected " + expected + "\n  but also got: " + unexpected);
      }
    }
  }

  @TestFactory
  Stream<DynamicTest> corpus() {
    return load().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c)));
  }

  @Test
  void corpusCoversEveryKindWithAtLeast300Cases() {
    List<Case> cases = load();
    Map<String, int[]> perKind = new TreeMap<>();
    for (Case c : cases) {
      boolean valid =
          expectations(c).stream().noneMatch(e -> e.severity() == ValidationMessage.Severity.ERROR);
      int[] counts = perKind.computeIfAbsent(c.kind(), k -> new int[2]);
      counts[valid ? 0 : 1]++;
    }
    for (ConfigKind k : IstioKinds.ALL) {
      int[] counts = perKind.get(k.kind().toLowerCase(Locale.ROOT));
      assertThat(counts).as("corpus cases for %s", k.kind()).isNotNull();
      assertThat(counts[0]).as("valid cases for %s", k.kind()).isPositive();
      assertThat(counts[1]).as("invalid cases for %s", k.kind()).isPositive();
    }
    assertThat(cases).hasSizeGreaterThanOrEqualTo(300);
    StringBuilder summary = new StringBuilder("validation corpus: " + cases.size() + " cases\n");
    perKind.forEach(
        (k, v) -> summary.append(String.format("  %-22s %3d valid %3d invalid%n", k, v[0], v[1])));
    System.out.print(summary);
  }

  /** Case names are unique, so a failure points at exactly one document. */
  @Test
  void caseNamesAreUnique() {
    Map<String, Integer> seen = new TreeMap<>();
    for (Case c : load()) {
      seen.merge(c.kind() + "/" + c.config().name(), 1, Integer::sum);
    }
    assertThat(seen).allSatisfy((name, n) -> assertThat(n).as(name).isEqualTo(1));
  }
}

package io.jistiod.it.regex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jistiod.galley.validation.GoUnicodeClasses;
import io.jistiod.galley.validation.Regexes;
import io.jistiod.it.support.GoRegex;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Our regex verdicts equal Go's, message included, for every regex of {@code goregex/corpus.jsonl}
 * (nested repeats, size and depth limits, classes, flags, escapes, \Q..\E, Unicode classes, invalid
 * syntax, real-world patterns): Istio's validator is Go's {@code regexp.Compile} behind a 1024-byte
 * cap, so this is Istio's verdict. Go's answer comes from the goregex peer, built with Istio 1.27's
 * Go release.
 */
class GoRegexAgreementTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static GoRegex go;

  @BeforeAll
  static void build() {
    go = GoRegex.get();
  }

  @Test
  void peerIsIstio127sGoRelease() {
    assertTrue(go.goVersion().startsWith("go1.24."), go.goVersion());
  }

  @Test
  void everyCorpusRegexGetsGosVerdictAndMessage() throws IOException {
    List<String> corpus = corpus();
    assertTrue(corpus.size() >= 500, "corpus has " + corpus.size() + " regexes");
    List<String> disagreements = new ArrayList<>();
    for (GoRegex.Verdict v : go.compile(corpus)) {
      String ours = Regexes.goError(v.regex());
      if (!java.util.Objects.equals(ours, v.error())) {
        disagreements.add(
            JSON.writeValueAsString(abbreviate(v.regex()))
                + "\n    go:   "
                + v.error()
                + "\n    ours: "
                + ours);
      }
    }
    assertEquals(
        List.of(),
        disagreements,
        disagreements.size()
            + " of "
            + corpus.size()
            + " disagree:\n"
            + String.join("\n", disagreements));
  }

  @Test
  void istioWordingWrapsGosMessageBehindTheLengthCap() throws IOException {
    for (GoRegex.Verdict v : go.compile(corpus())) {
      String istio = Regexes.problem(v.regex());
      if (v.regex().getBytes(StandardCharsets.UTF_8).length > 1024) {
        assertEquals("regex is too large, max length allowed is 1024", istio);
      } else if (v.error() == null) {
        assertEquals(null, istio, v.regex());
      } else {
        assertEquals(
            v.error()
                + "; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)",
            istio);
      }
    }
  }

  @Test
  void unicodeClassNamesAreGos() {
    assertEquals(new TreeSet<>(go.unicodeNames()), new TreeSet<>(GoUnicodeClasses.names()));
  }

  private static String abbreviate(String re) {
    return re.length() <= 120 ? re : re.substring(0, 100) + "...(" + re.length() + " chars)";
  }

  static List<String> corpus() throws IOException {
    List<String> out = new ArrayList<>();
    try (InputStream in = GoRegexAgreementTest.class.getResourceAsStream("/goregex/corpus.jsonl");
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (!line.isBlank()) {
          out.add(JSON.readValue(line, String.class));
        }
      }
    }
    return out;
  }
}

package io.jistiod.galley.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Go's verdicts (as printed by Go 1.24's regexp.Compile) for representative regexes; the full
 * agreement over hundreds of regexes is GoRegexAgreementTest in integration-tests, against Go.
 */
class GoRegexSyntaxTest {

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      textBlock =
          """
          ((a{1000}){1000}){1000}   | invalid repeat count: `{1000}`
          (?:(?:xxxx){1000}){1000}  | expression too large: `(?:(?:xxxx){1000}){1000}`
          a{1001}                   | invalid repeat count: `{1001}`
          (a{2}){501}               | invalid repeat count: `{501}`
          \\p{greek}                | invalid character class range: `\\p{greek}`
          [z-a]                     | invalid character class range: `z-a`
          a**                       | invalid nested repetition operator: `**`
          x{2}{3}                   | invalid nested repetition operator: `{2}{3}`
          \\8                       | invalid escape sequence: `\\8`
          (a                        | missing closing ): `(a`
          a)                        | unexpected ): `a)`
          [a                        | missing closing ]: `[a`
          a\\                       | trailing backslash at end of expression: ``
          *a                        | missing argument to repetition operator: `*`
          (?=a)                     | invalid or unsupported Perl syntax: `(?=`
          (?P<a-b>x)                | invalid named capture: `(?P<a-b>`
          [[:foo:]]                 | invalid character class range: `[:foo:]`
          \\x{110000}               | invalid escape sequence: `\\x{110000`
          """)
  void goRejects(String re, String message) {
    String regex = re.replace("\\\\", "\\");
    assertEquals(
        "error parsing regexp: " + message.replace("\\\\", "\\"), GoRegexSyntax.check(regex));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "^/api/v[0-9]+/.*$",
        "(?P<n>a)(?P<n>b)",
        "(?i)abc",
        "(a{1000}){1}",
        "((a{10}){10}){10}",
        "\\p{Greek}\\pL\\PN",
        "\\Qa.b*\\E{1000}",
        "[]a]",
        "a{,5}",
        "(?:xxx){1000}",
        "^*"
      })
  void goAccepts(String re) {
    assertNull(GoRegexSyntax.check(re));
  }

  @Test
  void theAttackFromIssue11IsRejectedAtOnceWithoutCompiling() {
    // 17 s and an OutOfMemoryError with a compiling check; here one linear pass.
    String attack = "((a{1000}){1000}){1000}";
    assertEquals(
        "error parsing regexp: invalid repeat count: `{1000}`; Istio uses RE2 style regex-based"
            + " match (https://github.com/google/re2/wiki/Syntax)",
        Regexes.problem(attack));
  }

  @Test
  void nestingDeeperThan1000IsRejectedAsGoDoes() {
    String deep = "(".repeat(1001) + "a" + ")".repeat(1001);
    assertEquals(
        "error parsing regexp: expression nests too deeply: `" + deep + "`",
        GoRegexSyntax.check(deep));
    String ok = "(".repeat(999) + "a" + ")".repeat(999);
    assertNull(GoRegexSyntax.check(ok));
  }

  @Test
  void lengthCapCountsUtf8BytesAsGoDoes() {
    String twoByteChars = "é".repeat(513); // 513 chars, 1026 bytes
    assertEquals("regex is too large, max length allowed is 1024", Regexes.problem(twoByteChars));
    assertNull(Regexes.problem("é".repeat(512)));
  }

  @Test
  void hugeInputsStayLinear() {
    // A megabyte of nested groups and repeats: rejected (or accepted) in one pass, no tree kept.
    String big = "(?:a{2}|b*)".repeat(100_000);
    assertTrue(GoRegexSyntax.check(big) == null || GoRegexSyntax.check(big).startsWith("error"));
    String deep = "(".repeat(200_000) + ")".repeat(200_000);
    String verdict = GoRegexSyntax.check(deep);
    assertTrue(
        verdict.startsWith("error parsing regexp: expression nests too deeply: `((("),
        verdict.substring(0, 80));
  }
}

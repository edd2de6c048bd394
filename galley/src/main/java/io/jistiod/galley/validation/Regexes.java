package io.jistiod.galley.validation;

import java.nio.charset.StandardCharsets;

/**
 * Regexes as Istio's validator judges them: at most 1024 bytes, then whatever Go's {@code
 * regexp.Compile} says (Envoy evaluates them with RE2, whose syntax Go's follows). The Go verdict
 * comes from {@link GoRegexSyntax}, which checks the syntax and Go's limits in one linear pass and
 * compiles nothing, so no regex can make validation slow or large.
 */
public final class Regexes {
  /** Istio's cap, in bytes (Go's {@code len}): it stands in for Envoy's program-size limit. */
  static final int MAX_LENGTH = 1024;

  private static final String RE2_HINT =
      "; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)";

  private Regexes() {}

  /** Why {@code re} is not an acceptable regex (Istio's words around Go's), or null. */
  public static String problem(String re) {
    if (tooLong(re)) {
      return "regex is too large, max length allowed is " + MAX_LENGTH;
    }
    String go = GoRegexSyntax.check(re);
    return go == null ? null : go + RE2_HINT;
  }

  /** Go's {@code regexp.Compile} error text for {@code re}, or null; no length cap. */
  public static String goError(String re) {
    return GoRegexSyntax.check(re);
  }

  public static boolean tooLong(String re) {
    // Cheap bound first: a string of n chars has at least n UTF-8 bytes.
    return re.length() > MAX_LENGTH || re.getBytes(StandardCharsets.UTF_8).length > MAX_LENGTH;
  }

  static void check(String re, String path, Findings f) {
    f.errorIf(path, problem(re));
  }
}

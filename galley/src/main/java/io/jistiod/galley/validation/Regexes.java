package io.jistiod.galley.validation;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;

/**
 * Regexes in RE2 syntax, as Envoy evaluates them. Istio caps their length at 1024 characters to
 * keep Envoy's compiled program size bounded.
 */
final class Regexes {
  static final int MAX_LENGTH = 1024;

  private Regexes() {}

  /** Why {@code re} is not an acceptable regex, or null. */
  static String problem(String re) {
    if (re.length() > MAX_LENGTH) {
      return "regex is too long: " + re.length() + " characters (limit " + MAX_LENGTH + ")";
    }
    try {
      Pattern.compile(re);
      return null;
    } catch (PatternSyntaxException e) {
      return "invalid regex (RE2 syntax): " + e.getDescription();
    } catch (RuntimeException e) {
      return "invalid regex (RE2 syntax): " + e.getMessage();
    }
  }

  static void check(String re, String path, Findings f) {
    f.errorIf(path, problem(re));
  }
}

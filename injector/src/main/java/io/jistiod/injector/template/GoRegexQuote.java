package io.jistiod.injector.template;

/** regexp.QuoteMeta. */
final class GoRegexQuote {
  private GoRegexQuote() {}

  static String quoteMeta(String s) {
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) {
      if ("\\.+*?()|[]{}^$".indexOf(c) >= 0) {
        b.append('\\');
      }
      b.append(c);
    }
    return b.toString();
  }
}

package io.jistiod.injector.template;

import java.util.Locale;

/** Go's strings package case mapping (Unicode, locale-independent). */
final class GoStrings {
  private GoStrings() {}

  static String toLower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }

  static String toUpper(String s) {
    return s.toUpperCase(Locale.ROOT);
  }

  /** strings.Title: upper-cases letters that start words (after a non-letter/digit/_/'). */
  static String title(String s) {
    StringBuilder b = new StringBuilder();
    int prev = ' ';
    for (int i = 0; i < s.length(); ) {
      int c = s.codePointAt(i);
      i += Character.charCount(c);
      boolean sep =
          !(Character.isLetterOrDigit(prev) || prev == '_' || prev == '\'')
              && !(prev >= 0x80 && !Character.isWhitespace(prev));
      b.appendCodePoint(sep ? Character.toTitleCase(c) : c);
      prev = c;
    }
    return b.toString();
  }
}

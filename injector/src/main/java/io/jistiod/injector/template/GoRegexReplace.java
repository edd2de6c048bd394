package io.jistiod.injector.template;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;

/** regexp's ReplaceAllString (with Go's $name/${name} expansion) and ReplaceAllLiteralString. */
final class GoRegexReplace {
  private GoRegexReplace() {}

  static String replaceAll(Pattern p, String src, String repl, boolean expand) {
    Matcher m = p.matcher(src);
    StringBuilder b = new StringBuilder();
    int last = 0;
    while (m.find()) {
      b.append(src, last, m.start());
      b.append(expand ? expand(m, repl) : repl);
      last = m.end();
    }
    b.append(src, last, src.length());
    return b.toString();
  }

  private static String expand(Matcher m, String t) {
    StringBuilder b = new StringBuilder();
    int i = 0;
    while (i < t.length()) {
      char c = t.charAt(i);
      if (c != '$') {
        b.append(c);
        i++;
        continue;
      }
      if (i + 1 < t.length() && t.charAt(i + 1) == '$') {
        b.append('$');
        i += 2;
        continue;
      }
      String name;
      int next;
      if (i + 1 < t.length() && t.charAt(i + 1) == '{') {
        int close = t.indexOf('}', i + 2);
        name = close < 0 ? "" : t.substring(i + 2, close);
        next = close + 1;
        if (close < 0 || !isName(name)) {
          b.append('$');
          i++;
          continue;
        }
      } else {
        int e = i + 1;
        while (e < t.length() && (Character.isLetterOrDigit(t.charAt(e)) || t.charAt(e) == '_')) {
          e++;
        }
        name = t.substring(i + 1, e);
        next = e;
        if (name.isEmpty()) {
          b.append('$');
          i++;
          continue;
        }
      }
      b.append(group(m, name));
      i = next;
    }
    return b.toString();
  }

  private static boolean isName(String s) {
    return !s.isEmpty() && s.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '_');
  }

  private static String group(Matcher m, String name) {
    String g = null;
    try {
      if (name.chars().allMatch(Character::isDigit)) {
        long n = name.length() > 9 ? Long.MAX_VALUE : Long.parseLong(name);
        if (n <= m.groupCount()) {
          g = m.group((int) n);
        }
      } else {
        g = m.group(name);
      }
    } catch (IllegalArgumentException e) {
      g = null;
    }
    return g == null ? "" : g;
  }
}

package io.jistiod.injector.template;

import java.util.ArrayList;
import java.util.List;

/** Go's path package (slash-separated) and strings.SplitN, as sprig exposes them. */
final class GoPath {
  private GoPath() {}

  static String clean(String p) {
    if (p.isEmpty()) {
      return ".";
    }
    boolean rooted = p.startsWith("/");
    List<String> out = new ArrayList<>();
    for (String part : p.split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        if (!out.isEmpty() && !out.get(out.size() - 1).equals("..")) {
          out.remove(out.size() - 1);
        } else if (!rooted) {
          out.add("..");
        }
        continue;
      }
      out.add(part);
    }
    String s = String.join("/", out);
    if (rooted) {
      return "/" + s;
    }
    return s.isEmpty() ? "." : s;
  }

  static String base(String p) {
    if (p.isEmpty()) {
      return ".";
    }
    while (p.length() > 1 && p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    if (p.equals("/")) {
      return "/";
    }
    return p.substring(p.lastIndexOf('/') + 1);
  }

  static String dir(String p) {
    return clean(p.substring(0, p.lastIndexOf('/') + 1));
  }

  static String ext(String p) {
    for (int i = p.length() - 1; i >= 0 && p.charAt(i) != '/'; i--) {
      if (p.charAt(i) == '.') {
        return p.substring(i);
      }
    }
    return "";
  }

  /** strings.SplitN (n &lt; 0: all). An empty separator splits into UTF-8 sequences. */
  static List<String> split(String s, String sep, int n) {
    List<String> out = new ArrayList<>();
    if (n == 0) {
      return out;
    }
    if (sep.isEmpty()) {
      s.codePoints().forEach(c -> out.add(new String(Character.toChars(c))));
      if (n > 0 && out.size() > n) {
        String rest = String.join("", out.subList(n - 1, out.size()));
        List<String> head = new ArrayList<>(out.subList(0, n - 1));
        head.add(rest);
        return head;
      }
      return out;
    }
    int start = 0;
    while (n < 0 || out.size() < n - 1) {
      int i = s.indexOf(sep, start);
      if (i < 0) {
        break;
      }
      out.add(s.substring(start, i));
      start = i + sep.length();
    }
    out.add(s.substring(start));
    return out;
  }
}

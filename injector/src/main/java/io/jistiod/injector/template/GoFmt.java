package io.jistiod.injector.template;

import com.google.protobuf.Message;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/** Go's fmt for template values: Sprint, Sprintln, Sprintf and strconv.Quote. */
final class GoFmt {
  private GoFmt() {}

  /** fmt.Sprint: a space between operands when neither is a string. */
  static String sprint(List<Object> args) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < args.size(); i++) {
      Object a = args.get(i);
      if (i > 0 && !(a instanceof String) && !(args.get(i - 1) instanceof String)) {
        b.append(' ');
      }
      b.append(value(a, false));
    }
    return b.toString();
  }

  static String sprintln(List<Object> args) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < args.size(); i++) {
      if (i > 0) {
        b.append(' ');
      }
      b.append(value(args.get(i), false));
    }
    return b.append('\n').toString();
  }

  /** %v (plus: %+v). */
  static String value(Object v, boolean plus) {
    if (v instanceof GoNil n && n.elem() instanceof Class) {
      // Kubernetes API types are Stringers whose String() says "nil" for a nil pointer.
      return "nil";
    }
    if (v == null || v == NoValue.I || v instanceof GoNil) {
      return "<nil>";
    }
    if (v instanceof String s) {
      return s;
    }
    if (v instanceof GoPtr p) {
      return value(p.value(), plus);
    }
    if (v instanceof Double d) {
      return GoFloat.format(d, 'g', -1);
    }
    if (v instanceof Float f) {
      return GoFloat.format(Double.parseDouble(Float.toString(f)), 'g', -1);
    }
    if (v instanceof byte[] bytes) {
      List<Object> l = new ArrayList<>();
      for (byte x : bytes) {
        l.add((long) (x & 0xff));
      }
      return value(l, plus);
    }
    if (v instanceof Map<?, ?> m) {
      StringBuilder b = new StringBuilder("map[");
      boolean first = true;
      for (Object k : sortedKeys(m)) {
        if (!first) {
          b.append(' ');
        }
        first = false;
        b.append(value(k, plus)).append(':').append(value(m.get(k), plus));
      }
      return b.append(']').toString();
    }
    if (v instanceof List<?> l) {
      StringBuilder b = new StringBuilder("[");
      for (int i = 0; i < l.size(); i++) {
        if (i > 0) {
          b.append(' ');
        }
        b.append(value(l.get(i), plus));
      }
      return b.append(']').toString();
    }
    if (v instanceof GoStruct s) {
      StringBuilder b =
          new StringBuilder(s.typeName() != null && s.typeName().startsWith("*") ? "&{" : "{");
      boolean first = true;
      for (Map.Entry<String, Object> e : s.fields().entrySet()) {
        if (!first) {
          b.append(' ');
        }
        first = false;
        if (plus) {
          b.append(e.getKey()).append(':');
        }
        b.append(value(e.getValue(), plus));
      }
      return b.append('}').toString();
    }
    if (v instanceof Message m) {
      return ProtoText.compact(m);
    }
    if (K8sAccess.isModel(v)) {
      return "&" + modelValue(v, plus);
    }
    return String.valueOf(v);
  }

  private static String modelValue(Object v, boolean plus) {
    StringBuilder b = new StringBuilder("{");
    boolean first = true;
    for (String name : K8sAccess.props(v.getClass()).keySet()) {
      if (!first) {
        b.append(' ');
      }
      first = false;
      Object f;
      try {
        f = K8sAccess.field(v, name);
      } catch (ReflectiveOperationException e) {
        f = null;
      }
      if (plus) {
        b.append(name).append(':');
      }
      b.append(K8sAccess.isModel(f) ? modelValue(f, plus) : value(f, plus));
    }
    return b.append('}').toString();
  }

  /** Map keys in fmt's sorted order: numbers numerically, strings lexically. */
  static List<Object> sortedKeys(Map<?, ?> m) {
    List<Object> keys = new ArrayList<>(m.keySet());
    keys.sort(GoFmt::compareKeys);
    return keys;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static int compareKeys(Object a, Object b) {
    if (a == null || b == null) {
      return a == b ? 0 : a == null ? -1 : 1;
    }
    if (a instanceof Number x && b instanceof Number y) {
      return Double.compare(x.doubleValue(), y.doubleValue());
    }
    if (a instanceof String x && b instanceof String y) {
      return compareUtf8(x, y);
    }
    if (a instanceof Comparable x && a.getClass() == b.getClass()) {
      return x.compareTo(b);
    }
    return Comparator.<String>naturalOrder().compare(a.toString(), b.toString());
  }

  /** Go compares strings by bytes; for UTF-16 this equals code point order. */
  static int compareUtf8(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }

  /** strconv.Quote. */
  static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < s.length(); ) {
      int c = s.codePointAt(i);
      i += Character.charCount(c);
      appendEscaped(b, c, '"');
    }
    return b.append('"').toString();
  }

  static void appendEscaped(StringBuilder b, int c, char quote) {
    if (c == quote || c == '\\') {
      b.append('\\').appendCodePoint(c);
      return;
    }
    switch (c) {
      case 7 -> b.append("\\a");
      case '\b' -> b.append("\\b");
      case '\f' -> b.append("\\f");
      case '\n' -> b.append("\\n");
      case '\r' -> b.append("\\r");
      case '\t' -> b.append("\\t");
      case 11 -> b.append("\\v");
      default -> {
        if (c < 0x20 || c == 0x7f) {
          b.append(String.format("\\x%02x", c));
        } else if (isPrint(c)) {
          b.appendCodePoint(c);
        } else if (c < 0x10000) {
          b.append(String.format("\\u%04x", c));
        } else {
          b.append(String.format("\\U%08x", c));
        }
      }
    }
  }

  private static boolean isPrint(int c) {
    int t = Character.getType(c);
    return !(t == Character.CONTROL
        || t == Character.FORMAT
        || t == Character.SURROGATE
        || t == Character.UNASSIGNED
        || t == Character.PRIVATE_USE
        || t == Character.LINE_SEPARATOR
        || t == Character.PARAGRAPH_SEPARATOR
        || (t == Character.SPACE_SEPARATOR && c != ' '));
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String sprintf(String format, List<Object> args) {
    return new Printf(format, args).run();
  }
}

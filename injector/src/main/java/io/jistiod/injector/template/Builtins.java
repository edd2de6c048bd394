package io.jistiod.injector.template;

import io.jistiod.injector.template.GoTypes.Kind;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * text/template's predefined functions (and, or, not, len, index, slice, print*, comparisons, html,
 * js, urlquery, call). They receive template values unconverted (a missing key stays
 * distinguishable from nil) because Go's builtins work on reflect.Values.
 */
final class Builtins {
  private static final Map<String, GoFunction> ALL = new LinkedHashMap<>();

  static {
    ALL.put("and", ArityFunction.variadic(1, a -> null));
    ALL.put("or", ArityFunction.variadic(1, a -> null));
    ALL.put("not", ArityFunction.fixed(1, a -> !GoTypes.isTrue(a.get(0))));
    ALL.put("len", ArityFunction.fixed(1, a -> len(a.get(0))));
    ALL.put("index", ArityFunction.variadic(1, Builtins::index));
    ALL.put("slice", ArityFunction.variadic(1, Builtins::slice));
    ALL.put("print", ArityFunction.variadic(0, a -> GoFmt.sprint(args(a))));
    ALL.put("println", ArityFunction.variadic(0, a -> GoFmt.sprintln(args(a))));
    ALL.put(
        "printf",
        ArityFunction.variadic(1, a -> GoFmt.sprintf(str(a.get(0)), args(a.subList(1, a.size())))));
    ALL.put("eq", ArityFunction.variadic(1, a -> eq(a.get(0), a.subList(1, a.size()))));
    ALL.put("ne", ArityFunction.fixed(2, a -> !eq(a.get(0), a.subList(1, 2))));
    ALL.put("lt", ArityFunction.fixed(2, a -> lt(a.get(0), a.get(1))));
    ALL.put("le", ArityFunction.fixed(2, a -> le(a.get(0), a.get(1))));
    ALL.put("gt", ArityFunction.fixed(2, a -> !le(a.get(0), a.get(1))));
    ALL.put("ge", ArityFunction.fixed(2, a -> !lt(a.get(0), a.get(1))));
    ALL.put("html", ArityFunction.variadic(0, a -> html(evalArgs(a))));
    ALL.put("js", ArityFunction.variadic(0, a -> js(evalArgs(a))));
    ALL.put("urlquery", ArityFunction.variadic(0, a -> urlquery(evalArgs(a))));
    ALL.put("call", ArityFunction.variadic(1, Builtins::call));
  }

  private Builtins() {}

  static Map<String, GoFunction> all() {
    return Collections.unmodifiableMap(ALL);
  }

  static boolean isBuiltin(String name) {
    return ALL.containsKey(name);
  }

  static GoFunction get(String name) {
    return ALL.get(name);
  }

  private static List<Object> args(List<Object> a) {
    List<Object> out = new ArrayList<>(a.size());
    for (Object o : a) {
      out.add(GoTypes.toArg(o));
    }
    return out;
  }

  private static String str(Object o) {
    if (o instanceof String s) {
      return s;
    }
    throw new IllegalArgumentException(
        o == null || o == NoValue.I
            ? "invalid value; expected string"
            : "wrong type for value; expected string; got " + GoTypes.typeName(o));
  }

  private static Object len(Object v) {
    if (v instanceof GoNil) {
      throw new IllegalArgumentException("len of nil pointer");
    }
    if (v instanceof String s) {
      return (long) s.getBytes(StandardCharsets.UTF_8).length;
    }
    if (v instanceof Map<?, ?> m) {
      return (long) m.size();
    }
    if (v instanceof List<?> l) {
      return (long) l.size();
    }
    if (v instanceof byte[] b) {
      return (long) b.length;
    }
    if (v == null || v == NoValue.I) {
      throw new IllegalArgumentException("len of nil pointer");
    }
    throw new IllegalArgumentException("len of type " + GoTypes.typeName(v));
  }

  private static Object index(List<Object> a) {
    Object item = a.get(0);
    if (item == null || item == NoValue.I) {
      throw new IllegalArgumentException("index of untyped nil");
    }
    for (Object idx : a.subList(1, a.size())) {
      if (item instanceof GoNil || item == null) {
        throw new IllegalArgumentException("index of nil pointer");
      }
      if (item instanceof List<?> || item instanceof String || item instanceof byte[]) {
        int size =
            item instanceof List<?> l
                ? l.size()
                : item instanceof String s
                    ? s.getBytes(StandardCharsets.UTF_8).length
                    : ((byte[]) item).length;
        int x = indexArg(idx, size);
        if (x == size) {
          throw new IllegalArgumentException("reflect: slice index out of range");
        }
        if (item instanceof List<?> l) {
          item = l.get(x);
        } else {
          byte[] bytes =
              item instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : (byte[]) item;
          item = (long) (bytes[x] & 0xff);
        }
      } else if (item instanceof Map<?, ?> m) {
        if (idx == null || idx == NoValue.I) {
          throw new IllegalArgumentException("value is nil; should be of type string");
        }
        if (!m.isEmpty()) {
          Object k = m.keySet().iterator().next();
          if (k != null && GoTypes.kind(k) != GoTypes.kind(idx)) {
            throw new IllegalArgumentException(
                "value has type " + GoTypes.typeName(idx) + "; should be " + GoTypes.typeName(k));
          }
        } else if (!(idx instanceof String)) {
          throw new IllegalArgumentException(
              "value has type " + GoTypes.typeName(idx) + "; should be string");
        }
        if (m.containsKey(idx)) {
          item = m.get(idx);
        } else {
          item = m instanceof TypedMap t ? t.elemZero() : null;
        }
      } else {
        throw new IllegalArgumentException("can't index item of type " + GoTypes.typeName(item));
      }
    }
    return item;
  }

  private static int indexArg(Object idx, int cap) {
    if (idx == null || idx == NoValue.I) {
      throw new IllegalArgumentException("cannot index slice/array with nil");
    }
    if (!GoTypes.isInt(idx)) {
      throw new IllegalArgumentException(
          "cannot index slice/array with type " + GoTypes.typeName(idx));
    }
    long x = ((Number) idx).longValue();
    if (x < 0 || x > cap) {
      throw new IllegalArgumentException("index out of range: " + x);
    }
    return (int) x;
  }

  private static Object slice(List<Object> a) {
    Object item = a.get(0);
    if (item == null || item == NoValue.I) {
      throw new IllegalArgumentException("slice of untyped nil");
    }
    List<Object> idx = a.subList(1, a.size());
    if (idx.size() > 3) {
      throw new IllegalArgumentException("too many slice indexes: " + idx.size());
    }
    int len;
    if (item instanceof String s) {
      if (idx.size() == 3) {
        throw new IllegalArgumentException("cannot 3-index slice a string");
      }
      len = s.getBytes(StandardCharsets.UTF_8).length;
    } else if (item instanceof List<?> l) {
      len = l.size();
    } else {
      throw new IllegalArgumentException("can't slice item of type " + GoTypes.typeName(item));
    }
    int[] ix = {0, len, len};
    for (int k = 0; k < idx.size(); k++) {
      ix[k] = indexArg(idx.get(k), len);
    }
    if (ix[0] > ix[1]) {
      throw new IllegalArgumentException("invalid slice index: " + ix[0] + " > " + ix[1]);
    }
    if (idx.size() == 3 && ix[1] > ix[2]) {
      throw new IllegalArgumentException("invalid slice index: " + ix[1] + " > " + ix[2]);
    }
    if (item instanceof String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      return new String(b, ix[0], ix[1] - ix[0], StandardCharsets.UTF_8);
    }
    return new ArrayList<>(((List<?>) item).subList(ix[0], ix[1]));
  }

  private static boolean isValid(Object v) {
    return v != null && v != NoValue.I;
  }

  /** Go's basicKind: pointers, maps, slices and structs all count as "invalid" kinds. */
  private static Kind basic(Object v) {
    Kind k = GoTypes.kind(v);
    return k == Kind.OTHER ? Kind.INVALID : k;
  }

  private static boolean isNil(Object v) {
    return v == null || v == NoValue.I || v instanceof GoNil;
  }

  static boolean eq(Object a1, List<Object> rest) {
    if (rest.isEmpty()) {
      throw new IllegalArgumentException("missing argument for comparison");
    }
    Kind k1 = basic(a1);
    for (Object a : rest) {
      Kind k2 = basic(a);
      boolean truth = false;
      if (k1 != k2) {
        if (isValid(a1) && isValid(a)) {
          throw new IllegalArgumentException(
              "incompatible types for comparison: "
                  + GoTypes.typeName(a1)
                  + " and "
                  + GoTypes.typeName(a));
        }
      } else {
        switch (k1) {
          case BOOL -> truth = a1.equals(a);
          case INT -> truth = GoTypes.toLong(a1) == GoTypes.toLong(a);
          case FLOAT -> truth = ((Number) a1).doubleValue() == ((Number) a).doubleValue();
          case STRING -> truth = a1.equals(a);
          default -> {
            if (isNil(a1) || isNil(a)) {
              truth = isNil(a1) == isNil(a);
            } else if (a1 instanceof Map || a1 instanceof List) {
              throw new IllegalArgumentException(
                  "non-comparable type "
                      + GoFmt.sprintf("%s", List.of(a1))
                      + ": "
                      + GoTypes.typeName(a1));
            } else if (a instanceof Map || a instanceof List) {
              throw new IllegalArgumentException(
                  "non-comparable type "
                      + GoFmt.sprintf("%s", List.of(a))
                      + ": "
                      + GoTypes.typeName(a));
            } else if (a1 instanceof GoStruct s1 && a instanceof GoStruct s2) {
              truth = s1.fields().equals(s2.fields());
            } else {
              truth = a1 == a;
            }
          }
        }
      }
      if (truth) {
        return true;
      }
    }
    return false;
  }

  static boolean lt(Object a1, Object a2) {
    Kind k1 = basic(a1);
    Kind k2 = basic(a2);
    if (k1 == Kind.INVALID || k2 == Kind.INVALID) {
      throw new IllegalArgumentException("invalid type for comparison");
    }
    if (k1 != k2) {
      throw new IllegalArgumentException(
          "incompatible types for comparison: "
              + GoTypes.typeName(a1)
              + " and "
              + GoTypes.typeName(a2));
    }
    return switch (k1) {
      case BOOL -> throw new IllegalArgumentException("invalid type for comparison");
      case INT -> GoTypes.toLong(a1) < GoTypes.toLong(a2);
      case FLOAT -> ((Number) a1).doubleValue() < ((Number) a2).doubleValue();
      default -> GoFmt.compareUtf8((String) a1, (String) a2) < 0;
    };
  }

  static boolean le(Object a1, Object a2) {
    return lt(a1, a2) || eq(a1, List.of(a2));
  }

  /** The string html/js/urlquery work on: the sole string argument or fmt.Sprint of all. */
  private static String evalArgs(List<Object> a) {
    if (a.size() == 1 && a.get(0) instanceof String s) {
      return s;
    }
    return GoFmt.sprint(args(a));
  }

  static String html(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case 0 -> b.append('\uFFFD');
        case '"' -> b.append("&#34;");
        case '\'' -> b.append("&#39;");
        case '&' -> b.append("&amp;");
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  static String js(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length(); ) {
      int c = s.codePointAt(i);
      i += Character.charCount(c);
      switch (c) {
        case '\\' -> b.append("\\\\");
        case '\'' -> b.append("\\'");
        case '"' -> b.append("\\\"");
        case '<' -> b.append("\\u003C");
        case '>' -> b.append("\\u003E");
        case '&' -> b.append("\\u0026");
        case '=' -> b.append("\\u003D");
        default -> {
          if (c < 0x80) {
            if (c >= 0x20 && c < 0x7f) {
              b.append((char) c);
            } else {
              b.append(String.format("\\u%04X", c));
            }
          } else if (Character.isISOControl(c)
              || Character.getType(c) == Character.FORMAT
              || Character.getType(c) == Character.UNASSIGNED) {
            b.append(String.format("\\u%04X", c));
          } else {
            b.appendCodePoint(c);
          }
        }
      }
    }
    return b.toString();
  }

  static String urlquery(String s) {
    StringBuilder b = new StringBuilder();
    for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
      int c = x & 0xff;
      if ((c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || c == '-'
          || c == '_'
          || c == '.'
          || c == '~') {
        b.append((char) c);
      } else if (c == ' ') {
        b.append('+');
      } else {
        b.append(String.format("%%%02X", c));
      }
    }
    return b.toString();
  }

  /** call's arguments: the callee's expression (for errors), the callee, its arguments. */
  private static Object call(List<Object> a) throws Exception {
    String callee = (String) a.get(0);
    a = a.subList(1, a.size());
    Object fn = a.get(0);
    if (fn == null || fn == NoValue.I) {
      throw new IllegalArgumentException("call of nil");
    }
    if (!(fn instanceof GoFunction f)) {
      throw new IllegalArgumentException(
          "non-function " + callee + " of type " + GoTypes.typeName(fn));
    }
    return f.call(args(a.subList(1, a.size())));
  }
}

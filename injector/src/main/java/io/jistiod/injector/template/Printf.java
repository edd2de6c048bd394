package io.jistiod.injector.template;

import com.google.protobuf.Message;
import java.util.List;
import java.util.Map;

/** fmt.Sprintf with Go's verbs, flags, width and precision, and its error notations. */
final class Printf {
  private final String format;
  private final List<Object> args;
  private final StringBuilder out = new StringBuilder();
  private int argNum;
  private boolean minus;
  private boolean plus;
  private boolean sharp;
  private boolean space;
  private boolean zero;
  private int width;
  private int prec;
  private boolean plusV;
  private int depth;

  Printf(String format, List<Object> args) {
    this.format = format;
    this.args = args;
  }

  String run() {
    int n = format.length();
    for (int i = 0; i < n; ) {
      char c = format.charAt(i);
      if (c != '%') {
        out.append(c);
        i++;
        continue;
      }
      i++;
      minus = plus = sharp = space = zero = false;
      width = -1;
      prec = -1;
      for (; i < n; i++) {
        char f = format.charAt(i);
        if (f == '#') {
          sharp = true;
        } else if (f == '0') {
          zero = !minus;
        } else if (f == '+') {
          plus = true;
        } else if (f == '-') {
          minus = true;
          zero = false;
        } else if (f == ' ') {
          space = true;
        } else {
          break;
        }
      }
      if (i < n && format.charAt(i) == '*') {
        i++;
        Object w = argNum < args.size() ? args.get(argNum++) : null;
        if (GoTypes.isInt(w)) {
          width = (int) ((Number) w).longValue();
          if (width < 0) {
            minus = true;
            width = -width;
            zero = false;
          }
        } else {
          out.append("%!(BADWIDTH)");
        }
      } else {
        int start = i;
        while (i < n && Character.isDigit(format.charAt(i))) {
          i++;
        }
        if (i > start) {
          width = Integer.parseInt(format.substring(start, i));
        }
      }
      if (i < n && format.charAt(i) == '.') {
        i++;
        if (i < n && format.charAt(i) == '*') {
          i++;
          Object p = argNum < args.size() ? args.get(argNum++) : null;
          if (GoTypes.isInt(p) && ((Number) p).longValue() >= 0) {
            prec = (int) ((Number) p).longValue();
          } else {
            out.append("%!(BADPREC)");
          }
        } else {
          int start = i;
          while (i < n && Character.isDigit(format.charAt(i))) {
            i++;
          }
          prec = i > start ? Integer.parseInt(format.substring(start, i)) : 0;
        }
      }
      if (i >= n) {
        out.append("%!(NOVERB)");
        break;
      }
      int verb = format.codePointAt(i);
      i += Character.charCount(verb);
      if (verb == '%') {
        out.append('%');
        continue;
      }
      if (argNum >= args.size()) {
        out.append("%!").appendCodePoint(verb).append("(MISSING)");
        continue;
      }
      Object a = args.get(argNum++);
      // %+v asks for field names; it does not sign numbers.
      plusV = verb == 'v' && plus;
      if (plusV) {
        plus = false;
      }
      out.append(pad(arg(a, verb), isNumeric(a)));
    }
    if (argNum < args.size()) {
      out.append("%!(EXTRA ");
      for (int k = argNum; k < args.size(); k++) {
        if (k > argNum) {
          out.append(", ");
        }
        Object a = args.get(k);
        out.append(a == null ? "<nil>" : GoTypes.typeName(a) + "=" + GoFmt.value(a, false));
      }
      out.append(')');
    }
    return out.toString();
  }

  private static boolean isNumeric(Object a) {
    return GoTypes.isInt(a) || GoTypes.isFloat(a);
  }

  private String pad(String s, boolean numeric) {
    int len = s.codePointCount(0, s.length());
    if (width < 0 || len >= width) {
      return s;
    }
    String fill = " ".repeat(width - len);
    if (minus) {
      return s + fill;
    }
    if (zero) {
      String zeros = "0".repeat(width - len);
      if (numeric
          && !s.isEmpty()
          && (s.charAt(0) == '-' || s.charAt(0) == '+' || s.charAt(0) == ' ')) {
        return s.charAt(0) + zeros + s.substring(1);
      }
      return zeros + s;
    }
    return fill + s;
  }

  private String bad(Object a, int verb) {
    StringBuilder b = new StringBuilder("%!").appendCodePoint(verb).append('(');
    if (a == null) {
      b.append("<nil>");
    } else {
      b.append(GoTypes.typeName(a)).append('=').append(GoFmt.value(a, false));
    }
    return b.append(')').toString();
  }

  private String arg(Object a, int verb) {
    if (a == null || a == NoValue.I || a instanceof GoNil) {
      return verb == 'v' || depth > 0 ? "<nil>" : bad(null, verb);
    }
    if (verb == 'T') {
      return GoTypes.typeName(a);
    }
    if ((a instanceof GoEnum || a instanceof Message)
        && (verb == 'v' || verb == 's' || verb == 'q' || verb == 'x' || verb == 'X')) {
      return str(GoFmt.value(a, false), verb);
    }
    if (a instanceof Boolean b) {
      return verb == 't' || verb == 'v' ? b.toString() : bad(a, verb);
    }
    if (GoTypes.isInt(a) || a instanceof GoEnum) {
      return integer(GoTypes.toLong(a), verb, a);
    }
    if (GoTypes.isFloat(a)) {
      return flt(((Number) a).doubleValue(), verb, a);
    }
    if (a instanceof String s) {
      return str(s, verb);
    }
    if (a instanceof List<?> l) {
      StringBuilder b = new StringBuilder("[");
      for (int i = 0; i < l.size(); i++) {
        if (i > 0) {
          b.append(' ');
        }
        depth++;
        b.append(arg(l.get(i), verb));
        depth--;
      }
      return b.append(']').toString();
    }
    if (a instanceof Map<?, ?> m) {
      StringBuilder b = new StringBuilder("map[");
      boolean first = true;
      for (Object k : GoFmt.sortedKeys(m)) {
        if (!first) {
          b.append(' ');
        }
        first = false;
        depth++;
        b.append(arg(k, verb)).append(':').append(arg(m.get(k), verb));
        depth--;
      }
      return b.append(']').toString();
    }
    if (verb == 'v') {
      return GoFmt.value(a, plusV);
    }
    return bad(a, verb);
  }

  private String str(String s, int verb) {
    switch (verb) {
      case 'v':
      case 's':
        if (prec >= 0 && s.codePointCount(0, s.length()) > prec) {
          return s.substring(0, s.offsetByCodePoints(0, prec));
        }
        return s;
      case 'q':
        if (sharp
            && s.indexOf('`') < 0
            && s.chars().allMatch(c -> c >= 0x20 && c != 0x7f || c == '\t')) {
          return "`" + s + "`";
        }
        return GoFmt.quote(s);
      case 'x':
      case 'X':
        StringBuilder b = new StringBuilder();
        byte[] bytes = GoFmt.utf8(s);
        for (int i = 0; i < bytes.length; i++) {
          if (space && i > 0) {
            b.append(' ');
          }
          if (sharp && (space || i == 0)) {
            b.append(verb == 'x' ? "0x" : "0X");
          }
          String h = String.format("%02x", bytes[i] & 0xff);
          b.append(verb == 'X' ? h.toUpperCase() : h);
        }
        return b.toString();
      default:
        return bad(s, verb);
    }
  }

  private String sign(boolean neg) {
    return neg ? "-" : plus ? "+" : space ? " " : "";
  }

  private String integer(long v, int verb, Object orig) {
    boolean neg = v < 0;
    String mag;
    switch (verb) {
      case 'v':
      case 'd':
        mag = neg ? Long.toString(v).substring(1) : Long.toString(v);
        break;
      case 'b':
        mag = Long.toBinaryString(Math.abs(v));
        break;
      case 'o':
      case 'O':
        mag = Long.toOctalString(Math.abs(v));
        break;
      case 'x':
        mag = Long.toHexString(Math.abs(v));
        break;
      case 'X':
        mag = Long.toHexString(Math.abs(v)).toUpperCase();
        break;
      case 'c':
        return new String(Character.toChars((int) v));
      case 'q':
        {
          StringBuilder b = new StringBuilder("'");
          GoFmt.appendEscaped(b, (int) v, '\'');
          return b.append('\'').toString();
        }
      case 'U':
        {
          String u = String.format("U+%04X", v);
          return sharp ? u + " '" + new String(Character.toChars((int) v)) + "'" : u;
        }
      case 'e':
      case 'E':
      case 'f':
      case 'F':
      case 'g':
      case 'G':
      default:
        return bad(orig, verb);
    }
    if (prec >= 0) {
      if (prec == 0 && v == 0) {
        mag = "";
      }
      while (mag.length() < prec) {
        mag = "0" + mag;
      }
      zero = false;
    }
    String prefix = "";
    if (sharp) {
      prefix =
          switch (verb) {
            case 'x' -> "0x";
            case 'X' -> "0X";
            case 'o' -> mag.startsWith("0") ? "" : "0";
            case 'b' -> "0b";
            default -> "";
          };
    }
    if (verb == 'O') {
      prefix = "0o";
    }
    if (zero && width > 0 && !minus) {
      String s = sign(neg);
      int w = width - s.length() - prefix.length();
      while (mag.length() < w) {
        mag = "0" + mag;
      }
      zero = false;
      return s + prefix + mag;
    }
    return sign(neg) + prefix + mag;
  }

  private String flt(double v, int verb, Object orig) {
    char fmt;
    int p = prec;
    switch (verb) {
      case 'v':
      case 'g':
        fmt = 'g';
        break;
      case 'G':
        fmt = 'G';
        break;
      case 'e':
      case 'E':
        fmt = (char) verb;
        p = p < 0 ? 6 : p;
        break;
      case 'f':
      case 'F':
        fmt = 'f';
        p = p < 0 ? 6 : p;
        break;
      default:
        return bad(orig, verb);
    }
    String s = GoFloat.format(v, fmt, p);
    if (s.startsWith("-")) {
      return s;
    }
    if (Double.isInfinite(v)) {
      return plus ? s : space ? " " + s.substring(1) : s.substring(1);
    }
    return sign(false) + s;
  }
}

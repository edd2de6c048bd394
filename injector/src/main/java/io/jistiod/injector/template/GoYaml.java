package io.jistiod.injector.template;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * sigs.k8s.io/yaml's Marshal: encoding/json first, then the JSON re-emitted by go-yaml v2 (keys in
 * its natural sort order, block style, sequences not indented under their key, strings plain unless
 * they would read back as another type or need quoting, multi-line strings as literals).
 */
final class GoYaml {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Pattern BASE60 =
      Pattern.compile("^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\\.[0-9_]*)?$");
  private static final Pattern TIMESTAMP =
      Pattern.compile("^[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?([Tt ].*)?$");
  private static final java.util.Set<String> RESERVED =
      java.util.Set.of(
          "", "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "n",
          "N", "no", "No", "NO", "off", "Off", "OFF", "true", "True", "TRUE", "false", "False",
          "FALSE", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
          ".nan", ".NaN", ".NAN", "<<");

  private GoYaml() {}

  static String marshal(Object v) {
    JsonNode n;
    try {
      n = MAPPER.readTree(GoJson.marshal(v));
    } catch (Exception e) {
      throw new IllegalArgumentException(e.getMessage());
    }
    StringBuilder b = new StringBuilder();
    if (n.isObject() && n.size() > 0) {
      mapping(b, n, 0);
    } else if (n.isArray() && n.size() > 0) {
      sequence(b, n, 0);
    } else {
      b.append(scalar(n, 0)).append('\n');
    }
    return b.toString();
  }

  private static boolean isBlock(JsonNode n) {
    return (n.isObject() || n.isArray()) && n.size() > 0;
  }

  private static void mapping(StringBuilder b, JsonNode n, int indent) {
    boolean first = true;
    for (String k : sortedKeys(n)) {
      if (!first) {
        b.append(" ".repeat(indent));
      }
      first = false;
      b.append(string(k, indent)).append(':');
      value(b, n.get(k), indent, false);
    }
  }

  /** Writes a value after "key:" or "-", then the newline. */
  private static void value(StringBuilder b, JsonNode v, int indent, boolean inSeq) {
    if (v.isObject() && v.size() > 0) {
      if (inSeq) {
        b.append(' ');
        mapping(b, v, indent + 2);
      } else {
        b.append('\n').append(" ".repeat(indent + 2));
        mapping(b, v, indent + 2);
      }
    } else if (v.isArray() && v.size() > 0) {
      if (inSeq) {
        b.append(' ');
        sequence(b, v, indent + 2);
      } else {
        b.append('\n').append(" ".repeat(indent));
        sequence(b, v, indent);
      }
    } else {
      b.append(' ').append(scalar(v, indent + 2)).append('\n');
    }
  }

  private static void sequence(StringBuilder b, JsonNode n, int indent) {
    boolean first = true;
    for (JsonNode e : n) {
      if (!first) {
        b.append(" ".repeat(indent));
      }
      first = false;
      b.append('-');
      value(b, e, indent, true);
    }
  }

  private static List<String> sortedKeys(JsonNode n) {
    List<String> keys = new ArrayList<>();
    n.fieldNames().forEachRemaining(keys::add);
    keys.sort(GoYaml::naturalCompare);
    return keys;
  }

  /** go-yaml v2's keyList.Less for string keys: letters before digits, digit runs by value. */
  static int naturalCompare(String a, String b) {
    int[] ar = a.codePoints().toArray();
    int[] br = b.codePoints().toArray();
    for (int i = 0; i < ar.length && i < br.length; i++) {
      if (ar[i] == br[i]) {
        continue;
      }
      boolean al = Character.isLetter(ar[i]);
      boolean bl = Character.isLetter(br[i]);
      if (al && bl) {
        return Integer.compare(ar[i], br[i]);
      }
      if (al || bl) {
        return bl ? -1 : 1;
      }
      long an = 0;
      long bn = 0;
      if (ar[i] == '0' || br[i] == '0') {
        for (int j = i - 1; j >= 0 && Character.isDigit(ar[j]); j--) {
          if (ar[j] != '0') {
            an = 1;
            bn = 1;
            break;
          }
        }
      }
      int ai = i;
      int bi = i;
      for (; ai < ar.length && Character.isDigit(ar[ai]); ai++) {
        an = an * 10 + (ar[ai] - '0');
      }
      for (; bi < br.length && Character.isDigit(br[bi]); bi++) {
        bn = bn * 10 + (br[bi] - '0');
      }
      if (an != bn) {
        return an < bn ? -1 : 1;
      }
      if (ai != bi) {
        return ai < bi ? -1 : 1;
      }
      return Integer.compare(ar[i], br[i]);
    }
    return Integer.compare(ar.length, br.length);
  }

  private static String scalar(JsonNode n, int indent) {
    if (n.isObject()) {
      return "{}";
    }
    if (n.isArray()) {
      return "[]";
    }
    if (n.isNull()) {
      return "null";
    }
    if (n.isBoolean()) {
      return n.asText();
    }
    if (n.isIntegralNumber()) {
      BigInteger bi = n.bigIntegerValue();
      if (bi.bitLength() < 64) {
        return bi.toString();
      }
      return GoFloat.format(bi.doubleValue(), 'g', -1).replace("+Inf", ".inf");
    }
    if (n.isNumber()) {
      double d = n.doubleValue();
      double r = Math.rint(d);
      // json.Marshal writes integral floats without a point, which go-yaml reads back as int.
      if (r == d && Math.abs(d) < 1e21 && !n.asText().contains("e") && !n.asText().contains("E")) {
        return new java.math.BigDecimal(d).toBigInteger().toString();
      }
      return GoFloat.format(d, 'g', -1);
    }
    return string(n.asText(), indent);
  }

  /** Whether go-yaml would read {@code s} unquoted as something other than a string. */
  private static boolean resolvesToNonString(String s) {
    if (RESERVED.contains(s)) {
      return true;
    }
    char c = s.charAt(0);
    if (!(c == '+' || c == '-' || c == '.' || (c >= '0' && c <= '9'))) {
      return false;
    }
    String plain = s.replace("_", "");
    if (parsesAsGoInt(plain) || parsesAsGoFloat(plain)) {
      return true;
    }
    return TIMESTAMP.matcher(s).matches();
  }

  private static boolean parsesAsGoInt(String s) {
    String body = s.startsWith("+") || s.startsWith("-") ? s.substring(1) : s;
    String lower = body.toLowerCase();
    try {
      if (lower.startsWith("0x")) {
        new BigInteger(body.substring(2), 16);
      } else if (lower.startsWith("0b")) {
        new BigInteger(body.substring(2), 2);
      } else if (lower.startsWith("0o")) {
        new BigInteger(body.substring(2), 8);
      } else if (body.length() > 1 && body.startsWith("0")) {
        new BigInteger(body.substring(1), 8);
      } else {
        if (!body.matches("[0-9]+")) {
          return false;
        }
      }
      return !body.isEmpty();
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static boolean parsesAsGoFloat(String s) {
    String body = s.startsWith("+") || s.startsWith("-") ? s.substring(1) : s;
    String lower = body.toLowerCase();
    if (lower.equals("inf") || lower.equals("infinity") || lower.equals("nan")) {
      return true;
    }
    return body.matches("([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?")
        || body.matches("0[xX]([0-9a-fA-F]+\\.?[0-9a-fA-F]*|\\.[0-9a-fA-F]+)[pP][-+]?[0-9]+");
  }

  private static boolean isPrintable(int c) {
    return c == 0x0A
        || (c >= 0x20 && c <= 0x7E)
        || c == 0x85
        || (c >= 0xA0 && c <= 0xD7FF)
        || (c >= 0xE000 && c <= 0xFFFD && c != 0xFEFF)
        || (c >= 0x10000 && c <= 0x10FFFF);
  }

  private static boolean isBlankOrEnd(String s, int i) {
    return i >= s.length() || s.charAt(i) == ' ' || s.charAt(i) == '\t' || s.charAt(i) == '\n';
  }

  /** A string scalar in the style go-yaml v2 picks. */
  static String string(String s, int indent) {
    boolean special = s.codePoints().anyMatch(c -> !isPrintable(c)) || s.indexOf('\t') >= 0;
    if (s.contains("\n")) {
      if (special || s.matches("(?s).*[ ]\n.*") || s.endsWith(" ")) {
        return doubleQuoted(s);
      }
      return literal(s, indent);
    }
    if (s.isEmpty() || resolvesToNonString(s) || BASE60.matcher(s).matches()) {
      return doubleQuoted(s);
    }
    if (special) {
      return doubleQuoted(s);
    }
    if (plainAllowed(s)) {
      return s;
    }
    return "'" + s.replace("'", "''") + "'";
  }

  private static boolean plainAllowed(String s) {
    if (s.startsWith("---") || s.startsWith("...")) {
      return false;
    }
    if (s.startsWith(" ") || s.endsWith(" ")) {
      return false;
    }
    char f = s.charAt(0);
    if ("#,[]{}&*!|>'\"%@`".indexOf(f) >= 0) {
      return false;
    }
    if ((f == '-' || f == '?' || f == ':') && isBlankOrEnd(s, 1)) {
      return false;
    }
    for (int i = 1; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == ':' && isBlankOrEnd(s, i + 1)) {
        return false;
      }
      if (c == '#' && (s.charAt(i - 1) == ' ')) {
        return false;
      }
    }
    return true;
  }

  private static String literal(String s, int indent) {
    StringBuilder b = new StringBuilder("|");
    if (s.startsWith(" ") || s.startsWith("\n")) {
      b.append(2);
    }
    if (!s.endsWith("\n")) {
      b.append('-');
    } else if (s.endsWith("\n\n") || s.equals("\n")) {
      b.append('+');
    }
    String body = s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
    String pad = " ".repeat(Math.max(indent, 2));
    for (String line : body.split("\n", -1)) {
      b.append('\n');
      if (!line.isEmpty()) {
        b.append(pad).append(line);
      }
    }
    return b.toString();
  }

  private static String doubleQuoted(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < s.length(); ) {
      int c = s.codePointAt(i);
      i += Character.charCount(c);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case 0 -> b.append("\\0");
        case 7 -> b.append("\\a");
        case '\b' -> b.append("\\b");
        case '\t' -> b.append("\\t");
        case '\n' -> b.append("\\n");
        case 11 -> b.append("\\v");
        case '\f' -> b.append("\\f");
        case '\r' -> b.append("\\r");
        case 0x1b -> b.append("\\e");
        case 0x85 -> b.append("\\N");
        case 0xA0 -> b.append("\\_");
        case 0x2028 -> b.append("\\L");
        case 0x2029 -> b.append("\\P");
        default -> {
          if (isPrintable(c) && c != 0xFEFF) {
            b.appendCodePoint(c);
          } else if (c <= 0xFF) {
            b.append(String.format("\\x%02X", c));
          } else if (c <= 0xFFFF) {
            b.append(String.format("\\u%04X", c));
          } else {
            b.append(String.format("\\U%08X", c));
          }
        }
      }
    }
    return b.append('"').toString();
  }
}

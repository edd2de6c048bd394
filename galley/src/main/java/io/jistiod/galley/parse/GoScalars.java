package io.jistiod.galley.parse;

import java.math.BigInteger;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Resolves YAML scalars to values the way Kubernetes' YAML library (sigs.k8s.io/yaml, a YAML 1.1
 * reader) does when it decodes into untyped Go values: {@code yes/no/on/off/y/n} are booleans,
 * {@code 0777} is octal, {@code 0x1F} hex, {@code 1_000} an int, {@code 1e3} and {@code .5} floats,
 * {@code ~} null; sexagesimal numbers ({@code 12:30}) and timestamps stay strings.
 *
 * <p>Values are {@link #NULL}, {@link Boolean}, {@link Long} (Go's int), {@link BigInteger} (Go's
 * uint64, above {@code Long.MAX_VALUE}), {@link Double} or {@link String}.
 */
final class GoScalars {
  /** YAML null (Go's nil). */
  static final Object NULL = new Object();

  static final String STR = "tag:yaml.org,2002:str";
  static final String BINARY = "tag:yaml.org,2002:binary";
  static final String BOOL = "tag:yaml.org,2002:bool";
  static final String INT = "tag:yaml.org,2002:int";
  static final String FLOAT = "tag:yaml.org,2002:float";
  static final String NULL_TAG = "tag:yaml.org,2002:null";
  static final String TIMESTAMP = "tag:yaml.org,2002:timestamp";
  static final String MERGE = "tag:yaml.org,2002:merge";

  private static final BigInteger UINT64_LIMIT = BigInteger.ONE.shiftLeft(64);
  private static final Map<String, Object> WORDS = new HashMap<>();

  // The float syntax the YAML library accepts besides Go's integer syntax.
  private static final Pattern YAML_FLOAT =
      Pattern.compile("^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$");
  private static final Pattern TIMESTAMP_SYNTAX =
      Pattern.compile(
          "^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
              + "([Tt ][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\\.[0-9]{1,9})?(Z|[-+][0-9]{2}:[0-9]{2})?)?$");

  static {
    for (String s : new String[] {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE"}) {
      WORDS.put(s, Boolean.TRUE);
    }
    for (String s : new String[] {"on", "On", "ON"}) {
      WORDS.put(s, Boolean.TRUE);
    }
    for (String s : new String[] {"n", "N", "no", "No", "NO", "false", "False", "FALSE"}) {
      WORDS.put(s, Boolean.FALSE);
    }
    for (String s : new String[] {"off", "Off", "OFF"}) {
      WORDS.put(s, Boolean.FALSE);
    }
    for (String s : new String[] {"", "~", "null", "Null", "NULL"}) {
      WORDS.put(s, NULL);
    }
    for (String s : new String[] {".nan", ".NaN", ".NAN"}) {
      WORDS.put(s, Double.NaN);
    }
    for (String s : new String[] {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"}) {
      WORDS.put(s, Double.POSITIVE_INFINITY);
    }
    for (String s : new String[] {"-.inf", "-.Inf", "-.INF"}) {
      WORDS.put(s, Double.NEGATIVE_INFINITY);
    }
  }

  private GoScalars() {}

  /** The value of an untagged plain scalar. */
  static Object plain(String in) {
    if (in.isEmpty()) {
      return NULL;
    }
    char first = in.charAt(0);
    boolean sign = first == '+' || first == '-';
    boolean digit = first >= '0' && first <= '9';
    boolean word = "yYnNtTfFoO~".indexOf(first) >= 0;
    if (!sign && !digit && !word && first != '.') {
      return in;
    }
    Object known = WORDS.get(in);
    if (known != null) {
      return known;
    }
    if (first == '.') {
      Double f = goFloat(in);
      return f != null ? f : in;
    }
    if (sign || digit) {
      String plain = in.replace("_", "");
      Object i = goInt(plain);
      if (i != null) {
        return i;
      }
      if (YAML_FLOAT.matcher(plain).matches()) {
        Double f = goFloat(plain);
        if (f != null) {
          return f;
        }
      }
    }
    return in;
  }

  /**
   * The value of a scalar with an explicit tag (long form, e.g. {@code tag:yaml.org,2002:int}).
   *
   * @throws YamlException when the text does not fit the tag
   */
  static Object tagged(String tag, String in) throws YamlException {
    switch (tag) {
      case STR:
        return in;
      case BINARY:
        try {
          byte[] bytes =
              java.util.Base64.getDecoder().decode(in.replace("\n", "").replace("\r", ""));
          return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
          throw new YamlException("!!binary value contains invalid base64 data");
        }
      case BOOL:
      case INT:
      case FLOAT:
      case NULL_TAG:
      case TIMESTAMP:
        break;
      default:
        // Tags the library does not resolve (local tags, !!map on a scalar...) keep the text.
        return in;
    }
    if (tag.equals(TIMESTAMP) && TIMESTAMP_SYNTAX.matcher(in).matches()) {
      return in; // decoded into an untyped value, a timestamp stays its text
    }
    Object v = plain(in);
    String got = tagOf(v, in);
    if (got.equals(tag)) {
      return v;
    }
    if (tag.equals(FLOAT) && v instanceof Long) {
      return ((Long) v).doubleValue();
    }
    throw new YamlException(
        "cannot decode " + shortTag(got) + " `" + in + "` as a " + shortTag(tag));
  }

  private static String tagOf(Object v, String in) {
    if (v == NULL) {
      return NULL_TAG;
    }
    if (v instanceof Boolean) {
      return BOOL;
    }
    if (v instanceof Long || v instanceof BigInteger) {
      return INT;
    }
    if (v instanceof Double) {
      return FLOAT;
    }
    return TIMESTAMP_SYNTAX.matcher(in).matches() ? TIMESTAMP : STR;
  }

  static String shortTag(String tag) {
    return tag.startsWith("tag:yaml.org,2002:")
        ? "!!" + tag.substring("tag:yaml.org,2002:".length())
        : tag;
  }

  /**
   * Go's {@code strconv.ParseInt(s, 0, 64)}, falling back to {@code ParseUint}: a Long, a
   * BigInteger (above int64, below 2^64), or null.
   */
  static Object goInt(String s) {
    boolean negative = false;
    String body = s;
    if (!body.isEmpty() && (body.charAt(0) == '+' || body.charAt(0) == '-')) {
      negative = body.charAt(0) == '-';
      body = body.substring(1);
    }
    BigInteger magnitude = goUint(body);
    if (magnitude == null) {
      return null;
    }
    BigInteger v = negative ? magnitude.negate() : magnitude;
    if (v.bitLength() < 64) {
      return v.longValueExact();
    }
    // ParseUint takes no sign: only an unsigned value above int64 survives.
    return s.charAt(0) == '+' || negative ? null : v;
  }

  /** Go's {@code strconv.ParseUint(s, 0, 64)} without underscores: the value or null. */
  private static BigInteger goUint(String s) {
    if (s.isEmpty()) {
      return null;
    }
    int base = 10;
    String digits = s;
    if (s.charAt(0) == '0' && s.length() > 1) {
      char p = Character.toLowerCase(s.charAt(1));
      if (s.length() >= 3 && p == 'b') {
        base = 2;
        digits = s.substring(2);
      } else if (s.length() >= 3 && p == 'o') {
        base = 8;
        digits = s.substring(2);
      } else if (s.length() >= 3 && p == 'x') {
        base = 16;
        digits = s.substring(2);
      } else {
        base = 8;
        digits = s.substring(1);
      }
    }
    if (digits.isEmpty()) {
      return null;
    }
    for (int i = 0; i < digits.length(); i++) {
      if (Character.digit(digits.charAt(i), base) < 0 || digits.charAt(i) > 'z') {
        return null;
      }
    }
    BigInteger v = new BigInteger(digits, base);
    return v.compareTo(UINT64_LIMIT) < 0 ? v : null;
  }

  /** Go's {@code strconv.ParseFloat(s, 64)} for decimal text: null when malformed or ±Inf. */
  private static Double goFloat(String s) {
    if (!YAML_FLOAT.matcher(s).matches()) {
      return null;
    }
    double d = Double.parseDouble(s);
    return Double.isInfinite(d) ? null : d;
  }
}

package io.jistiod.galley.schema;

/**
 * One finding, written as the API server writes a {@code field.Error}: {@code <path>: <type>:
 * <value>: <detail>}, e.g. {@code spec.hosts: Too many: 300: must have at most 256 items}.
 *
 * @param path the field path ({@code spec.http[0].timeout}); {@code <nil>} for findings the API
 *     server reports on the whole object (oneOf/not), whose detail then names the field
 * @param badValue the value shown after the type: a String (quoted as Go's {@code %q}), a Long,
 *     Double or Boolean, null (shown as {@code "null"}, as Go shows a nil value), or {@link #OMIT}
 *     for none
 */
public record FieldError(Type type, String path, Object badValue, String detail) {

  /** No value is shown for this error. */
  public static final Object OMIT = new Object();

  /** The API server's error types, with the text it prints and whether CEL rules still run. */
  public enum Type {
    REQUIRED("Required value", true),
    INVALID("Invalid value", false),
    TYPE_INVALID("Invalid value", true),
    NOT_SUPPORTED("Unsupported value", true),
    TOO_LONG("Too long", true),
    TOO_MANY("Too many", true),
    DUPLICATE("Duplicate value", false),
    FORBIDDEN("Forbidden", false);

    private final String text;
    private final boolean blocksRules;

    Type(String text, boolean blocksRules) {
      this.text = text;
      this.blocksRules = blocksRules;
    }

    /**
     * Whether the API server skips the CEL rules of an object with such an error (its {@code
     * hasBlockingErr}).
     */
    public boolean blocksRules() {
      return blocksRules;
    }

    @Override
    public String toString() {
      return text;
    }
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(path).append(": ").append(type);
    boolean showValue =
        type != Type.REQUIRED
            && type != Type.FORBIDDEN
            && type != Type.TOO_LONG
            && badValue != OMIT;
    if (showValue) {
      sb.append(": ").append(show(badValue));
    }
    if (detail != null && !detail.isEmpty()) {
      sb.append(": ").append(detail);
    }
    return sb.toString();
  }

  /** A value as Go's {@code %v} prints a simple value, strings as {@code %q}. */
  static String show(Object value) {
    if (value == null) {
      return "\"null\""; // Go substitutes the string "null" for a nil value, then quotes it
    }
    if (value instanceof String s) {
      return quote(s);
    }
    if (value instanceof Double d && d == Math.rint(d) && !d.isInfinite() && Math.abs(d) < 1e21) {
      return Long.toString(d.longValue());
    }
    return String.valueOf(value);
  }

  /** Go's {@code strconv.Quote} for the characters that occur in configuration. */
  static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\t' -> sb.append("\\t");
        case '\r' -> sb.append("\\r");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            sb.append(String.format("\\x%02x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }
}

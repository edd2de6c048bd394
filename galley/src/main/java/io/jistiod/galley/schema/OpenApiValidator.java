package io.jistiod.galley.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The OpenAPI v3 part of what the API server checks on a custom resource against its CRD's
 * structural schema, with the API server's messages: type (with {@code nullable}, {@code
 * x-kubernetes-int-or-string} and {@code x-kubernetes-preserve-unknown-fields}), enum, pattern,
 * minLength/maxLength (in characters), minItems/maxItems, minProperties/maxProperties,
 * minimum/maximum (and exclusive), required, oneOf/anyOf/allOf/not, and unique keys of {@code
 * x-kubernetes-list-type: map} lists.
 *
 * <p>Unknown fields are not findings: the API server prunes them (Istio's own validation refuses
 * them in the spec). String formats are not checked: our schemas use only {@code date-time} (in the
 * status) and {@code binary}.
 *
 * <p>Thread-safe; patterns are compiled once (RE2 semantics, as Go's regexp, so no input can make
 * matching slow).
 */
final class OpenApiValidator {
  private final Map<String, Pattern> patterns = new ConcurrentHashMap<>();

  /** Findings for {@code value} at {@code path} ("" for the object itself). */
  List<FieldError> validate(JsonNode value, JsonNode schema, String path) {
    List<FieldError> out = new ArrayList<>();
    check(value, schema, path, out);
    return out;
  }

  private void check(JsonNode v, JsonNode s, String path, List<FieldError> out) {
    if (s == null || !s.isObject()) {
      return;
    }
    if (v == null || v.isNull()) {
      if (!s.path("nullable").asBoolean(false) && s.has("type")) {
        String t = s.path("type").asText();
        out.add(typeError(path, t, "null"));
      }
      return;
    }
    if (!typeMatches(v, s, path, out)) {
      return;
    }
    if (s.has("enum")) {
      checkEnum(v, s.get("enum"), path, out);
    }
    if (v.isTextual()) {
      checkString(v.asText(), s, path, out);
    } else if (v.isNumber()) {
      checkNumber(v, s, path, out);
    } else if (v.isArray()) {
      checkArray(v, s, path, out);
    } else if (v.isObject()) {
      checkObject(v, s, path, out);
    }
    checkComposition(v, s, path, out);
  }

  private static boolean typeMatches(JsonNode v, JsonNode s, String path, List<FieldError> out) {
    if (s.path("x-kubernetes-int-or-string").asBoolean(false)) {
      if (isInteger(v) || v.isTextual()) {
        return true;
      }
      out.add(typeError(path, "integer,string", typeName(v)));
      return false;
    }
    if (!s.has("type")) {
      return true;
    }
    String t = s.get("type").asText();
    boolean ok =
        switch (t) {
          case "object" -> v.isObject();
          case "array" -> v.isArray();
          case "string" -> v.isTextual();
          case "integer" -> isInteger(v);
          case "number" -> v.isNumber();
          case "boolean" -> v.isBoolean();
          default -> true;
        };
    if (!ok) {
      out.add(typeError(path, t, typeName(v)));
    }
    return ok;
  }

  private static boolean isInteger(JsonNode v) {
    if (v.isIntegralNumber()) {
      return true;
    }
    // A float without a fraction is an integer to the API server's JSON decoding.
    return v.isFloatingPointNumber() && v.decimalValue().stripTrailingZeros().scale() <= 0;
  }

  private static String typeName(JsonNode v) {
    if (v.isTextual()) {
      return "string";
    }
    if (v.isBoolean()) {
      return "boolean";
    }
    if (v.isIntegralNumber()) {
      return "integer";
    }
    if (v.isNumber()) {
      return "number";
    }
    if (v.isArray()) {
      return "array";
    }
    if (v.isObject()) {
      return "object";
    }
    return "null";
  }

  private static FieldError typeError(String path, String type, String actual) {
    return new FieldError(
        FieldError.Type.TYPE_INVALID,
        path,
        actual,
        path + " in body must be of type " + type + ": " + FieldError.quote(actual));
  }

  private static void checkEnum(JsonNode v, JsonNode allowed, String path, List<FieldError> out) {
    List<String> shown = new ArrayList<>();
    for (JsonNode a : allowed) {
      if (a.equals(v)
          || (a.isNumber() && v.isNumber() && a.decimalValue().compareTo(v.decimalValue()) == 0)) {
        return;
      }
      shown.add(FieldError.quote(a.isTextual() ? a.asText() : a.toString()));
    }
    out.add(
        new FieldError(
            FieldError.Type.NOT_SUPPORTED,
            path,
            scalar(v),
            shown.isEmpty() ? "" : "supported values: " + String.join(", ", shown)));
  }

  private void checkString(String str, JsonNode s, String path, List<FieldError> out) {
    int length = str.codePointCount(0, str.length());
    if (s.has("maxLength") && length > s.get("maxLength").asLong()) {
      out.add(
          new FieldError(
              FieldError.Type.TOO_LONG,
              path,
              FieldError.OMIT,
              "may not be more than " + s.get("maxLength").asLong() + " bytes"));
    }
    if (s.has("minLength") && length < s.get("minLength").asLong()) {
      out.add(
          new FieldError(
              FieldError.Type.INVALID,
              path,
              str,
              path + " in body should be at least " + s.get("minLength").asLong() + " chars long"));
    }
    if (s.has("pattern")) {
      String p = s.get("pattern").asText();
      Pattern compiled = pattern(p);
      if (compiled == null || !compiled.matcher(str).find()) {
        out.add(
            new FieldError(
                FieldError.Type.INVALID, path, str, path + " in body should match '" + p + "'"));
      }
    }
  }

  private Pattern pattern(String p) {
    try {
      return patterns.computeIfAbsent(p, Pattern::compile);
    } catch (PatternSyntaxException e) {
      return null;
    }
  }

  private static void checkNumber(JsonNode v, JsonNode s, String path, List<FieldError> out) {
    BigDecimal n = v.decimalValue();
    if (s.has("maximum")) {
      BigDecimal max = s.get("maximum").decimalValue();
      boolean exclusive = s.path("exclusiveMaximum").asBoolean(false);
      int c = n.compareTo(max);
      if (exclusive ? c >= 0 : c > 0) {
        out.add(
            new FieldError(
                FieldError.Type.INVALID,
                path,
                scalar(v),
                path
                    + " in body should be less than "
                    + (exclusive ? "" : "or equal to ")
                    + GoFloats.format(max.doubleValue())));
      }
    }
    if (s.has("minimum")) {
      BigDecimal min = s.get("minimum").decimalValue();
      boolean exclusive = s.path("exclusiveMinimum").asBoolean(false);
      int c = n.compareTo(min);
      if (exclusive ? c <= 0 : c < 0) {
        out.add(
            new FieldError(
                FieldError.Type.INVALID,
                path,
                scalar(v),
                path
                    + " in body should be greater than "
                    + (exclusive ? "" : "or equal to ")
                    + GoFloats.format(min.doubleValue())));
      }
    }
  }

  private void checkArray(JsonNode v, JsonNode s, String path, List<FieldError> out) {
    int size = v.size();
    if (s.has("maxItems") && size > s.get("maxItems").asLong()) {
      out.add(
          new FieldError(
              FieldError.Type.TOO_MANY,
              path,
              (long) size,
              "must have at most " + s.get("maxItems").asLong() + " items"));
    }
    if (s.has("minItems") && size < s.get("minItems").asLong()) {
      out.add(
          new FieldError(
              FieldError.Type.INVALID,
              path,
              (long) size,
              path + " in body should have at least " + s.get("minItems").asLong() + " items"));
    }
    JsonNode items = s.get("items");
    for (int i = 0; i < size; i++) {
      check(v.get(i), items, path + "[" + i + "]", out);
    }
    if ("map".equals(s.path("x-kubernetes-list-type").asText())) {
      checkMapKeys(v, s.path("x-kubernetes-list-map-keys"), path, out);
    }
  }

  /** Elements of a {@code list-type: map} list must differ in their keys. */
  private static void checkMapKeys(JsonNode v, JsonNode keys, String path, List<FieldError> out) {
    Set<List<JsonNode>> seen = new HashSet<>();
    for (int i = 0; i < v.size(); i++) {
      List<JsonNode> key = new ArrayList<>();
      StringBuilder shown = new StringBuilder("map[string]interface {}{");
      boolean first = true;
      for (JsonNode k : keys) {
        JsonNode part = v.get(i).get(k.asText());
        key.add(part);
        if (part != null) {
          shown.append(first ? "" : ", ").append(FieldError.quote(k.asText())).append(':');
          shown.append(part.isTextual() ? FieldError.quote(part.asText()) : part.toString());
          first = false;
        }
      }
      if (!seen.add(key)) {
        out.add(
            new FieldError(
                FieldError.Type.DUPLICATE,
                path + "[" + i + "]",
                FieldError.OMIT,
                shown.append('}').toString()));
      }
    }
  }

  private void checkObject(JsonNode v, JsonNode s, String path, List<FieldError> out) {
    int size = v.size();
    if (s.has("maxProperties") && size > s.get("maxProperties").asLong()) {
      out.add(
          new FieldError(
              FieldError.Type.TOO_MANY,
              path,
              (long) size,
              "must have at most " + s.get("maxProperties").asLong() + " items"));
    }
    if (s.has("minProperties") && size < s.get("minProperties").asLong()) {
      out.add(
          new FieldError(
              FieldError.Type.INVALID,
              path,
              (long) size,
              path
                  + " in body should have at least "
                  + s.get("minProperties").asLong()
                  + " properties"));
    }
    for (JsonNode r : s.path("required")) {
      if (!v.has(r.asText())) {
        out.add(new FieldError(FieldError.Type.REQUIRED, child(path, r.asText()), "", ""));
      }
    }
    JsonNode props = s.get("properties");
    JsonNode additional = s.get("additionalProperties");
    Iterator<Map.Entry<String, JsonNode>> fields = v.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      if (props != null && props.has(f.getKey())) {
        check(f.getValue(), props.get(f.getKey()), child(path, f.getKey()), out);
      } else if (additional != null && additional.isObject()) {
        check(f.getValue(), additional, child(path, f.getKey()), out);
      }
      // Anything else is pruned by the API server, not refused.
    }
  }

  /**
   * oneOf/anyOf/allOf/not. In structural schemas these only add value checks (here: which fields
   * are set), so an alternative is judged without its own findings, and the finding names the field
   * inside the message on the whole object, as the API server reports it.
   */
  private void checkComposition(JsonNode v, JsonNode s, String path, List<FieldError> out) {
    if (s.path("x-kubernetes-int-or-string").asBoolean(false)) {
      return; // its anyOf only restates the type
    }
    if (s.has("allOf")) {
      for (JsonNode sub : s.get("allOf")) {
        checkComposition(v, sub, path, out);
        if (!holds(v, sub, path)) {
          out.add(composite(path, "must validate all the schemas (allOf)"));
          break;
        }
      }
    }
    if (s.has("oneOf")) {
      int valid = 0;
      for (JsonNode sub : s.get("oneOf")) {
        if (holds(v, sub, path)) {
          valid++;
        }
      }
      if (valid != 1) {
        out.add(
            composite(
                path,
                "must validate one and only one schema (oneOf). "
                    + (valid == 0
                        ? "Found none valid"
                        : "Found " + valid + " valid alternatives")));
      }
    }
    if (s.has("anyOf")) {
      boolean any = false;
      for (JsonNode sub : s.get("anyOf")) {
        any |= holds(v, sub, path);
      }
      if (!any) {
        out.add(composite(path, "must validate at least one schema (anyOf)"));
      }
    }
    if (s.has("not") && holds(v, s.get("not"), path)) {
      out.add(composite(path, "must not validate the schema (not)"));
    }
  }

  private boolean holds(JsonNode v, JsonNode schema, String path) {
    List<FieldError> scratch = new ArrayList<>();
    check(v, schema, path, scratch);
    return scratch.isEmpty();
  }

  private static FieldError composite(String path, String what) {
    return new FieldError(
        FieldError.Type.INVALID, "<nil>", "", FieldError.quote(path) + " " + what);
  }

  private static Object scalar(JsonNode v) {
    if (v.isTextual()) {
      return v.asText();
    }
    if (v.isIntegralNumber()) {
      return v.asLong();
    }
    if (v.isNumber()) {
      return v.asDouble();
    }
    if (v.isBoolean()) {
      return v.asBoolean();
    }
    return v.toString();
  }

  static String child(String path, String name) {
    return path.isEmpty() ? name : path + "." + name;
  }
}

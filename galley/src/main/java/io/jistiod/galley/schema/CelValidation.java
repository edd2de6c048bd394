package io.jistiod.galley.schema;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the {@code x-kubernetes-validations} rules of a structural schema over a value, as the API
 * server does after the OpenAPI checks: at every node that has rules, with {@code self} the node's
 * value typed by its schema; a false rule reports {@code Invalid value: "<schema type>": <message>}
 * at the node's path (map entries as {@code [key]}, list items as {@code [i]}).
 */
final class CelValidation {
  private static final String RULES = "x-kubernetes-validations";
  private final KubernetesCel cel;

  CelValidation(KubernetesCel cel) {
    this.cel = cel;
  }

  List<FieldError> validate(JsonNode value, JsonNode schema, String path) {
    List<FieldError> out = new ArrayList<>();
    walk(value, schema, path, out);
    return out;
  }

  private void walk(JsonNode v, JsonNode s, String path, List<FieldError> out) {
    if (v == null || v.isNull() || s == null || !s.isObject()) {
      return;
    }
    if (s.has(RULES)) {
      Object self = toCel(v, s);
      String type = s.path("type").asText("");
      for (JsonNode rule : s.get(RULES)) {
        String expr = rule.path("rule").asText();
        Object outcome = cel.evaluate(expr, self);
        if (Boolean.TRUE.equals(outcome)) {
          continue;
        }
        // The API server names a rule by its message when it has one, else by its expression.
        String named =
            rule.path("message").asText("").isBlank()
                ? expr.strip()
                : rule.get("message").asText().strip();
        if (outcome instanceof String problem) {
          out.add(
              new FieldError(
                  FieldError.Type.INVALID, path, type, problem + " evaluating rule: " + named));
          continue;
        }
        String message =
            rule.path("message").asText("").isEmpty()
                ? "failed rule: " + named
                : rule.get("message").asText();
        out.add(new FieldError(reason(rule.path("reason").asText("")), path, type, message));
      }
    }
    if (v.isObject()) {
      JsonNode props = s.get("properties");
      JsonNode additional = s.get("additionalProperties");
      Iterator<Map.Entry<String, JsonNode>> fields = v.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> f = fields.next();
        if (props != null && props.has(f.getKey())) {
          walk(f.getValue(), props.get(f.getKey()), OpenApiValidator.child(path, f.getKey()), out);
        } else if (additional != null && additional.isObject()) {
          walk(f.getValue(), additional, path + "[" + f.getKey() + "]", out);
        }
      }
    } else if (v.isArray()) {
      for (int i = 0; i < v.size(); i++) {
        walk(v.get(i), s.get("items"), path + "[" + i + "]", out);
      }
    }
  }

  private static FieldError.Type reason(String reason) {
    return switch (reason) {
      case "FieldValueForbidden" -> FieldError.Type.FORBIDDEN;
      case "FieldValueRequired" -> FieldError.Type.REQUIRED;
      case "FieldValueDuplicate" -> FieldError.Type.DUPLICATE;
      default -> FieldError.Type.INVALID;
    };
  }

  /**
   * The value CEL sees: objects as maps of their set, known fields (the API server prunes the
   * rest), lists, int64 for integers, double for numbers.
   */
  static Object toCel(JsonNode v, JsonNode s) {
    boolean typed = s != null && s.isObject();
    if (v.isObject()) {
      Map<String, Object> m = new LinkedHashMap<>();
      JsonNode props = typed ? s.get("properties") : null;
      JsonNode additional = typed ? s.get("additionalProperties") : null;
      boolean keepAll = !typed || s.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
      Iterator<Map.Entry<String, JsonNode>> fields = v.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> f = fields.next();
        if (f.getValue().isNull()) {
          continue;
        }
        if (props != null && props.has(f.getKey())) {
          m.put(f.getKey(), toCel(f.getValue(), props.get(f.getKey())));
        } else if (additional != null && additional.isObject()) {
          m.put(f.getKey(), toCel(f.getValue(), additional));
        } else if (keepAll) {
          m.put(f.getKey(), toCel(f.getValue(), null));
        }
      }
      return m;
    }
    if (v.isArray()) {
      List<Object> l = new ArrayList<>();
      for (JsonNode e : v) {
        l.add(toCel(e, typed ? s.get("items") : null));
      }
      return l;
    }
    if (v.isTextual()) {
      return v.asText();
    }
    if (v.isBoolean()) {
      return v.asBoolean();
    }
    if (v.isNumber()) {
      boolean number = typed && "number".equals(s.path("type").asText());
      if (!number && (v.isIntegralNumber() || v.asDouble() == Math.rint(v.asDouble()))) {
        return v.asLong();
      }
      return v.asDouble();
    }
    return com.google.protobuf.NullValue.NULL_VALUE;
  }
}

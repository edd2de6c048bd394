package io.jistiod.galley.crd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The validation keywords of one CRD version's schema, flattened to {@code path -> keyword ->
 * value} (e.g. {@code .spec.hosts[] maxLength 64}). Paths name properties with {@code .name}, array
 * items with {@code []} and map values with {@code {}}. A CEL rule is summarized as its message and
 * a digest of its expression, so a summary of someone else's CRDs is a list of facts, not a copy.
 */
final class SchemaConstraints {
  static final List<String> KEYWORDS =
      List.of(
          "type",
          "format",
          "enum",
          "pattern",
          "minLength",
          "maxLength",
          "minItems",
          "maxItems",
          "minProperties",
          "maxProperties",
          "minimum",
          "maximum",
          "exclusiveMinimum",
          "exclusiveMaximum",
          "required",
          "oneOf",
          "anyOf",
          "allOf",
          "not",
          "nullable",
          "x-kubernetes-validations",
          "x-kubernetes-list-type",
          "x-kubernetes-list-map-keys",
          "x-kubernetes-int-or-string",
          "x-kubernetes-preserve-unknown-fields",
          "x-kubernetes-map-type");

  private static final ObjectMapper JSON = new ObjectMapper();

  private SchemaConstraints() {}

  /** {@code "path keyword" -> value as compact JSON}, sorted. */
  static Map<String, String> of(JsonNode schema) {
    Map<String, String> out = new TreeMap<>();
    walk(schema, "", out);
    return out;
  }

  private static void walk(JsonNode s, String path, Map<String, String> out) {
    if (s == null || !s.isObject()) {
      return;
    }
    for (String k : KEYWORDS) {
      JsonNode v = s.get(k);
      if (v != null) {
        out.put(
            path + " " + k, (k.equals("x-kubernetes-validations") ? summarize(v) : v).toString());
      }
    }
    Iterator<Map.Entry<String, JsonNode>> props = s.path("properties").fields();
    while (props.hasNext()) {
      Map.Entry<String, JsonNode> p = props.next();
      walk(p.getValue(), path + "." + p.getKey(), out);
    }
    walk(s.get("items"), path + "[]", out);
    walk(s.get("additionalProperties"), path + "{}", out);
  }

  /** Each rule as {message, reason, fieldPath, messageExpression, sha256 prefix of the rule}. */
  private static JsonNode summarize(JsonNode rules) {
    ArrayNode out = JSON.createArrayNode();
    for (JsonNode r : rules) {
      ObjectNode o = JSON.createObjectNode();
      for (String k : List.of("message", "messageExpression", "reason", "fieldPath")) {
        if (r.has(k)) {
          o.set(k, r.get(k));
        }
      }
      o.put("rule", digest(r.path("rule").asText()));
      out.add(o);
    }
    return out;
  }

  static String digest(String text) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return "sha256:" + HexFormat.of().formatHex(d, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

package io.jistiod.galley.validation;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Inline JSON Web Key Sets: a JSON object that is either a set ({@code {"keys": [...]}}) or a
 * single key, each key with a known {@code kty} and the members that type requires, in base64url.
 */
final class Jwks {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The outcome: why the set is rejected, and which keys (by index) carry private material. */
  record Result(String error, List<Integer> privateKeys) {}

  private Jwks() {}

  static Result parse(String jwks) {
    JsonNode root;
    try {
      root = JSON.readTree(jwks);
    } catch (JsonProcessingException | RuntimeException e) {
      return new Result("not valid JSON", List.of());
    }
    if (root == null || !root.isObject()) {
      return new Result("expected a JSON object (a key or a key set)", List.of());
    }
    List<JsonNode> keys = new ArrayList<>();
    if (root.has("keys")) {
      JsonNode list = root.get("keys");
      if (!list.isArray()) {
        return new Result("\"keys\" must be a list", List.of());
      }
      list.forEach(keys::add);
    } else {
      keys.add(root);
    }
    List<Integer> privateKeys = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      Deadline.check();
      JsonNode key = keys.get(i);
      if (!key.isObject()) {
        return new Result("key " + i + " is not a JSON object", List.of());
      }
      String kty = key.path("kty").asText("");
      String[] required;
      switch (kty) {
        case "RSA":
          required = new String[] {"n", "e"};
          break;
        case "EC":
          required = new String[] {"crv", "x", "y"};
          break;
        case "OKP":
          required = new String[] {"crv", "x"};
          break;
        case "oct":
          required = new String[] {"k"};
          break;
        case "":
          return new Result("key " + i + " has no \"kty\"", List.of());
        default:
          return new Result("key " + i + " has an unsupported kty \"" + kty + "\"", List.of());
      }
      for (String member : required) {
        Deadline.check();
        JsonNode v = key.get(member);
        if (v == null || !v.isTextual() || v.textValue().isEmpty()) {
          return new Result(
              "key " + i + " (" + kty + ") is missing the member \"" + member + "\"", List.of());
        }
        if (!member.equals("crv") && !isBase64(v.textValue())) {
          return new Result("key " + i + " member \"" + member + "\" is not base64url", List.of());
        }
      }
      if (kty.equals("oct") || key.has("d")) {
        privateKeys.add(i);
      }
    }
    return new Result(null, privateKeys);
  }

  private static boolean isBase64(String s) {
    String t = s.replace('-', '+').replace('_', '/');
    while (t.endsWith("=")) {
      t = t.substring(0, t.length() - 1);
    }
    try {
      Base64.getDecoder().decode(pad(t));
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static String pad(String s) {
    int mod = s.length() % 4;
    if (mod == 1) {
      return s; // invalid whatever the padding; the decoder rejects it
    }
    return mod == 0 ? s : s + "=".repeat(4 - mod);
  }
}

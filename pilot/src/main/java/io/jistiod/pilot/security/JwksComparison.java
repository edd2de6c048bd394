package io.jistiod.pilot.security;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Whether a refetched key set really changed, as istiod decides: the same keys in another order
 * (sorted by {@code kid}) or with other whitespace is no change, so it triggers no push.
 */
final class JwksComparison {
  private JwksComparison() {}

  static boolean differ(String before, String after) {
    if (before.equals(after)) {
      return false;
    }
    JsonNode a = JwksFetcher.parse(before);
    JsonNode b = JwksFetcher.parse(after);
    if (a == null || b == null) {
      return true;
    }
    JsonNode keysA = a.get("keys");
    JsonNode keysB = b.get("keys");
    if (keysA == null || keysB == null || !keysA.isArray() || !keysB.isArray()) {
      return !a.equals(b);
    }
    return !sorted(keysA).equals(sorted(keysB));
  }

  private static List<JsonNode> sorted(JsonNode keys) {
    List<JsonNode> out = new ArrayList<>();
    keys.forEach(out::add);
    out.sort(Comparator.comparing((JsonNode k) -> k.path("kid").asText("")));
    return out;
  }
}

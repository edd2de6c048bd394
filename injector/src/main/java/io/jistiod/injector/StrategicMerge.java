package io.jistiod.injector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A strategic merge patch applied to a Pod's JSON, as Kubernetes' {@code strategicpatch} applies it
 * with the options istiod uses (parallel lists, unmatched nulls ignored): maps merge key by key and
 * a null deletes; lists with a merge key merge element by element (an element of the patch updates
 * the original element with the same key, or is added), keeping the original's order for elements
 * only the original has and the patch's order for the rest; other lists are replaced. Supports the
 * {@code $patch: replace|delete} directives on maps and list elements.
 */
final class StrategicMerge {
  private static final String DIRECTIVE = "$patch";

  private StrategicMerge() {}

  /** Why a patch cannot be applied (no merge key on an element, a bad directive). */
  static final class PatchException extends Exception {
    PatchException(String message) {
      super(message);
    }
  }

  /** Returns {@code original} with {@code patch} merged in; neither argument is modified. */
  static ObjectNode apply(ObjectNode original, JsonNode patch, PodPatchSchema schema)
      throws PatchException {
    if (patch == null || patch.isNull() || patch.isMissingNode()) {
      return original.deepCopy();
    }
    if (!patch.isObject()) {
      throw new PatchException("invalid JSON document");
    }
    JsonNode merged = mergeMap(original.deepCopy(), (ObjectNode) patch, schema);
    return merged == null ? JsonNodeFactory.instance.objectNode() : (ObjectNode) merged;
  }

  private static JsonNode mergeMap(ObjectNode original, ObjectNode patch, PodPatchSchema schema)
      throws PatchException {
    JsonNode directive = patch.get(DIRECTIVE);
    if (directive != null) {
      switch (directive.asText()) {
        case "replace" -> {
          ObjectNode replaced = patch.deepCopy();
          replaced.remove(DIRECTIVE);
          return discardNulls(replaced);
        }
        case "delete" -> {
          return null;
        }
        case "merge" -> {}
        default -> throw new PatchException("unknown patch type: " + directive.asText());
      }
    }
    for (var it = patch.fields(); it.hasNext(); ) {
      var e = it.next();
      String k = e.getKey();
      JsonNode patchV = e.getValue();
      if (k.startsWith("$")) {
        continue; // $setElementOrder/..., $retainKeys: ordering hints istiod's templates never use
      }
      if (patchV.isNull()) {
        original.remove(k);
        continue;
      }
      JsonNode origV = original.get(k);
      if (origV == null || origV.getNodeType() != patchV.getNodeType()) {
        original.set(k, discardNulls(patchV.deepCopy()));
        continue;
      }
      if (origV.isObject()) {
        JsonNode merged = mergeMap((ObjectNode) origV, (ObjectNode) patchV, schema.field(k));
        if (merged == null) {
          original.remove(k);
        } else {
          original.set(k, merged);
        }
      } else if (origV.isArray()) {
        PodPatchSchema.ListMeta meta = schema.list(k);
        if (meta == null) {
          original.set(k, discardNulls(patchV.deepCopy()));
        } else {
          original.set(k, mergeList((ArrayNode) origV, (ArrayNode) patchV, meta, k));
        }
      } else {
        original.set(k, patchV.deepCopy());
      }
    }
    return original;
  }

  private static ArrayNode mergeList(
      ArrayNode original, ArrayNode patch, PodPatchSchema.ListMeta meta, String field)
      throws PatchException {
    if (original.isEmpty() && patch.isEmpty()) {
      return original;
    }
    boolean maps = (!patch.isEmpty() ? patch.get(0) : original.get(0)).isObject();
    if (!maps || meta.key() == null) {
      List<JsonNode> both = new ArrayList<>();
      original.forEach(both::add);
      patch.forEach(both::add);
      return array(deduplicateScalars(both));
    }
    String key = meta.key();
    List<JsonNode> orig = new ArrayList<>();
    original.forEach(orig::add);
    List<JsonNode> patchItems = new ArrayList<>();
    boolean replace = false;
    for (JsonNode v : patch) {
      JsonNode directive = v.get(DIRECTIVE);
      if (directive == null) {
        patchItems.add(v);
        continue;
      }
      switch (directive.asText()) {
        case "delete" -> {
          JsonNode value = v.get(key);
          if (value == null) {
            throw new PatchException(noMergeKey(v, key));
          }
          orig.removeIf(o -> same(o.get(key), value));
        }
        case "replace" -> replace = true;
        case "merge" ->
            throw new PatchException("merging lists cannot yet be specified in the patch");
        default -> throw new PatchException("unknown patch type: " + directive.asText());
      }
    }
    if (replace) {
      List<JsonNode> out = new ArrayList<>();
      for (JsonNode p : patchItems) {
        out.add(discardNulls(p.deepCopy()));
      }
      return array(out);
    }
    List<JsonNode> merged = new ArrayList<>(orig);
    for (JsonNode p : patchItems) {
      JsonNode value = p.get(key);
      if (value == null) {
        throw new PatchException(noMergeKey(p, key));
      }
      int at = indexOf(merged, key, value);
      if (at >= 0 && merged.get(at).isObject() && p.isObject()) {
        JsonNode m =
            mergeMap(((ObjectNode) merged.get(at)).deepCopy(), (ObjectNode) p, meta.element());
        if (m == null) {
          merged.remove(at);
        } else {
          merged.set(at, m);
        }
      } else if (at < 0) {
        merged.add(discardNulls(p.deepCopy()));
      }
    }
    for (JsonNode o : orig) {
      if (o.get(key) == null) {
        throw new PatchException(noMergeKey(o, key));
      }
    }
    // Order: the patch's elements in the patch's order, the original's own in its order,
    // interleaved where both are in the original.
    List<JsonNode> fromPatch = new ArrayList<>();
    List<JsonNode> serverOnly = new ArrayList<>();
    for (JsonNode m : merged) {
      (indexOf(patchItems, key, m.get(key)) >= 0 ? fromPatch : serverOnly).add(m);
    }
    fromPatch.sort(Comparator.comparingInt(m -> indexOf(patchItems, key, m.get(key))));
    serverOnly.sort(Comparator.comparingInt(m -> indexOf(orig, key, m.get(key))));
    List<JsonNode> out = new ArrayList<>();
    int i = 0;
    int j = 0;
    while (i < serverOnly.size() || j < fromPatch.size()) {
      if (i >= serverOnly.size()) {
        out.add(fromPatch.get(j++));
      } else if (j >= fromPatch.size()) {
        out.add(serverOnly.get(i++));
      } else {
        // A server-only item goes first only when both are in the original and it was first
        // there; otherwise the patch's item does (Kubernetes' mergeSortedSlice).
        int li = indexOf(orig, key, serverOnly.get(i).get(key));
        int ri = indexOf(orig, key, fromPatch.get(j).get(key));
        if (li >= 0 && ri >= 0 && li < ri) {
          out.add(serverOnly.get(i++));
        } else {
          out.add(fromPatch.get(j++));
        }
      }
    }
    return array(out);
  }

  private static String noMergeKey(JsonNode element, String key) {
    return "map: " + element + " does not contain declared merge key: " + key;
  }

  /** Go's deduplicateScalars: a duplicate is replaced by the last element (order not kept). */
  private static List<JsonNode> deduplicateScalars(List<JsonNode> s) {
    List<JsonNode> list = new ArrayList<>(s);
    int length = list.size() - 1;
    for (int i = 0; i < length; i++) {
      for (int j = i + 1; j <= length; j++) {
        if (same(list.get(i), list.get(j))) {
          list.set(j, list.get(length));
          list.remove(length);
          length--;
          j--;
        }
      }
    }
    return list;
  }

  private static int indexOf(List<JsonNode> list, String key, JsonNode value) {
    for (int i = 0; i < list.size(); i++) {
      if (same(list.get(i).get(key), value)) {
        return i;
      }
    }
    return -1;
  }

  /** Equality as Go's interface comparison after JSON decoding (every number a float64). */
  static boolean same(JsonNode a, JsonNode b) {
    if (a == null || b == null) {
      return a == b;
    }
    if (a.isNumber() && b.isNumber()) {
      return a.asDouble() == b.asDouble();
    }
    return a.equals(b);
  }

  private static ArrayNode array(List<JsonNode> items) {
    ArrayNode a = JsonNodeFactory.instance.arrayNode();
    items.forEach(a::add);
    return a;
  }

  /** Removes null map values, as the merge does for values it takes from the patch whole. */
  static JsonNode discardNulls(JsonNode v) {
    if (v.isObject()) {
      ObjectNode o = (ObjectNode) v;
      List<String> nulls = new ArrayList<>();
      o.fields()
          .forEachRemaining(
              e -> {
                if (e.getValue().isNull()) {
                  nulls.add(e.getKey());
                } else {
                  discardNulls(e.getValue());
                }
              });
      o.remove(nulls);
    } else if (v.isArray()) {
      v.forEach(StrategicMerge::discardNulls);
    }
    return v;
  }
}

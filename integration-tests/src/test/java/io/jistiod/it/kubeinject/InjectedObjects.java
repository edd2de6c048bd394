package io.jistiod.it.kubeinject;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.TreeSet;

/**
 * kube-inject outputs compared as the objects they describe: YAML parsed, documents in order,
 * mapping keys in any order, list items in order, scalars by value and type (so {@code "1"} and
 * {@code 1} differ, as they do for the API server).
 */
public final class InjectedObjects {
  private InjectedObjects() {}

  /** The documents of a kube-inject output. */
  public static List<JsonNode> parse(String output) throws IOException {
    return InjectorConfigs.documents(output);
  }

  /**
   * Where {@code ours} differs from {@code reference}: one line per differing path (JSON pointer
   * after the document index), at most {@code limit}; empty when they are equal.
   */
  public static List<String> differences(List<JsonNode> reference, List<JsonNode> ours, int limit) {
    List<String> out = new ArrayList<>();
    if (reference.size() != ours.size()) {
      out.add("documents: " + reference.size() + " in the reference, " + ours.size() + " in ours");
    }
    for (int i = 0; i < Math.min(reference.size(), ours.size()) && out.size() < limit; i++) {
      walk("[" + i + "]", reference.get(i), ours.get(i), out, limit);
    }
    return out;
  }

  private static void walk(String path, JsonNode ref, JsonNode ours, List<String> out, int limit) {
    if (out.size() >= limit || ref.equals(ours)) {
      return;
    }
    if (ref.isObject() && ours.isObject()) {
      TreeSet<String> keys = new TreeSet<>();
      ref.fieldNames().forEachRemaining(keys::add);
      ours.fieldNames().forEachRemaining(keys::add);
      for (String k : keys) {
        String p = path + "/" + k.replace("~", "~0").replace("/", "~1");
        if (!ref.has(k)) {
          out.add(p + ": only in ours: " + brief(ours.get(k)));
        } else if (!ours.has(k)) {
          out.add(p + ": only in the reference: " + brief(ref.get(k)));
        } else {
          walk(p, ref.get(k), ours.get(k), out, limit);
        }
        if (out.size() >= limit) {
          return;
        }
      }
    } else if (ref.isArray() && ours.isArray() && ref.size() == ours.size()) {
      Iterator<JsonNode> a = ref.elements();
      Iterator<JsonNode> b = ours.elements();
      for (int i = 0; a.hasNext(); i++) {
        walk(path + "/" + i, a.next(), b.next(), out, limit);
      }
    } else {
      out.add(path + ": reference " + brief(ref) + ", ours " + brief(ours));
    }
  }

  private static String brief(JsonNode n) {
    String s = n.toString();
    return s.length() > 200 ? s.substring(0, 200) + "..." : s;
  }
}

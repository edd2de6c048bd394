package io.jistiod.injector.template;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** mergo's Merge/MergeWithOverwrite on maps as sprig's merge functions use them. */
final class Merging {
  private Merging() {}

  @SuppressWarnings("unchecked")
  static void merge(Map<Object, Object> dst, Map<Object, Object> src, boolean overwrite) {
    if (src == null) {
      return;
    }
    for (Map.Entry<Object, Object> e : src.entrySet()) {
      Object k = e.getKey();
      Object sv = e.getValue();
      Object dv = dst.get(k);
      if (dv instanceof Map && sv instanceof Map) {
        merge((Map<Object, Object>) dv, (Map<Object, Object>) sv, overwrite);
      } else if (!dst.containsKey(k) || SprigFunctions.empty(dv)) {
        dst.put(k, sv);
      } else if (overwrite && !SprigFunctions.empty(sv)) {
        dst.put(k, sv);
      }
    }
  }

  static Object deepCopy(Object v) {
    if (v instanceof Map<?, ?> m) {
      Map<Object, Object> out = new LinkedHashMap<>();
      m.forEach((k, val) -> out.put(k, deepCopy(val)));
      return v instanceof TypedMap t ? new TypedMap(out, t.elemZero()) : out;
    }
    if (v instanceof List<?> l) {
      List<Object> out = new ArrayList<>();
      l.forEach(x -> out.add(deepCopy(x)));
      return out;
    }
    return v;
  }
}

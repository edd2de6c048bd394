package io.jistiod.it.load;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Bytes of the responses the simulated proxies received, in all and per proxy kind and type, so a
 * run can say which responses a phase's bytes (and the clients' parsing) went to.
 */
final class ByteCounts {
  private final LongAdder total = new LongAdder();
  private final Map<String, LongAdder> byKindAndType = new ConcurrentHashMap<>();

  void add(String proxyKind, String typeUrl, int bytes) {
    total.add(bytes);
    String type = typeUrl.substring(typeUrl.lastIndexOf('.') + 1);
    byKindAndType.computeIfAbsent(proxyKind + " " + type, k -> new LongAdder()).add(bytes);
  }

  long total() {
    return total.sum();
  }

  /** The bytes per "kind Type" now. */
  Map<String, Long> snapshot() {
    Map<String, Long> out = new TreeMap<>();
    byKindAndType.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  /** What was received between two snapshots, as "kind Type MiB, ..." (types with bytes only). */
  static String since(Map<String, Long> before, Map<String, Long> after) {
    StringBuilder sb = new StringBuilder();
    after.forEach(
        (k, v) -> {
          long d = v - before.getOrDefault(k, 0L);
          if (d > 0) {
            sb.append(sb.length() == 0 ? "" : ", ")
                .append(k)
                .append(' ')
                .append(String.format(Locale.ROOT, "%.1f MiB", d / 1048576.0));
          }
        });
    return sb.length() == 0 ? "nothing" : sb.toString();
  }
}

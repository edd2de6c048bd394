package io.jistiod.it.load;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The comparison's printout: one row per figure with ours, the reference's and ours/reference, and
 * the closing ratio line {@code ratio convergence_p99=X rss=Y cpu=Z}, convergence being the worst
 * over the changes of ours/reference p99.
 */
final class CompareReport {
  private CompareReport() {}

  /** One server's figures alone (a run with LOAD_ONLY): the figure and value columns. */
  static String single(ServerFigures figures) {
    return format(rows(figures, figures), 2);
  }

  static String table(ServerFigures ours, ServerFigures ref) {
    return format(rows(ours, ref), 4);
  }

  private static List<String[]> rows(ServerFigures ours, ServerFigures ref) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"figure", "ours", "reference", "ratio"});
    row(rows, "time to ready (s)", ours.readySeconds(), ref.readySeconds(), 2);
    row(
        rows,
        "time to all proxies configured (s)",
        ours.configuredSeconds(),
        ref.configuredSeconds(),
        2);
    for (Map.Entry<String, Convergence> e : ref.changes().entrySet()) {
      Convergence o = ours.changes().get(e.getKey());
      Convergence r = e.getValue();
      if (o == null) {
        continue;
      }
      String what = e.getKey();
      rows.add(
          new String[] {
            what + " converged",
            o.converged() + "/" + o.expected(),
            r.converged() + "/" + r.expected(),
            ""
          });
      row(rows, what + " p50 (ms)", o.p50(), r.p50(), 0);
      row(rows, what + " p99 (ms)", o.p99(), r.p99(), 0);
      row(rows, what + " max (ms)", o.max(), r.max(), 0);
    }
    row(rows, "CPU (s, utime+stime)", ours.cpuSeconds(), ref.cpuSeconds(), 1);
    for (String phase : ref.cpuByPhase().keySet()) {
      Double o = ours.cpuByPhase().get(phase);
      if (o != null) {
        row(rows, "  CPU " + phase + " (s)", o, ref.cpuByPhase().get(phase), 2);
      }
    }
    row(rows, "peak RSS (MiB, VmHWM)", ours.peakRssKib() / 1024.0, ref.peakRssKib() / 1024.0, 0);
    row(rows, "bytes sent (MiB)", ours.bytesTotal() / 1048576.0, ref.bytesTotal() / 1048576.0, 1);
    row(
        rows,
        "  initial config (MiB)",
        ours.bytesInitial() / 1048576.0,
        ref.bytesInitial() / 1048576.0,
        1);
    return rows;
  }

  private static String format(List<String[]> rows, int columns) {
    int[] w = new int[columns];
    for (String[] r : rows) {
      for (int i = 0; i < columns; i++) {
        w[i] = Math.max(w[i], r[i].length());
      }
    }
    StringBuilder sb = new StringBuilder();
    for (String[] r : rows) {
      for (int i = 0; i < columns; i++) {
        String cell = i == 0 ? "%-" + w[i] + "s" : "  %" + w[i] + "s";
        sb.append(String.format(Locale.ROOT, cell, r[i]));
      }
      sb.append(System.lineSeparator());
    }
    return sb.toString();
  }

  /** Ours over the reference's, worst over the changes for convergence; two decimals. */
  static String ratioLine(ServerFigures ours, ServerFigures ref) {
    double worst = Double.NaN;
    for (Map.Entry<String, Convergence> e : ref.changes().entrySet()) {
      Convergence o = ours.changes().get(e.getKey());
      if (o == null) {
        continue;
      }
      double r = o.p99() / e.getValue().p99();
      if (Double.isNaN(worst) || r > worst) {
        worst = r;
      }
    }
    return String.format(
        Locale.ROOT,
        "ratio convergence_p99=%.2f rss=%.2f cpu=%.2f",
        worst,
        (double) ours.peakRssKib() / ref.peakRssKib(),
        ours.cpuSeconds() / ref.cpuSeconds());
  }

  private static void row(
      List<String[]> rows, String figure, double ours, double ref, int decimals) {
    String f = "%." + decimals + "f";
    rows.add(
        new String[] {
          figure,
          String.format(Locale.ROOT, f, ours),
          String.format(Locale.ROOT, f, ref),
          ref == 0 ? "-" : String.format(Locale.ROOT, "%.2f", ours / ref)
        });
  }
}

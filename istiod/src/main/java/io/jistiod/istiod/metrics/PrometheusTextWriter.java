package io.jistiod.istiod.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Writes Micrometer meters in the Prometheus text format (0.0.4) with istiod's exact metric names.
 *
 * <p>Why not Micrometer's Prometheus registry: it appends {@code _total} to every counter and unit
 * suffixes to timers, while istiod exports counters without suffixes ({@code pilot_xds_pushes}, not
 * {@code pilot_xds_pushes_total}) and histograms in seconds under their own names. Istio's Grafana
 * dashboards and alerts query those exact names, so names here are written as registered.
 */
public final class PrometheusTextWriter {
  private PrometheusTextWriter() {}

  public static String write(MeterRegistry registry) {
    Map<String, List<Meter>> byName = new LinkedHashMap<>();
    List<Meter> meters = new ArrayList<>(registry.getMeters());
    meters.sort(Comparator.comparing(m -> m.getId().getName()));
    for (Meter m : meters) {
      byName.computeIfAbsent(m.getId().getName(), n -> new ArrayList<>()).add(m);
    }
    StringBuilder out = new StringBuilder();
    for (var entry : byName.entrySet()) {
      String name = entry.getKey();
      List<Meter> family = entry.getValue();
      Meter first = family.get(0);
      String help = first.getId().getDescription();
      if (help != null && !help.isEmpty()) {
        out.append("# HELP ").append(name).append(' ').append(escapeHelp(help)).append('\n');
      }
      out.append("# TYPE ").append(name).append(' ').append(type(first)).append('\n');
      for (Meter m : family) {
        writeMeter(out, name, m);
      }
    }
    return out.toString();
  }

  private static String type(Meter m) {
    if (m instanceof Counter || m instanceof FunctionCounter) {
      return "counter";
    }
    if (m instanceof Timer || m instanceof DistributionSummary) {
      return "histogram";
    }
    return "gauge";
  }

  private static void writeMeter(StringBuilder out, String name, Meter m) {
    List<Tag> tags = m.getId().getTags();
    if (m instanceof Counter c) {
      sample(out, name, tags, null, c.count());
    } else if (m instanceof FunctionCounter fc) {
      sample(out, name, tags, null, fc.count());
    } else if (m instanceof TimeGauge tg) {
      sample(out, name, tags, null, tg.value(TimeUnit.SECONDS));
    } else if (m instanceof Gauge g) {
      sample(out, name, tags, null, g.value());
    } else if (m instanceof Timer t) {
      histogram(out, name, tags, t.takeSnapshot(), true);
    } else if (m instanceof DistributionSummary s) {
      histogram(out, name, tags, s.takeSnapshot(), false);
    } else {
      for (var measurement : m.measure()) {
        sample(out, name, tags, null, measurement.getValue());
      }
    }
  }

  private static void histogram(
      StringBuilder out, String name, List<Tag> tags, HistogramSnapshot snap, boolean seconds) {
    for (CountAtBucket b : snap.histogramCounts()) {
      double le = seconds ? b.bucket(TimeUnit.SECONDS) : b.bucket();
      sample(out, name + "_bucket", tags, formatDouble(le), b.count());
    }
    sample(out, name + "_bucket", tags, "+Inf", snap.count());
    sample(out, name + "_sum", tags, null, seconds ? snap.total(TimeUnit.SECONDS) : snap.total());
    sample(out, name + "_count", tags, null, snap.count());
  }

  private static void sample(StringBuilder out, String name, List<Tag> tags, String le, double v) {
    out.append(name);
    if (!tags.isEmpty() || le != null) {
      out.append('{');
      boolean first = true;
      for (Tag t : tags) {
        if (!first) {
          out.append(',');
        }
        first = false;
        out.append(t.getKey()).append("=\"").append(escapeLabel(t.getValue())).append('"');
      }
      if (le != null) {
        out.append(first ? "" : ",").append("le=\"").append(le).append('"');
      }
      out.append('}');
    }
    out.append(' ').append(formatDouble(v)).append('\n');
  }

  private static String formatDouble(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "+Inf" : "-Inf";
    }
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    return Double.toString(v);
  }

  private static String escapeLabel(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  private static String escapeHelp(String s) {
    return s.replace("\\", "\\\\").replace("\n", "\\n");
  }
}

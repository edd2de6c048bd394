package io.jistiod.istiod.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes Micrometer meters in the Prometheus text format 0.0.4, with Istio's metric names.
 *
 * <p>Why not Micrometer's Prometheus registry: it appends {@code _total} to every counter and unit
 * suffixes to timers, while istiod exports counters without suffixes ({@code pilot_xds_pushes}, not
 * {@code pilot_xds_pushes_total}) and histograms in seconds under their own names. Istio's Grafana
 * dashboards and alerts query those exact names. {@link PrometheusNames} says how names are made.
 *
 * <p>What makes the page one a strict parser accepts whole, whatever was registered:
 *
 * <ul>
 *   <li>Micrometer's synthetic meters are skipped: for a timer with buckets its registry adds
 *       gauges named {@code <name>.histogram} with an {@code le} tag, a dotted name that made
 *       Prometheus reject the page; the histogram itself is written here with its buckets;
 *   <li>every name and label name is legal; a tag named {@code le} on a histogram (or {@code
 *       quantile} on a summary) is written as {@code exported_le}, as Prometheus renames clashes;
 *   <li>one HELP and one TYPE per family, its series together; a meter whose family already has
 *       another type, a series whose labels repeat one already written, and a family named like
 *       another histogram's {@code _bucket}/{@code _sum}/{@code _count} series are left out;
 *   <li>label values and help text are escaped; a counter that reads NaN (its object was collected)
 *       is left out;
 *   <li>a histogram's {@code +Inf} bucket and {@code _count} are the same number, never below the
 *       highest finite bucket, so buckets never fall even when a sample lands while it is read.
 * </ul>
 *
 * A meter whose value cannot be read is left out (logged at debug), never failing the page.
 */
public final class PrometheusTextWriter {
  private static final Logger log = LoggerFactory.getLogger(PrometheusTextWriter.class);

  private PrometheusTextWriter() {}

  public static String write(MeterRegistry registry) {
    Map<String, Family> families = new TreeMap<>();
    for (Meter m : registry.getMeters()) {
      if (m.getId().syntheticAssociation() != null) {
        continue; // derived from another meter, which is written in full
      }
      try {
        collect(m, families);
      } catch (RuntimeException e) {
        log.debug("metric {} left out: {}", m.getId(), e.toString());
      }
    }
    dropShadowedFamilies(families);
    StringBuilder out = new StringBuilder(16 * 1024);
    for (Family f : families.values()) {
      f.writeTo(out);
    }
    return out.toString();
  }

  private static void collect(Meter m, Map<String, Family> families) {
    String name = PrometheusNames.metricName(m);
    String help = m.getId().getDescription();
    if (m instanceof Counter c) {
      counter(families, name, help, m, c.count());
    } else if (m instanceof FunctionCounter fc) {
      counter(families, name, help, m, fc.count());
    } else if (m instanceof TimeGauge tg) {
      gauge(families, name, help, m, tg.value(TimeUnit.SECONDS));
    } else if (m instanceof Gauge g) {
      gauge(families, name, help, m, g.value());
    } else if (m instanceof Timer t) {
      distribution(families, name, help, m, t.takeSnapshot(), true);
    } else if (m instanceof DistributionSummary s) {
      distribution(families, name, help, m, s.takeSnapshot(), false);
    } else if (m instanceof FunctionTimer ft) {
      Labels labels = Labels.of(m, "quantile");
      Series s = new Series(labels);
      s.sample("_sum", null, ft.totalTime(TimeUnit.SECONDS));
      s.sample("_count", null, ft.count());
      family(families, name, "summary", help).add(s);
    } else if (m instanceof LongTaskTimer ltt) {
      gauge(families, name + "_active_count", help, m, ltt.activeTasks());
      gauge(families, name + "_duration_sum", help, m, ltt.duration(TimeUnit.SECONDS));
      gauge(families, name + "_max", help, m, ltt.max(TimeUnit.SECONDS));
    } else {
      for (Measurement measurement : m.measure()) {
        String stat = measurement.getStatistic().getTagValueRepresentation();
        String suffix = stat.equals("value") ? "" : "_" + stat.toLowerCase(Locale.ROOT);
        gauge(families, name + suffix, help, m, measurement.getValue());
      }
    }
  }

  private static void counter(
      Map<String, Family> families, String name, String help, Meter m, double value) {
    if (Double.isNaN(value)) {
      return;
    }
    Series s = new Series(Labels.of(m, null));
    s.sample("", null, value);
    family(families, name, "counter", help).add(s);
  }

  private static void gauge(
      Map<String, Family> families, String name, String help, Meter m, double value) {
    Series s = new Series(Labels.of(m, null));
    s.sample("", null, value);
    family(families, name, "gauge", help).add(s);
  }

  /**
   * A timer or distribution summary: a histogram when it has buckets (Istio's distributions), else
   * a summary of count and sum with a {@code _max} gauge, as Micrometer's JVM timers are read.
   */
  private static void distribution(
      Map<String, Family> families,
      String name,
      String help,
      Meter m,
      HistogramSnapshot snap,
      boolean seconds) {
    CountAtBucket[] buckets = snap.histogramCounts();
    double sum = seconds ? snap.total(TimeUnit.SECONDS) : snap.total();
    if (buckets.length == 0) {
      Series s = new Series(Labels.of(m, "quantile"));
      s.sample("_sum", null, sum);
      s.sample("_count", null, snap.count());
      if (family(families, name, "summary", help).add(s)) {
        gauge(families, name + "_max", help, m, seconds ? snap.max(TimeUnit.SECONDS) : snap.max());
      }
      return;
    }
    Series s = new Series(Labels.of(m, "le"));
    double highest = 0;
    for (CountAtBucket b : buckets) {
      double le = seconds ? b.bucket(TimeUnit.SECONDS) : b.bucket();
      if (Double.isInfinite(le)) {
        continue; // written below as +Inf
      }
      highest = Math.max(highest, b.count());
      s.sample("_bucket", PrometheusNames.goFloat(le), highest);
    }
    double count = Math.max(snap.count(), highest);
    s.sample("_bucket", "+Inf", count);
    s.sample("_sum", null, sum);
    s.sample("_count", null, count);
    family(families, name, "histogram", help).add(s);
  }

  private static Family family(
      Map<String, Family> families, String name, String type, String help) {
    Family f = families.computeIfAbsent(name, n -> new Family(n, type, help));
    if (!f.type.equals(type)) {
      log.debug("metric {} ({}) left out: {} is a {}", name, type, name, f.type);
      return new Family(name, type, help); // detached: what is added to it is never written
    }
    return f;
  }

  /** Drops families that read as series of a histogram or summary ({@code x_count} beside x). */
  private static void dropShadowedFamilies(Map<String, Family> families) {
    List<String> shadowed = new ArrayList<>();
    for (Family f : families.values()) {
      if (f.type.equals("histogram") || f.type.equals("summary")) {
        for (String suffix : List.of("_bucket", "_sum", "_count")) {
          if (families.containsKey(f.name + suffix)) {
            shadowed.add(f.name + suffix);
          }
        }
      }
    }
    for (String name : shadowed) {
      log.debug("metric {} left out: it reads as a series of histogram or summary", name);
      families.remove(name);
    }
  }

  private static final class Family {
    final String name;
    final String type;
    final String help;
    final Map<String, Series> series = new TreeMap<>();

    Family(String name, String type, String help) {
      this.name = name;
      this.type = type;
      this.help = help;
    }

    /** Adds {@code s} unless a series with the same labels is there; returns whether it did. */
    boolean add(Series s) {
      return series.putIfAbsent(s.labels.text, s) == null;
    }

    void writeTo(StringBuilder out) {
      if (series.isEmpty()) {
        return;
      }
      if (help != null && !help.isEmpty()) {
        out.append("# HELP ").append(name).append(' ').append(escapeHelp(help)).append('\n');
      }
      out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
      for (Series s : series.values()) {
        s.writeTo(out, name);
      }
    }
  }

  /** One labelled series: its samples (several for a histogram), in writing order. */
  private static final class Series {
    final Labels labels;
    final List<String[]> samples = new ArrayList<>();

    Series(Labels labels) {
      this.labels = labels;
    }

    void sample(String suffix, String le, double value) {
      samples.add(new String[] {suffix, le, formatValue(value)});
    }

    void writeTo(StringBuilder out, String name) {
      for (String[] s : samples) {
        out.append(name).append(s[0]);
        String le = s[1];
        if (!labels.text.isEmpty() || le != null) {
          out.append('{').append(labels.text);
          if (le != null) {
            out.append(labels.text.isEmpty() ? "" : ",").append("le=\"").append(le).append('"');
          }
          out.append('}');
        }
        out.append(' ').append(s[2]).append('\n');
      }
    }
  }

  /** A meter's tags as the text between the braces, {@code a="x",b="y"}. */
  private record Labels(String text) {
    /**
     * @param reserved the label the writer adds itself ({@code le}, {@code quantile}), or null; a
     *     tag with that name is written as {@code exported_<name>}
     */
    static Labels of(Meter m, String reserved) {
      Map<String, String> labels = new LinkedHashMap<>();
      for (Tag t : m.getId().getTags()) {
        String name = PrometheusNames.labelName(t.getKey());
        if (name.equals(reserved)) {
          name = "exported_" + name;
        }
        labels.putIfAbsent(name, t.getValue());
      }
      StringBuilder b = new StringBuilder();
      for (var e : labels.entrySet()) {
        if (b.length() > 0) {
          b.append(',');
        }
        b.append(e.getKey()).append("=\"").append(escapeLabel(e.getValue())).append('"');
      }
      return new Labels(b.toString());
    }
  }

  static String formatValue(double v) {
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

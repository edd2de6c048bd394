package io.jistiod.istiod.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import java.math.BigDecimal;
import java.util.Locale;

/**
 * Turns Micrometer meter and tag names into legal Prometheus names (exposition format 0.0.4).
 *
 * <p>Two kinds of names are registered in istiod. Istio's own metrics are registered under their
 * exact Prometheus names ({@code pilot_xds_pushes}, a counter without {@code _total}), because
 * Istio's dashboards and alerts query those names; they are written unchanged. Micrometer's binders
 * (JVM memory, GC, threads, classes) use dotted names with a base unit ({@code jvm.memory.used},
 * bytes); those are written as Micrometer's own Prometheus registry names them ({@code
 * jvm_memory_used_bytes}, counters with {@code _total}), the names JVM dashboards query. A name is
 * of the second kind when it is not already a legal Prometheus name.
 */
final class PrometheusNames {
  private PrometheusNames() {}

  /** Whether {@code name} is a legal metric name: {@code [a-zA-Z_:][a-zA-Z0-9_:]*}. */
  static boolean isLegalMetricName(String name) {
    if (name.isEmpty()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
      if (!letter && !(i > 0 && c >= '0' && c <= '9')) {
        return false;
      }
    }
    return true;
  }

  /** The family name of {@code meter}: its own if legal, else the Micrometer convention's. */
  static String metricName(Meter meter) {
    String name = meter.getId().getName();
    if (isLegalMetricName(name)) {
      return name;
    }
    String out = sanitize(name, true);
    String unit = baseUnit(meter);
    if (unit != null && !out.endsWith("_" + unit)) {
      out = out + "_" + unit;
    }
    if ((meter instanceof Counter || meter instanceof FunctionCounter) && !out.endsWith("_total")) {
      out = out + "_total";
    }
    return out;
  }

  private static String baseUnit(Meter meter) {
    if (meter instanceof Timer
        || meter instanceof FunctionTimer
        || meter instanceof LongTaskTimer
        || meter instanceof TimeGauge) {
      return "seconds"; // written in seconds whatever unit they were recorded in
    }
    String unit = meter.getId().getBaseUnit();
    return unit == null || unit.isBlank() ? null : sanitize(unit.toLowerCase(Locale.ROOT), false);
  }

  /**
   * A legal label name for tag key {@code key}: illegal characters become {@code _}, a leading
   * digit gets a {@code _} before it, and the {@code __} prefix (reserved for Prometheus' own
   * labels) is cut to one {@code _}.
   */
  static String labelName(String key) {
    String out = sanitize(key, false);
    while (out.startsWith("__")) {
      out = out.substring(1);
    }
    return out;
  }

  /** {@code s} with every character outside the name alphabet replaced by {@code _}. */
  private static String sanitize(String s, boolean colonAllowed) {
    StringBuilder b = new StringBuilder(s.length() + 1);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || c == '_'
              || (c >= '0' && c <= '9')
              || (colonAllowed && c == ':');
      b.append(ok ? c : '_');
    }
    if (b.length() == 0 || (b.charAt(0) >= '0' && b.charAt(0) <= '9')) {
      b.insert(0, '_');
    }
    return b.toString();
  }

  /**
   * A bucket bound as Go's {@code strconv.FormatFloat(v, 'g', -1, 64)} writes it, which is how
   * Istio's {@code le} labels read ({@code 0.01}, {@code 1e+06}), so queries grouping by {@code le}
   * see the same strings from us and from Istio.
   */
  static String goFloat(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "+Inf" : "-Inf";
    }
    if (v == 0) {
      return "0";
    }
    BigDecimal d = new BigDecimal(Double.toString(v)).stripTrailingZeros();
    String digits = d.unscaledValue().abs().toString();
    int exponent = digits.length() - 1 - d.scale();
    String sign = v < 0 ? "-" : "";
    if (exponent < -4 || exponent >= 6) { // Go's %e/%f switch for the shortest form
      StringBuilder b = new StringBuilder(sign).append(digits.charAt(0));
      if (digits.length() > 1) {
        b.append('.').append(digits, 1, digits.length());
      }
      b.append('e').append(exponent < 0 ? '-' : '+');
      int abs = Math.abs(exponent);
      return b.append(abs < 10 ? "0" : "").append(abs).toString();
    }
    return sign + d.abs().toPlainString();
  }
}

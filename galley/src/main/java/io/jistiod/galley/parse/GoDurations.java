package io.jistiod.galley.parse;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Go's duration syntax ({@code 30ms}, {@code 1m30s}, {@code 24h}), which Istio accepts wherever a
 * duration goes (its Go JSON reader uses {@code time.ParseDuration}), and istiod's env vars use.
 */
public final class GoDurations {
  private static final Pattern PART =
      Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|µs|μs|ms|s|m|h)");

  private GoDurations() {}

  /**
   * Parses {@code s}; returns null if it is not a Go duration. A leading sign is allowed, as in Go.
   */
  public static Duration parse(String s) {
    if (s == null || s.isEmpty()) {
      return null;
    }
    boolean negative = s.startsWith("-");
    String body = negative || s.startsWith("+") ? s.substring(1) : s;
    if (body.equals("0")) {
      return Duration.ZERO;
    }
    Matcher m = PART.matcher(body);
    double nanos = 0;
    int end = 0;
    while (m.find() && m.start() == end) {
      double n = Double.parseDouble(m.group(1));
      double unit;
      switch (m.group(2)) {
        case "ns":
          unit = 1;
          break;
        case "us":
        case "µs":
        case "μs":
          unit = 1e3;
          break;
        case "ms":
          unit = 1e6;
          break;
        case "s":
          unit = 1e9;
          break;
        case "m":
          unit = 60e9;
          break;
        default:
          unit = 3600e9;
      }
      nanos += n * unit;
      end = m.end();
    }
    if (end == 0 || end != body.length() || nanos > Long.MAX_VALUE) {
      return null;
    }
    Duration d = Duration.ofNanos(Math.round(nanos));
    return negative ? d.negated() : d;
  }
}

package io.jistiod.istiod;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Go's duration syntax ({@code 100ms}, {@code 1m30s}), which istiod's flags and env vars use. */
final class GoDuration {
  private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

  private GoDuration() {}

  static Duration parse(String what, String s) {
    if (s.equals("0")) {
      return Duration.ZERO;
    }
    Matcher m = PART.matcher(s);
    long nanos = 0;
    int end = 0;
    while (m.find() && m.start() == end) {
      double n = Double.parseDouble(m.group(1));
      long unit;
      switch (m.group(2)) {
        case "ns":
          unit = 1;
          break;
        case "us":
        case "µs":
          unit = 1_000;
          break;
        case "ms":
          unit = 1_000_000;
          break;
        case "s":
          unit = 1_000_000_000L;
          break;
        case "m":
          unit = 60_000_000_000L;
          break;
        default:
          unit = 3_600_000_000_000L;
      }
      nanos += (long) (n * unit);
      end = m.end();
    }
    if (end != s.length() || end == 0) {
      throw new IllegalArgumentException(
          what + ": \"" + s + "\" is not a duration (e.g. 100ms, 10s)");
    }
    return Duration.ofNanos(nanos);
  }
}

package io.jistiod.galley.validation;

import com.google.protobuf.Duration;

/** Istio's duration rule: at least 1ms, in whole milliseconds. */
final class Durations {
  private Durations() {}

  /** Why {@code d} is not a valid Istio duration, or null. */
  static String problem(Duration d) {
    long seconds = d.getSeconds();
    int nanos = d.getNanos();
    if (seconds < 0 || (seconds == 0 && nanos < 1_000_000)) {
      return "duration must be at least 1ms, got " + format(d);
    }
    if (nanos % 1_000_000 != 0) {
      return "only durations to millisecond precision are supported, got " + format(d);
    }
    return null;
  }

  static void check(Duration d, String path, Findings f) {
    f.errorIf(path, problem(d));
  }

  static boolean isZero(Duration d) {
    return d.getSeconds() == 0 && d.getNanos() == 0;
  }

  static String format(Duration d) {
    return com.google.protobuf.util.Durations.toString(normalize(d));
  }

  private static Duration normalize(Duration d) {
    try {
      return com.google.protobuf.util.Durations.checkValid(d);
    } catch (IllegalArgumentException e) {
      return Duration.getDefaultInstance();
    }
  }
}

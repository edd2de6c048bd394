package io.jistiod.injector.template;

import com.google.protobuf.Duration;

/** Go's time.Duration String ("1h2m3.5s", "45s", "1.5ms", "0s") for a protobuf Duration. */
final class GoDuration {
  private GoDuration() {}

  static String format(Duration d) {
    if (d == null) {
      return "0s";
    }
    java.math.BigInteger n =
        java.math.BigInteger.valueOf(d.getSeconds())
            .multiply(java.math.BigInteger.valueOf(1_000_000_000L))
            .add(java.math.BigInteger.valueOf(d.getNanos()));
    // AsDuration saturates at the int64 range.
    long nanos =
        n.bitLength() < 64 ? n.longValue() : n.signum() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
    return format(nanos);
  }

  static String format(long nanos) {
    if (nanos == 0) {
      return "0s";
    }
    boolean neg = nanos < 0;
    java.math.BigInteger u = java.math.BigInteger.valueOf(nanos).abs();
    String s;
    if (u.compareTo(java.math.BigInteger.valueOf(1_000_000_000L)) < 0) {
      long v = u.longValue();
      if (v < 1000) {
        s = v + "ns";
      } else if (v < 1_000_000) {
        s = frac(v, 3) + "µs";
      } else {
        s = frac(v, 6) + "ms";
      }
    } else {
      java.math.BigInteger[] sec =
          u.divideAndRemainder(java.math.BigInteger.valueOf(1_000_000_000L));
      long secs = sec[0].longValue();
      long fracNanos = sec[1].longValue();
      StringBuilder b = new StringBuilder();
      long h = secs / 3600;
      long m = (secs / 60) % 60;
      long ss = secs % 60;
      if (h > 0) {
        b.append(h).append('h');
      }
      if (h > 0 || m > 0) {
        b.append(m).append('m');
      }
      b.append(ss);
      if (fracNanos > 0) {
        String f = String.format("%09d", fracNanos).replaceAll("0+$", "");
        b.append('.').append(f);
      }
      b.append('s');
      s = b.toString();
    }
    return neg ? "-" + s : s;
  }

  private static String frac(long v, int digits) {
    long p = (long) Math.pow(10, digits);
    long whole = v / p;
    long rest = v % p;
    if (rest == 0) {
      return Long.toString(whole);
    }
    String f = String.format("%0" + digits + "d", rest).replaceAll("0+$", "");
    return whole + "." + f;
  }
}

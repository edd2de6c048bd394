package io.jistiod.injector.template;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/** strconv.FormatFloat for float64: the 'e', 'f' and 'g' formats, shortest or with precision. */
final class GoFloat {
  private GoFloat() {}

  /** Decimal digits without trailing zeros and the decimal point position (0.d1d2 x 10^dp). */
  private record Digits(String d, int dp) {
    int nd() {
      return d.length();
    }
  }

  private static Digits digits(BigDecimal v) {
    v = v.abs();
    if (v.signum() == 0) {
      return new Digits("", 0);
    }
    v = v.stripTrailingZeros();
    String u = v.unscaledValue().toString();
    return new Digits(u, u.length() - v.scale());
  }

  private static Digits shortest(double d) {
    return digits(new BigDecimal(Double.toString(Math.abs(d))));
  }

  static String format(double v, char fmt, int prec) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "+Inf" : "-Inf";
    }
    boolean neg = v < 0 || (v == 0 && 1 / v < 0);
    String body = formatAbs(Math.abs(v), fmt, prec);
    return neg ? "-" + body : body;
  }

  private static String formatAbs(double v, char fmt, int prec) {
    boolean shortest = prec < 0;
    Digits digs;
    char lower = Character.toLowerCase(fmt);
    if (shortest) {
      digs = shortest(v);
      if (lower == 'e') {
        prec = Math.max(digs.nd() - 1, 0);
      } else if (lower == 'f') {
        prec = Math.max(digs.nd() - digs.dp(), 0);
      } else {
        prec = digs.nd();
      }
    } else if (lower == 'f') {
      digs = digits(new BigDecimal(v).setScale(prec, RoundingMode.HALF_EVEN));
    } else {
      int n = lower == 'e' ? prec + 1 : Math.max(prec, 1);
      if (lower == 'g' && prec == 0) {
        prec = 1;
      }
      digs = digits(new BigDecimal(v).round(new MathContext(n, RoundingMode.HALF_EVEN)));
    }
    switch (lower) {
      case 'e':
        return fmtE(digs, prec, fmt);
      case 'f':
        return fmtF(digs, prec);
      default:
        int eprec = prec;
        if (eprec > digs.nd() && digs.nd() >= digs.dp()) {
          eprec = digs.nd();
        }
        if (shortest) {
          eprec = 6;
        }
        int exp = digs.dp() - 1;
        if (exp < -4 || exp >= eprec) {
          if (prec > digs.nd()) {
            prec = digs.nd();
          }
          return fmtE(digs, prec - 1, fmt == 'G' ? 'E' : 'e');
        }
        if (prec > digs.dp()) {
          prec = digs.nd();
        }
        return fmtF(digs, Math.max(prec - digs.dp(), 0));
    }
  }

  private static String fmtE(Digits digs, int prec, char e) {
    StringBuilder b = new StringBuilder();
    b.append(digs.nd() == 0 ? '0' : digs.d().charAt(0));
    if (prec > 0) {
      b.append('.');
      for (int i = 1; i <= prec; i++) {
        b.append(i < digs.nd() ? digs.d().charAt(i) : '0');
      }
    }
    b.append(Character.isUpperCase(e) ? 'E' : 'e');
    int exp = digs.nd() == 0 ? 0 : digs.dp() - 1;
    b.append(exp < 0 ? '-' : '+');
    exp = Math.abs(exp);
    if (exp < 10) {
      b.append('0');
    }
    b.append(exp);
    return b.toString();
  }

  private static String fmtF(Digits digs, int prec) {
    StringBuilder b = new StringBuilder();
    if (digs.dp() > 0) {
      for (int i = 0; i < digs.dp(); i++) {
        b.append(i < digs.nd() ? digs.d().charAt(i) : '0');
      }
    } else {
      b.append('0');
    }
    if (prec > 0) {
      b.append('.');
      for (int i = 1; i <= prec; i++) {
        int j = digs.dp() + i - 1;
        b.append(j >= 0 && j < digs.nd() ? digs.d().charAt(j) : '0');
      }
    }
    return b.toString();
  }

  /** encoding/json's float64 format: 'f' unless the exponent is small or large, then 'e'. */
  static String json(double v) {
    double abs = Math.abs(v);
    char fmt = 'f';
    if (abs != 0 && (abs < 1e-6 || abs >= 1e21)) {
      fmt = 'e';
    }
    String s = format(v, fmt, -1);
    if (fmt == 'e') {
      int n = s.length();
      if (n >= 4 && s.charAt(n - 4) == 'e' && s.charAt(n - 3) == '-' && s.charAt(n - 2) == '0') {
        s = s.substring(0, n - 2) + s.substring(n - 1);
      }
    }
    return s;
  }
}

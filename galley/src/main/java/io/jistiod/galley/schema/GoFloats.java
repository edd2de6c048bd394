package io.jistiod.galley.schema;

import java.math.BigDecimal;

/**
 * Go's {@code %v} of a float64 (shortest {@code %g}: exponent form below 1e-4 and from 1e+06), as
 * the API server prints schema bounds ({@code 4.294967295e+09}, {@code 65535}).
 */
final class GoFloats {
  private GoFloats() {}

  static String format(double d) {
    if (d == 0) {
      return "0";
    }
    BigDecimal b = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
    String digits = b.unscaledValue().toString();
    int exp = digits.length() - 1 - b.scale();
    String sign = d < 0 ? "-" : "";
    if (exp < -4 || exp >= 6) {
      String mantissa =
          digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
      return sign + mantissa + "e" + (exp < 0 ? "-" : "+") + String.format("%02d", Math.abs(exp));
    }
    return sign + b.toPlainString();
  }
}

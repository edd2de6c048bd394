package io.jistiod.injector;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kubernetes resource quantities in their canonical form, as Go's {@code resource.Quantity} prints
 * them after decoding ({@code 2000m} is {@code 2}, {@code 1024Mi} is {@code 1Gi}, {@code 0.5} is
 * {@code 500m}): decimal suffixes in steps of 1000, binary ones in steps of 1024, a binary value
 * under 1024 or with a fraction printed in decimal.
 */
final class Quantities {
  private static final Pattern QUANTITY =
      Pattern.compile(
          "^([+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+))([eE][+-]?[0-9]+|[numkMGTPE]|[KMGTPE]i)?$");
  private static final String[] DECIMAL = {"n", "u", "m", "", "k", "M", "G", "T", "P", "E"};
  private static final String[] BINARY = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};

  private Quantities() {}

  /** The canonical form of {@code s}, or {@code s} itself when it is not a quantity. */
  static String canonical(String s) {
    Matcher m = QUANTITY.matcher(s);
    if (!m.matches()) {
      return s;
    }
    BigDecimal v = new BigDecimal(m.group(1));
    String suffix = m.group(2) == null ? "" : m.group(2);
    char format; // 'd' DecimalSI, 'b' BinarySI, 'e' DecimalExponent
    if (suffix.endsWith("i")) {
      format = 'b';
      int power = "KMGTPE".indexOf(suffix.charAt(0)) + 1;
      v = v.multiply(new BigDecimal(BigInteger.valueOf(1024).pow(power)));
    } else if (suffix.startsWith("e") || suffix.startsWith("E")) {
      format = 'e';
      v = v.scaleByPowerOfTen(Integer.parseInt(suffix.substring(1)));
    } else {
      format = 'd';
      int idx = java.util.Arrays.asList(DECIMAL).indexOf(suffix);
      v = v.scaleByPowerOfTen((idx - 3) * 3);
    }
    // Quantities keep nano precision at most, rounded up.
    v = v.setScale(Math.max(0, Math.min(v.scale(), 9)), RoundingMode.UP);
    if (v.signum() == 0) {
      return "0";
    }
    if (format == 'b') {
      if (v.abs().compareTo(BigDecimal.valueOf(1024)) < 0 || v.stripTrailingZeros().scale() > 0) {
        format = 'd';
      } else {
        BigInteger n = v.toBigIntegerExact();
        int exp = 0;
        BigInteger k = BigInteger.valueOf(1024);
        while (exp < 6 && n.mod(k).signum() == 0) {
          n = n.divide(k);
          exp++;
        }
        return n + BINARY[exp];
      }
    }
    BigDecimal d = v.stripTrailingZeros();
    int exponent = -d.scale();
    int exp3 = Math.floorDiv(exponent, 3) * 3;
    BigInteger mantissa = d.unscaledValue().multiply(BigInteger.TEN.pow(exponent - exp3));
    if (format == 'e') {
      return mantissa + (exp3 == 0 ? "" : "e" + exp3);
    }
    if (exp3 > 18) {
      mantissa = mantissa.multiply(BigInteger.TEN.pow(exp3 - 18));
      exp3 = 18;
    }
    return mantissa + DECIMAL[exp3 / 3 + 3];
  }
}

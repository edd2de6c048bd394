package io.jistiod.injector.template;

/** strconv.ParseInt(s, 0, 64): sign, 0x/0o/0b prefixes, leading-0 octal, underscores. */
final class GoNumbers {
  private GoNumbers() {}

  static long parseInt(String s) {
    boolean neg = s.startsWith("-");
    String body = s.startsWith("-") || s.startsWith("+") ? s.substring(1) : s;
    int radix = 10;
    String lower = body.toLowerCase();
    if (lower.startsWith("0x")) {
      radix = 16;
      body = body.substring(2);
    } else if (lower.startsWith("0o")) {
      radix = 8;
      body = body.substring(2);
    } else if (lower.startsWith("0b")) {
      radix = 2;
      body = body.substring(2);
    } else if (body.length() > 1 && body.startsWith("0")) {
      radix = 8;
      body = body.substring(1);
    }
    if (radix != 10 || body.contains("_")) {
      body = body.replace("_", "");
    }
    if (body.isEmpty() || body.startsWith("+") || body.startsWith("-")) {
      throw new NumberFormatException(s);
    }
    long v = Long.parseLong(body, radix);
    return neg ? -v : v;
  }
}

package io.jistiod.injector.template;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** RFC 4648 base32 with padding (Go's base32.StdEncoding). */
final class Base32 {
  private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

  private Base32() {}

  static String encode(byte[] data) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < data.length; i += 5) {
      long buf = 0;
      int n = Math.min(5, data.length - i);
      for (int k = 0; k < 5; k++) {
        buf = (buf << 8) | (k < n ? data[i + k] & 0xff : 0);
      }
      int chars = (n * 8 + 4) / 5;
      for (int k = 0; k < 8; k++) {
        b.append(k < chars ? ALPHABET.charAt((int) ((buf >> (35 - 5 * k)) & 31)) : '=');
      }
    }
    return b.toString();
  }

  static String decode(String s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    long buf = 0;
    int bits = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '=') {
        break;
      }
      int v = ALPHABET.indexOf(c);
      if (v < 0) {
        return "illegal base32 data at input byte " + i;
      }
      buf = (buf << 5) | v;
      bits += 5;
      if (bits >= 8) {
        out.write((int) (buf >> (bits - 8)) & 0xff);
        bits -= 8;
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}

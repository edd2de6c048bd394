package io.jistiod.injector.template;

/** xstrings' ToSnakeCase and ToPascalCase as sprig's snakecase and camelcase use them. */
final class Cases {
  private Cases() {}

  static String snake(String s) {
    StringBuilder b = new StringBuilder();
    char[] c = s.toCharArray();
    for (int i = 0; i < c.length; i++) {
      char ch = c[i];
      if (ch == ' ' || ch == '-' || ch == '_' || ch == '.') {
        if (b.length() > 0 && b.charAt(b.length() - 1) != '_') {
          b.append('_');
        }
        continue;
      }
      if (Character.isUpperCase(ch)) {
        boolean prevLower =
            i > 0 && (Character.isLowerCase(c[i - 1]) || Character.isDigit(c[i - 1]));
        boolean nextLower = i + 1 < c.length && Character.isLowerCase(c[i + 1]);
        boolean prevUpper = i > 0 && Character.isUpperCase(c[i - 1]);
        if (b.length() > 0
            && b.charAt(b.length() - 1) != '_'
            && (prevLower || (prevUpper && nextLower))) {
          b.append('_');
        }
        b.append(Character.toLowerCase(ch));
      } else {
        b.append(ch);
      }
    }
    String out = b.toString();
    return out.endsWith("_") ? out.substring(0, out.length() - 1) : out;
  }

  static String camel(String s) {
    StringBuilder b = new StringBuilder();
    boolean up = true;
    for (char ch : s.toCharArray()) {
      if (ch == '_' || ch == ' ' || ch == '-' || ch == '.') {
        up = true;
        continue;
      }
      b.append(up ? Character.toUpperCase(ch) : ch);
      up = false;
    }
    return b.toString();
  }
}

package io.jistiod.galley.validation;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;

/**
 * Go's verdict on a regex, as {@code regexp.Compile} gives it (the Perl flags), without building
 * anything: Istio's validator compiles user regexes with Go, so every rule of Go's {@code
 * regexp/syntax} parser is part of Istio's verdict, its error text included ({@code error parsing
 * regexp: <code>: `<expr>`}).
 *
 * <p>One left-to-right pass that keeps, per subexpression, only its shape: tree height, Go's
 * estimate of the compiled program size and the largest product of nested repeat counts below it.
 * So Go's limits (a repeat count over 1000, nested repeats whose product exceeds 1000, a tree
 * taller than 1000, a program over 128 MiB of instructions) are checked in time and memory linear
 * in the regex, where compiling first (as re2j does) would expand {@code ((a{1000}){1000}){1000}} a
 * billion times. Errors are reported in the order Go's parser meets them.
 *
 * <p>Semantics are those of the Go release Istio 1.27 is built with (Go 1.24): Unicode class names
 * are exact ({@code \p{Greek}}, not {@code \p{greek}}), see {@link GoUnicodeClasses}. Known
 * approximation: Go factors common prefixes out of alternations before sizing them; this shape does
 * not, so near the size limit an alternation-heavy regex may be judged "too large" slightly earlier
 * than Go does. The height and size limits cannot be reached by a regex Istio accepts by length
 * (1024 bytes), except the size limit through nested literal repeats, which is exact.
 *
 * <p>Not thread-confined: each call builds its own parser.
 */
final class GoRegexSyntax {
  static final int MAX_REPEAT = 1000;
  static final int MAX_HEIGHT = 1000;

  /** Go's {@code maxSize}: 128 MiB of 40-byte instructions. */
  static final long MAX_SIZE = (128L << 20) / 40;

  private static final Set<String> PERL_CLASSES = Set.of("d", "D", "s", "S", "w", "W");
  private static final Set<String> POSIX_CLASSES =
      Set.of(
          "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct",
          "space", "upper", "word", "xdigit");

  private final String s;
  private int pos;
  private final Deque<Group> groups = new ArrayDeque<>();
  private Group top = new Group(false);

  private GoRegexSyntax(String s) {
    this.s = s;
  }

  /** Go's error text for {@code re}, or null when Go compiles it. */
  static String check(String re) {
    try {
      new GoRegexSyntax(re).parse();
      return null;
    } catch (GoError e) {
      return e.getMessage();
    }
  }

  /** Go's program-size estimate for an accepted regex; -1 when Go rejects it. */
  static long estimatedSize(String re) {
    try {
      return new GoRegexSyntax(re).parse().size;
    } catch (GoError e) {
      return -1;
    }
  }

  // ---------------------------------------------------------------------------------- parsing

  private Shape parse() {
    int lastRepeat = -1;
    while (pos < s.length()) {
      int repeat = -1;
      char c = s.charAt(pos);
      switch (c) {
        case '(' -> openParen();
        case '|' -> {
          top.bar();
          pos++;
        }
        case ')' -> closeParen();
        case '^', '$' -> {
          top.push(Shape.assertion());
          pos++;
        }
        case '.' -> {
          top.push(Shape.leaf());
          pos++;
        }
        case '[' -> parseClass();
        case '*', '+', '?' -> {
          repeat = pos;
          int after = pos + 1;
          repeat(c == '*' ? Op.STAR : c == '+' ? Op.PLUS : Op.QUEST, 0, 0, pos, after, lastRepeat);
        }
        case '{' -> {
          int start = pos;
          int[] r = parseRepeat(pos);
          if (r == null) {
            literal(1);
            pos++;
            break;
          }
          int min = r[0];
          int max = r[1];
          int after = r[2];
          if (min < 0 || min > MAX_REPEAT || max > MAX_REPEAT || max >= 0 && min > max) {
            throw error("invalid repeat count", s.substring(start, after));
          }
          repeat = start;
          repeat(Op.REPEAT, min, max, start, after, lastRepeat);
        }
        case '\\' -> escape();
        default -> {
          pos += Character.charCount(s.codePointAt(pos));
          literal(1);
        }
      }
      lastRepeat = repeat;
    }
    Shape whole = top.close();
    if (!groups.isEmpty()) {
      throw error("missing closing )", s);
    }
    return whole;
  }

  private void openParen() {
    if (pos + 1 < s.length() && s.charAt(pos + 1) == '?') {
      perlFlags();
      return;
    }
    pos++;
    open(true);
  }

  private void open(boolean capture) {
    groups.push(top);
    top = new Group(capture);
  }

  private void closeParen() {
    if (groups.isEmpty()) {
      throw error("unexpected )", s);
    }
    Shape inner = top.close();
    boolean capture = top.capture;
    top = groups.pop();
    top.push(capture ? Shape.wrap(inner, 2) : inner.sealed());
    pos++;
  }

  /** {@code (?P<name>}, {@code (?<name>}, {@code (?flags)} or {@code (?flags:}. */
  private void perlFlags() {
    int start = pos;
    int rest = s.length() - start;
    boolean withP = rest > 4 && s.charAt(start + 2) == 'P' && s.charAt(start + 3) == '<';
    boolean withName = rest > 3 && s.charAt(start + 2) == '<';
    if (withP || withName) {
      int end = s.indexOf('>', start);
      if (end < 0) {
        throw error("invalid named capture", s.substring(start));
      }
      String name = s.substring(start + (withP ? 4 : 3), end);
      if (!validCaptureName(name)) {
        throw error("invalid named capture", s.substring(start, end + 1));
      }
      pos = end + 1;
      open(true);
      return;
    }
    int t = start + 2;
    int sign = 1;
    boolean sawFlag = false;
    while (t < s.length()) {
      int c = s.codePointAt(t);
      t += Character.charCount(c);
      if (c == 'i' || c == 'm' || c == 's' || c == 'U') {
        sawFlag = true;
      } else if (c == '-') {
        if (sign < 0) {
          break;
        }
        sign = -1;
        sawFlag = false;
      } else if (c == ':' || c == ')') {
        if (sign < 0 && !sawFlag) {
          break;
        }
        pos = t;
        if (c == ':') {
          open(false);
        }
        return;
      } else {
        break;
      }
    }
    throw error("invalid or unsupported Perl syntax", s.substring(start, t));
  }

  private static boolean validCaptureName(String name) {
    if (name.isEmpty()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c != '_' && !isAlnum(c)) {
        return false;
      }
    }
    return true;
  }

  /** {@code {min}}, {@code {min,}} or {@code {min,max}} at {@code i}: {min, max, end}, or null. */
  private int[] parseRepeat(int i) {
    int[] min = parseInt(i + 1);
    if (min == null || min[1] >= s.length()) {
      return null;
    }
    int t = min[1];
    int max;
    if (s.charAt(t) != ',') {
      max = min[0];
    } else {
      t++;
      if (t >= s.length()) {
        return null;
      }
      if (s.charAt(t) == '}') {
        max = -1;
      } else {
        int[] m = parseInt(t);
        if (m == null) {
          return null;
        }
        max = m[0];
        t = m[1];
        if (max < 0) {
          min[0] = -1;
        }
      }
    }
    if (t >= s.length() || s.charAt(t) != '}') {
      return null;
    }
    return new int[] {min[0], max, t + 1};
  }

  /** Decimal digits at {@code i} (no leading zero): {value or -1 if huge, end}, or null. */
  private int[] parseInt(int i) {
    if (i >= s.length() || !isDigit(s.charAt(i))) {
      return null;
    }
    if (i + 1 < s.length() && s.charAt(i) == '0' && isDigit(s.charAt(i + 1))) {
      return null;
    }
    int end = i;
    while (end < s.length() && isDigit(s.charAt(end))) {
      end++;
    }
    int n = 0;
    for (int k = i; k < end; k++) {
      if (n >= 100_000_000) {
        n = -1;
        break;
      }
      n = n * 10 + s.charAt(k) - '0';
    }
    return new int[] {n, end};
  }

  /** Applies a repetition operator to the last subexpression, with Go's checks in Go's order. */
  private void repeat(Op op, int min, int max, int before, int after, int lastRepeat) {
    if (after < s.length() && s.charAt(after) == '?') {
      after++;
    }
    if (lastRepeat >= 0) {
      throw error("invalid nested repetition operator", s.substring(lastRepeat, after));
    }
    Shape sub = top.popLastAtom();
    if (sub == null) {
      throw error("missing argument to repetition operator", s.substring(before, after));
    }
    Shape re = Shape.repeat(op, min, max, sub);
    checkLimits(re);
    top.push(re);
    if (op == Op.REPEAT && (min >= 2 || max >= 2) && re.product > MAX_REPEAT) {
      throw error("invalid repeat count", s.substring(before, after));
    }
    pos = after;
  }

  private void escape() {
    int start = pos;
    if (pos + 1 < s.length()) {
      char c = s.charAt(pos + 1);
      switch (c) {
        case 'A', 'b', 'B', 'z' -> {
          top.push(Shape.assertion());
          pos += 2;
          return;
        }
        case 'C' -> throw error("invalid escape sequence", "\\C");
        case 'Q' -> {
          int end = s.indexOf("\\E", pos + 2);
          String lit = end < 0 ? s.substring(pos + 2) : s.substring(pos + 2, end);
          pos = end < 0 ? s.length() : end + 2;
          lit.codePoints().forEach(cp -> literal(1));
          return;
        }
        default -> {}
      }
      if (c == 'p' || c == 'P') {
        pos = unicodeClass(start);
        top.push(Shape.leaf());
        return;
      }
      if (PERL_CLASSES.contains(String.valueOf(c))) {
        pos += 2;
        top.push(Shape.leaf());
        return;
      }
    }
    pos = parseEscape(start);
    literal(1);
  }

  /** {@code \pL} or {@code \p{Name}} at {@code i}; returns the end. */
  private int unicodeClass(int i) {
    int t = i + 2;
    String seq;
    String name;
    if (t < s.length() && s.charAt(t) == '{') {
      int end = s.indexOf('}', i);
      if (end < 0) {
        throw error("invalid character class range", s.substring(i));
      }
      seq = s.substring(i, end + 1);
      name = s.substring(i + 3, end);
      t = end + 1;
    } else {
      if (t < s.length()) {
        t += Character.charCount(s.codePointAt(t));
      }
      seq = s.substring(i, t);
      name = seq.substring(2);
    }
    if (!name.isEmpty() && name.charAt(0) == '^') {
      name = name.substring(1);
    }
    if (!GoUnicodeClasses.isName(name)) {
      throw error("invalid character class range", seq);
    }
    return t;
  }

  /** A single-character escape at {@code i} (Go's parseEscape); returns the end. */
  private int parseEscape(int i) {
    int t = i + 1;
    if (t >= s.length()) {
      throw error("trailing backslash at end of expression", "");
    }
    int c = s.codePointAt(t);
    t += Character.charCount(c);
    if (c < 0x80 && !isAlnum(c)) {
      return t;
    }
    switch (c) {
      case '1', '2', '3', '4', '5', '6', '7', '0' -> {
        if (c != '0' && (t >= s.length() || !isOctal(s.charAt(t)))) {
          break;
        }
        for (int k = 1; k < 3 && t < s.length() && isOctal(s.charAt(t)); k++) {
          t++;
        }
        return t;
      }
      case 'x' -> {
        if (t >= s.length()) {
          break;
        }
        int d = s.codePointAt(t);
        t += Character.charCount(d);
        if (d == '{') {
          int nhex = 0;
          long r = 0;
          while (true) {
            if (t >= s.length()) {
              throw error("invalid escape sequence", s.substring(i, t));
            }
            int h = s.codePointAt(t);
            t += Character.charCount(h);
            if (h == '}') {
              break;
            }
            int v = unhex(h);
            if (v < 0) {
              throw error("invalid escape sequence", s.substring(i, t));
            }
            r = r * 16 + v;
            if (r > Character.MAX_CODE_POINT) {
              throw error("invalid escape sequence", s.substring(i, t));
            }
            nhex++;
          }
          if (nhex == 0) {
            break;
          }
          return t;
        }
        int y = -1;
        if (t < s.length()) {
          int e = s.codePointAt(t);
          t += Character.charCount(e);
          y = unhex(e);
        }
        if (unhex(d) < 0 || y < 0) {
          break;
        }
        return t;
      }
      case 'a', 'f', 'n', 'r', 't', 'v' -> {
        return t;
      }
      default -> {}
    }
    throw error("invalid escape sequence", s.substring(i, t));
  }

  /** A bracketed class at {@code pos} (Go's parseClass). */
  private void parseClass() {
    int start = pos;
    int t = pos + 1;
    if (t < s.length() && s.charAt(t) == '^') {
      t++;
    }
    boolean first = true;
    while (t >= s.length() || s.charAt(t) != ']' || first) {
      first = false;
      if (t + 2 < s.length() && s.charAt(t) == '[' && s.charAt(t + 1) == ':') {
        int close = s.indexOf(":]", t + 2);
        if (close >= 0) {
          String name = s.substring(t + 2, close);
          String bare = name.startsWith("^") ? name.substring(1) : name;
          if (!POSIX_CLASSES.contains(bare)) {
            throw error("invalid character class range", s.substring(t, close + 2));
          }
          t = close + 2;
          continue;
        }
      }
      if (t + 1 < s.length()
          && s.charAt(t) == '\\'
          && (s.charAt(t + 1) == 'p' || s.charAt(t + 1) == 'P')) {
        t = unicodeClass(t);
        continue;
      }
      if (t + 1 < s.length()
          && s.charAt(t) == '\\'
          && PERL_CLASSES.contains(String.valueOf(s.charAt(t + 1)))) {
        t += 2;
        continue;
      }
      int rangeStart = t;
      int[] lo = classChar(t, start);
      t = lo[1];
      if (t + 1 < s.length() && s.charAt(t) == '-' && s.charAt(t + 1) != ']') {
        int[] hi = classChar(t + 1, start);
        t = hi[1];
        if (hi[0] < lo[0]) {
          throw error("invalid character class range", s.substring(rangeStart, t));
        }
      }
    }
    pos = t + 1;
    top.push(Shape.leaf());
  }

  /** One class character at {@code t}: {code point, end}. */
  private int[] classChar(int t, int classStart) {
    if (t >= s.length()) {
      throw error("missing closing ]", s.substring(classStart));
    }
    if (s.charAt(t) == '\\') {
      int end = parseEscape(t);
      return new int[] {escapedRune(t, end), end};
    }
    int c = s.codePointAt(t);
    return new int[] {c, t + Character.charCount(c)};
  }

  /** The rune a valid escape {@code s[from, to)} stands for (only needed for class ranges). */
  private int escapedRune(int from, int to) {
    String e = s.substring(from + 1, to);
    char c = e.charAt(0);
    if (c >= '0' && c <= '7') {
      return Integer.parseInt(e, 8);
    }
    if (c == 'x') {
      return Integer.parseInt(
          e.startsWith("x{") ? e.substring(2, e.length() - 1) : e.substring(1), 16);
    }
    return switch (c) {
      case 'a' -> 7;
      case 'f' -> '\f';
      case 'n' -> '\n';
      case 'r' -> '\r';
      case 't' -> '\t';
      case 'v' -> 11;
      default -> e.codePointAt(0);
    };
  }

  private void literal(int runes) {
    top.pushLiteral(runes);
  }

  private void checkLimits(Shape re) {
    if (re.size > MAX_SIZE) {
      throw error("expression too large", s);
    }
    if (re.height > MAX_HEIGHT) {
      throw error("expression nests too deeply", s);
    }
  }

  private GoError error(String code, String expr) {
    return new GoError("error parsing regexp: " + code + ": `" + expr + "`");
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isOctal(char c) {
    return c >= '0' && c <= '7';
  }

  private static boolean isAlnum(int c) {
    return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z';
  }

  private static int unhex(int c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }

  // ------------------------------------------------------------------------------- the shapes

  private enum Op {
    STAR,
    PLUS,
    QUEST,
    REPEAT
  }

  private enum Kind {
    LITERAL,
    CHAR,
    CONCAT,
    ALTERNATE,
    EMPTY,
    OTHER
  }

  /**
   * What the limits need to know of one subexpression of Go's parse tree: its height, Go's size
   * estimate ({@code calcSize}) and the largest product of repeat counts on a path below it (Go's
   * {@code repeatIsValid}); for a concatenation or alternation also its children's, because Go
   * flattens nested ones.
   */
  private record Shape(
      Kind kind, int runes, int height, int childHeight, int subs, long size, long product) {

    static Shape leaf() {
      return new Shape(Kind.CHAR, 0, 1, 0, 0, 1, 1);
    }

    /** {@code ^}, {@code $}, {@code \b} ...: no character, so never merged into a class. */
    static Shape assertion() {
      return new Shape(Kind.OTHER, 0, 1, 0, 0, 1, 1);
    }

    static Shape empty() {
      return new Shape(Kind.EMPTY, 0, 1, 0, 0, 1, 1);
    }

    static Shape literal(int runes) {
      return new Shape(runes == 1 ? Kind.CHAR : Kind.LITERAL, runes, 1, 0, 0, runes, 1);
    }

    /**
     * A group's literal string stays whole: a repetition after {@code (?:ab)} repeats "ab", while
     * after {@code ab} it repeats only "b".
     */
    Shape sealed() {
      return kind == Kind.LITERAL
          ? new Shape(Kind.OTHER, 0, height, childHeight, subs, size, product)
          : this;
    }

    /** A node with one child: a capture (extra 2) or star (2), plus or quest (1). */
    static Shape wrap(Shape sub, long extra) {
      return new Shape(Kind.OTHER, 0, sub.height + 1, sub.height, 1, extra + sub.size, sub.product);
    }

    static Shape repeat(Op op, int min, int max, Shape sub) {
      return switch (op) {
        case STAR -> wrap(sub, 2);
        case PLUS, QUEST -> wrap(sub, 1);
        case REPEAT -> {
          long size;
          if (max == -1) {
            size = min == 0 ? 2 + sub.size : 1 + (long) min * sub.size;
          } else {
            size = (long) max * sub.size + (max - min);
          }
          long count = max == -1 ? min : max;
          long product = max == 0 ? 1 : Math.max(count, 1) * sub.product;
          yield new Shape(Kind.OTHER, 0, sub.height + 1, sub.height, 1, Math.max(1, size), product);
        }
      };
    }

    /** Go's collapse: one child stands for itself; nested ones of the same kind flatten. */
    static Shape collapse(Kind kind, List<Shape> parts) {
      if (parts.size() == 1) {
        return parts.get(0);
      }
      int childHeight = 0;
      int subs = 0;
      long size = 0;
      long product = 1;
      for (Shape p : parts) {
        boolean flat = p.kind == kind;
        childHeight = Math.max(childHeight, flat ? p.childHeight : p.height);
        subs += flat ? p.subs : 1;
        size += flat && kind == Kind.ALTERNATE ? p.size - (p.subs - 1) : p.size;
        product = Math.max(product, p.product);
      }
      if (kind == Kind.ALTERNATE) {
        size += subs - 1;
      }
      return new Shape(kind, 0, childHeight + 1, childHeight, subs, Math.max(1, size), product);
    }
  }

  /** The subexpressions of one open group: finished alternatives and the current sequence. */
  private final class Group {
    final boolean capture;
    final List<Shape> alternatives = new ArrayList<>();
    final List<Shape> sequence = new ArrayList<>();

    Group(boolean capture) {
      this.capture = capture;
    }

    void push(Shape shape) {
      checkLimits(shape);
      sequence.add(shape);
    }

    /** Go merges consecutive literal runes into one literal string. */
    void pushLiteral(int runes) {
      int last = sequence.size() - 1;
      if (last >= 0
          && (sequence.get(last).kind == Kind.LITERAL || isSingleRune(sequence.get(last)))) {
        Shape prev = sequence.get(last);
        sequence.set(last, Shape.literal(prev.runes + runes));
      } else {
        push(Shape.literal(runes));
      }
    }

    private boolean isSingleRune(Shape shape) {
      return shape.kind == Kind.CHAR && shape.runes == 1;
    }

    /** The operand of a repetition: the last rune of a literal string, or the last item. */
    Shape popLastAtom() {
      int last = sequence.size() - 1;
      if (last < 0) {
        return null;
      }
      Shape prev = sequence.get(last);
      if (prev.kind == Kind.LITERAL && prev.runes > 1) {
        sequence.set(last, Shape.literal(prev.runes - 1));
        return Shape.literal(1);
      }
      return sequence.remove(last);
    }

    void bar() {
      alternatives.add(concat());
    }

    Shape close() {
      alternatives.add(concat());
      List<Shape> merged = new ArrayList<>();
      for (Shape alt : alternatives) {
        // Go merges neighbouring single-character alternatives into one class and neighbouring
        // empty ones into one empty match.
        Shape prev = merged.isEmpty() ? null : merged.get(merged.size() - 1);
        if (prev != null
            && prev.kind == alt.kind
            && (alt.kind == Kind.CHAR || alt.kind == Kind.EMPTY)) {
          continue;
        }
        merged.add(alt);
      }
      Shape alt = Shape.collapse(Kind.ALTERNATE, merged);
      checkLimits(alt);
      return alt;
    }

    private Shape concat() {
      Shape c = sequence.isEmpty() ? Shape.empty() : Shape.collapse(Kind.CONCAT, sequence);
      sequence.clear();
      checkLimits(c);
      return c;
    }
  }

  /** Go's error, as a control-flow exception: the parse stops at the first one. */
  private static final class GoError extends RuntimeException {
    GoError(String message) {
      super(message, null, false, false);
    }
  }
}

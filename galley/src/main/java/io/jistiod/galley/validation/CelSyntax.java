package io.jistiod.galley.validation;

import java.util.Set;

/**
 * A syntax check for CEL expressions (Telemetry access log filters), following the grammar of the
 * CEL specification: the expression must parse; names and types are not checked, as Istio only
 * parses the expression too.
 */
final class CelSyntax {
  /** Deeper nesting is refused, as CEL parsers limit recursion. */
  static final int MAX_DEPTH = 250;

  private static final Set<String> RESERVED =
      Set.of(
          "as",
          "break",
          "const",
          "continue",
          "else",
          "for",
          "function",
          "if",
          "import",
          "let",
          "loop",
          "package",
          "namespace",
          "return",
          "var",
          "void",
          "while");

  private enum Kind {
    IDENT,
    NUMBER,
    STRING,
    OP,
    EOF
  }

  private record Token(Kind kind, String text, int pos) {}

  private static final class SyntaxError extends Exception {
    SyntaxError(String message) {
      super(message, null, false, false);
    }
  }

  private final String src;
  private int pos;
  private Token token;
  private int depth;

  private CelSyntax(String src) {
    this.src = src;
  }

  /** Why {@code expr} is not a CEL expression, or null. */
  static String problem(String expr) {
    CelSyntax p = new CelSyntax(expr);
    try {
      p.next();
      p.expr();
      if (p.token.kind != Kind.EOF) {
        throw p.error("unexpected " + p.describe());
      }
      return null;
    } catch (SyntaxError e) {
      return e.getMessage();
    }
  }

  private SyntaxError error(String message) {
    return new SyntaxError("invalid CEL expression: " + message + " at position " + token.pos);
  }

  private String describe() {
    return token.kind == Kind.EOF ? "end of input" : "\"" + token.text + "\"";
  }

  private boolean isOp(String op) {
    return token.kind == Kind.OP && token.text.equals(op);
  }

  private void expect(String op) throws SyntaxError {
    if (!isOp(op)) {
      throw error("expected \"" + op + "\" but found " + describe());
    }
    next();
  }

  private void enter() throws SyntaxError {
    if (++depth > MAX_DEPTH) {
      throw error("expression nested too deeply");
    }
  }

  // Expr = ConditionalOr ["?" ConditionalOr ":" Expr]
  private void expr() throws SyntaxError {
    enter();
    conditionalOr();
    if (isOp("?")) {
      next();
      conditionalOr();
      expect(":");
      expr();
    }
    depth--;
  }

  private void conditionalOr() throws SyntaxError {
    conditionalAnd();
    while (isOp("||")) {
      next();
      conditionalAnd();
    }
  }

  private void conditionalAnd() throws SyntaxError {
    relation();
    while (isOp("&&")) {
      next();
      relation();
    }
  }

  private void relation() throws SyntaxError {
    addition();
    while (isOp("<")
        || isOp("<=")
        || isOp(">=")
        || isOp(">")
        || isOp("==")
        || isOp("!=")
        || (token.kind == Kind.IDENT && token.text.equals("in"))) {
      next();
      addition();
    }
  }

  private void addition() throws SyntaxError {
    multiplication();
    while (isOp("+") || isOp("-")) {
      next();
      multiplication();
    }
  }

  private void multiplication() throws SyntaxError {
    unary();
    while (isOp("*") || isOp("/") || isOp("%")) {
      next();
      unary();
    }
  }

  private void unary() throws SyntaxError {
    if (isOp("!") || isOp("-")) {
      String op = token.text;
      while (isOp(op)) {
        next();
      }
    }
    member();
  }

  private void member() throws SyntaxError {
    primary();
    while (true) {
      if (isOp(".")) {
        next();
        if (token.kind != Kind.IDENT || isLiteralWord(token.text) || token.text.equals("in")) {
          throw error("expected a field name after \".\" but found " + describe());
        }
        next();
        if (isOp("(")) {
          next();
          exprList(")");
        }
      } else if (isOp("[")) {
        next();
        expr();
        expect("]");
      } else {
        return;
      }
    }
  }

  private void primary() throws SyntaxError {
    enter();
    try {
      if (isOp(".")) {
        next();
        if (token.kind != Kind.IDENT) {
          throw error("expected a name after \".\" but found " + describe());
        }
      }
      switch (token.kind) {
        case NUMBER:
        case STRING:
          next();
          return;
        case IDENT:
          identOrConstruction();
          return;
        case OP:
          if (isOp("(")) {
            next();
            expr();
            expect(")");
            return;
          }
          if (isOp("[")) {
            next();
            exprList("]");
            return;
          }
          if (isOp("{")) {
            next();
            mapInits();
            return;
          }
          throw error("unexpected " + describe());
        default:
          throw error("unexpected end of input");
      }
    } finally {
      depth--;
    }
  }

  private void identOrConstruction() throws SyntaxError {
    String name = token.text;
    if (isLiteralWord(name)) {
      next();
      return;
    }
    if (name.equals("in")) {
      throw error("unexpected \"in\"");
    }
    if (RESERVED.contains(name)) {
      throw error("reserved identifier \"" + name + "\"");
    }
    next();
    if (isOp("(")) {
      next();
      exprList(")");
      return;
    }
    // A qualified message name followed by "{" constructs a message.
    int save = pos;
    Token saved = token;
    while (isOp(".")) {
      next();
      if (token.kind != Kind.IDENT) {
        pos = save;
        token = saved;
        return;
      }
      next();
    }
    if (isOp("{")) {
      next();
      fieldInits();
      return;
    }
    pos = save;
    token = saved;
  }

  private void exprList(String close) throws SyntaxError {
    if (isOp(close)) {
      next();
      return;
    }
    while (true) {
      expr();
      if (isOp(",")) {
        next();
        if (isOp(close)) {
          next();
          return;
        }
        continue;
      }
      expect(close);
      return;
    }
  }

  private void mapInits() throws SyntaxError {
    if (isOp("}")) {
      next();
      return;
    }
    while (true) {
      expr();
      expect(":");
      expr();
      if (isOp(",")) {
        next();
        if (isOp("}")) {
          next();
          return;
        }
        continue;
      }
      expect("}");
      return;
    }
  }

  private void fieldInits() throws SyntaxError {
    if (isOp("}")) {
      next();
      return;
    }
    while (true) {
      if (token.kind != Kind.IDENT) {
        throw error("expected a field name but found " + describe());
      }
      next();
      expect(":");
      expr();
      if (isOp(",")) {
        next();
        if (isOp("}")) {
          next();
          return;
        }
        continue;
      }
      expect("}");
      return;
    }
  }

  private static boolean isLiteralWord(String s) {
    return s.equals("true") || s.equals("false") || s.equals("null");
  }

  // ---- lexer ----

  private void next() throws SyntaxError {
    skipSpaceAndComments();
    int start = pos;
    if (pos >= src.length()) {
      token = new Token(Kind.EOF, "", start);
      return;
    }
    char c = src.charAt(pos);
    if (isStringStart()) {
      string(start);
      return;
    }
    if (Character.isDigit(c) && c <= '9'
        || (c == '.' && pos + 1 < src.length() && isDigit(src.charAt(pos + 1)))) {
      number(start);
      return;
    }
    if (c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      while (pos < src.length() && isIdentPart(src.charAt(pos))) {
        pos++;
      }
      token = new Token(Kind.IDENT, src.substring(start, pos), start);
      return;
    }
    for (String op : new String[] {"||", "&&", "<=", ">=", "==", "!="}) {
      if (src.startsWith(op, pos)) {
        pos += 2;
        token = new Token(Kind.OP, op, start);
        return;
      }
    }
    if ("<>!+-*/%?:.,()[]{}".indexOf(c) >= 0) {
      pos++;
      token = new Token(Kind.OP, String.valueOf(c), start);
      return;
    }
    token = new Token(Kind.OP, String.valueOf(c), start);
    throw error("unexpected character '" + c + "'");
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isIdentPart(char c) {
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || isDigit(c);
  }

  private void skipSpaceAndComments() {
    while (pos < src.length()) {
      char c = src.charAt(pos);
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
        pos++;
      } else if (src.startsWith("//", pos)) {
        while (pos < src.length() && src.charAt(pos) != '\n') {
          pos++;
        }
      } else {
        return;
      }
    }
  }

  private boolean isStringStart() {
    int p = pos;
    for (int i = 0; i < 2 && p < src.length(); i++) {
      char c = src.charAt(p);
      if (c == 'r' || c == 'R' || c == 'b' || c == 'B') {
        p++;
      } else {
        break;
      }
    }
    if (p >= src.length()) {
      return false;
    }
    char q = src.charAt(p);
    if (q != '"' && q != '\'') {
      return false;
    }
    String prefix = src.substring(pos, p).toLowerCase(java.util.Locale.ROOT);
    return prefix.isEmpty()
        || prefix.equals("r")
        || prefix.equals("b")
        || prefix.equals("rb")
        || prefix.equals("br");
  }

  private void string(int start) throws SyntaxError {
    boolean raw = false;
    while (src.charAt(pos) != '"' && src.charAt(pos) != '\'') {
      char c = src.charAt(pos);
      raw |= c == 'r' || c == 'R';
      pos++;
    }
    char q = src.charAt(pos);
    String quote = String.valueOf(q);
    boolean triple = src.startsWith(quote.repeat(3), pos);
    String close = triple ? quote.repeat(3) : quote;
    pos += close.length();
    while (true) {
      if (pos >= src.length()) {
        token = new Token(Kind.STRING, src.substring(start), start);
        throw error("unterminated string");
      }
      if (src.startsWith(close, pos)) {
        pos += close.length();
        token = new Token(Kind.STRING, src.substring(start, pos), start);
        return;
      }
      char c = src.charAt(pos);
      if (!triple && (c == '\n' || c == '\r')) {
        token = new Token(Kind.STRING, src.substring(start, pos), start);
        throw error("newline in string");
      }
      if (c == '\\' && !raw) {
        pos++;
        escape(start);
      } else {
        pos++;
      }
    }
  }

  private void escape(int start) throws SyntaxError {
    if (pos >= src.length()) {
      token = new Token(Kind.STRING, src.substring(start), start);
      throw error("unterminated string");
    }
    char e = src.charAt(pos);
    int hex;
    switch (e) {
      case '\\':
      case '\'':
      case '"':
      case '`':
      case '?':
      case 'a':
      case 'b':
      case 'f':
      case 'n':
      case 'r':
      case 't':
      case 'v':
        pos++;
        return;
      case 'x':
      case 'X':
        hex = 2;
        break;
      case 'u':
        hex = 4;
        break;
      case 'U':
        hex = 8;
        break;
      default:
        if (e >= '0'
            && e <= '3'
            && pos + 2 < src.length()
            && isOctal(src.charAt(pos + 1))
            && isOctal(src.charAt(pos + 2))) {
          pos += 3;
          return;
        }
        token =
            new Token(Kind.STRING, src.substring(start, Math.min(src.length(), pos + 1)), start);
        throw error("invalid escape sequence \\" + e);
    }
    pos++;
    for (int i = 0; i < hex; i++) {
      if (pos >= src.length()
          || Character.digit(src.charAt(pos), 16) < 0
          || src.charAt(pos) > 'f') {
        token = new Token(Kind.STRING, src.substring(start, Math.min(src.length(), pos)), start);
        throw error("invalid escape sequence");
      }
      pos++;
    }
  }

  private static boolean isOctal(char c) {
    return c >= '0' && c <= '7';
  }

  private void number(int start) throws SyntaxError {
    if (src.startsWith("0x", pos) || src.startsWith("0X", pos)) {
      pos += 2;
      int digits = pos;
      while (pos < src.length()
          && Character.digit(src.charAt(pos), 16) >= 0
          && src.charAt(pos) <= 'f') {
        pos++;
      }
      if (pos == digits) {
        token = new Token(Kind.NUMBER, src.substring(start, pos), start);
        throw error("invalid hex literal");
      }
      if (pos < src.length() && (src.charAt(pos) == 'u' || src.charAt(pos) == 'U')) {
        pos++;
      }
    } else {
      boolean isFloat = false;
      while (pos < src.length() && isDigit(src.charAt(pos))) {
        pos++;
      }
      if (pos + 1 < src.length() && src.charAt(pos) == '.' && isDigit(src.charAt(pos + 1))) {
        isFloat = true;
        pos++;
        while (pos < src.length() && isDigit(src.charAt(pos))) {
          pos++;
        }
      }
      if (pos < src.length() && (src.charAt(pos) == 'e' || src.charAt(pos) == 'E')) {
        int p = pos + 1;
        if (p < src.length() && (src.charAt(p) == '+' || src.charAt(p) == '-')) {
          p++;
        }
        if (p < src.length() && isDigit(src.charAt(p))) {
          isFloat = true;
          pos = p;
          while (pos < src.length() && isDigit(src.charAt(pos))) {
            pos++;
          }
        }
      }
      if (!isFloat && pos < src.length() && (src.charAt(pos) == 'u' || src.charAt(pos) == 'U')) {
        pos++;
      }
    }
    token = new Token(Kind.NUMBER, src.substring(start, pos), start);
    if (pos < src.length() && isIdentPart(src.charAt(pos))) {
      throw error("invalid number literal");
    }
  }
}

package io.jistiod.injector.template;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Splits template text into tokens the way Go's text/template/parse lexer does: text between {@code
 * {{ }}} actions, trim markers that eat adjacent whitespace, comments that vanish, and the tokens
 * inside actions (spaces are tokens because they separate arguments).
 */
final class Lexer {
  enum T {
    TEXT,
    LEFT_DELIM,
    RIGHT_DELIM,
    SPACE,
    IDENTIFIER,
    FIELD,
    VARIABLE,
    DOT,
    STRING,
    RAW_STRING,
    CHAR_CONSTANT,
    NUMBER,
    BOOL,
    NIL,
    PIPE,
    LEFT_PAREN,
    RIGHT_PAREN,
    DECLARE,
    ASSIGN,
    CHAR,
    IF,
    ELSE,
    END,
    RANGE,
    WITH,
    DEFINE,
    TEMPLATE,
    BLOCK,
    BREAK,
    CONTINUE,
    EOF
  }

  record Tok(T type, String val, int pos, int line) {
    @Override
    public String toString() {
      return switch (type) {
        case EOF -> "EOF";
        case TEXT, STRING, RAW_STRING -> '"' + val + '"';
        default -> val.length() > 10 ? '"' + val + '"' : val;
      };
    }
  }

  private static final Map<String, T> KEYWORDS =
      Map.of(
          "if",
          T.IF,
          "else",
          T.ELSE,
          "end",
          T.END,
          "range",
          T.RANGE,
          "with",
          T.WITH,
          "define",
          T.DEFINE,
          "template",
          T.TEMPLATE,
          "block",
          T.BLOCK,
          "break",
          T.BREAK,
          "continue",
          T.CONTINUE);
  private static final String L = "{{";
  private static final String R = "}}";

  private final String name;
  private final String in;
  private final List<Tok> out = new ArrayList<>();
  private int pos;
  private int start;
  private int line = 1;
  private int startLine = 1;
  private int parenDepth;

  private Lexer(String name, String in) {
    this.name = name;
    this.in = in;
  }

  static List<Tok> lex(String name, String text) throws TemplateException {
    Lexer l = new Lexer(name, text);
    l.run();
    return l.out;
  }

  private void run() throws TemplateException {
    boolean inside = false;
    while (true) {
      if (!inside) {
        if (!lexText()) {
          return;
        }
        inside = lexLeftDelim();
      } else {
        inside = lexInsideAction();
      }
    }
  }

  private TemplateException err(String msg) {
    return new TemplateException("template: " + name + ":" + line + ": " + msg);
  }

  private void emit(T type) {
    out.add(new Tok(type, in.substring(start, pos), start, startLine));
    countLines();
  }

  private void countLines() {
    for (int i = start; i < pos; i++) {
      if (in.charAt(i) == '\n') {
        line++;
      }
    }
    ignore();
  }

  private void ignore() {
    start = pos;
    startLine = line;
  }

  static boolean isSpace(int c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  }

  private static boolean isAlphaNumeric(int c) {
    return c == '_' || Character.isLetterOrDigit(c);
  }

  private static boolean hasLeftTrim(String s, int at) {
    return s.length() >= at + 2 && s.charAt(at) == '-' && isSpace(s.charAt(at + 1));
  }

  private static boolean hasRightTrim(String s, int at) {
    return s.length() >= at + 2 && isSpace(s.charAt(at)) && s.charAt(at + 1) == '-';
  }

  /** Returns 0 if not at a right delimiter, 1 without and 2 with a trim marker. */
  private int atRightDelim() {
    if (hasRightTrim(in, pos) && in.startsWith(R, pos + 2)) {
      return 2;
    }
    return in.startsWith(R, pos) ? 1 : 0;
  }

  private int peek() {
    return pos < in.length() ? in.charAt(pos) : -1;
  }

  private int next() {
    int c = peek();
    pos++;
    return c;
  }

  /** Emits text up to the next action; false at the end of input. */
  private boolean lexText() {
    int x = in.indexOf(L, pos);
    if (x < 0) {
      pos = in.length();
      if (pos > start) {
        emit(T.TEXT);
      }
      out.add(new Tok(T.EOF, "", pos, line));
      return false;
    }
    pos = x;
    int trim = 0;
    if (hasLeftTrim(in, x + L.length())) {
      int e = x;
      while (e > start && isSpace(in.charAt(e - 1))) {
        e--;
      }
      trim = x - e;
    }
    pos -= trim;
    if (pos > start) {
      emit(T.TEXT);
    } else {
      countLines();
    }
    pos += trim;
    countLines();
    return true;
  }

  /** Consumes a left delimiter; returns whether an action follows (false for a comment). */
  private boolean lexLeftDelim() throws TemplateException {
    pos += L.length();
    boolean trim = hasLeftTrim(in, pos);
    int after = trim ? 2 : 0;
    if (in.startsWith("/*", pos + after)) {
      pos += after;
      ignore();
      lexComment();
      return false;
    }
    out.add(new Tok(T.LEFT_DELIM, L, start, startLine));
    pos += after;
    ignore();
    parenDepth = 0;
    return true;
  }

  private void lexComment() throws TemplateException {
    pos += 2;
    int x = in.indexOf("*/", pos);
    if (x < 0) {
      throw err("unclosed comment");
    }
    pos = x + 2;
    int delim = atRightDelim();
    if (delim == 0) {
      throw err("comment ends before closing delimiter");
    }
    pos += (delim == 2 ? 2 : 0) + R.length();
    if (delim == 2) {
      while (pos < in.length() && isSpace(in.charAt(pos))) {
        pos++;
      }
    }
    countLines();
  }

  private void lexRightDelim() {
    int delim = atRightDelim();
    if (delim == 2) {
      pos += 2;
      ignore();
    }
    pos += R.length();
    emit(T.RIGHT_DELIM);
    if (delim == 2) {
      while (pos < in.length() && isSpace(in.charAt(pos))) {
        pos++;
      }
      countLines();
    }
  }

  /** Lexes one token inside an action; returns whether still inside the action. */
  private boolean lexInsideAction() throws TemplateException {
    if (atRightDelim() != 0) {
      if (parenDepth == 0) {
        lexRightDelim();
        return false;
      }
      throw err("unclosed left paren");
    }
    int r = next();
    if (r == -1) {
      throw err("unclosed action");
    } else if (isSpace(r)) {
      pos--;
      return lexSpace();
    } else if (r == '=') {
      emit(T.ASSIGN);
    } else if (r == ':') {
      if (next() != '=') {
        throw err("expected :=");
      }
      emit(T.DECLARE);
    } else if (r == '|') {
      emit(T.PIPE);
    } else if (r == '"') {
      lexQuote();
    } else if (r == '`') {
      int x = in.indexOf('`', pos);
      if (x < 0) {
        throw err("unterminated raw quoted string");
      }
      pos = x + 1;
      emit(T.RAW_STRING);
    } else if (r == '$') {
      lexFieldOrVariable(T.VARIABLE);
    } else if (r == '\'') {
      lexChar();
    } else if (r == '.' && pos < in.length() && !(in.charAt(pos) >= '0' && in.charAt(pos) <= '9')) {
      lexFieldOrVariable(T.FIELD);
    } else if (r == '.' || r == '+' || r == '-' || (r >= '0' && r <= '9')) {
      pos--;
      lexNumber();
    } else if (isAlphaNumeric(r)) {
      pos--;
      lexIdentifier();
    } else if (r == '(') {
      parenDepth++;
      emit(T.LEFT_PAREN);
    } else if (r == ')') {
      parenDepth--;
      if (parenDepth < 0) {
        throw err("unexpected right paren");
      }
      emit(T.RIGHT_PAREN);
    } else if (r < 128 && r >= 0x20 && r != 0x7f) {
      emit(T.CHAR);
    } else {
      throw err(String.format("unrecognized character in action: U+%04X", r));
    }
    return true;
  }

  private boolean lexSpace() {
    int n = 0;
    while (isSpace(peek())) {
      pos++;
      n++;
    }
    if (hasRightTrim(in, pos - 1) && in.startsWith(R, pos + 1)) {
      pos--;
      if (n == 1) {
        lexRightDelim();
        return false;
      }
    }
    emit(T.SPACE);
    return true;
  }

  private boolean atTerminator() {
    int r = peek();
    if (isSpace(r)) {
      return true;
    }
    switch (r) {
      case -1, '.', ',', '|', ':', ')', '(':
        return true;
      default:
        return in.startsWith(R, pos);
    }
  }

  private void lexIdentifier() throws TemplateException {
    while (isAlphaNumeric(peek())) {
      pos++;
    }
    String word = in.substring(start, pos);
    if (!atTerminator()) {
      throw err(badChar(peek()));
    }
    T kw = KEYWORDS.get(word);
    if (kw != null) {
      emit(kw);
    } else if (word.equals("true") || word.equals("false")) {
      emit(T.BOOL);
    } else if (word.equals("nil")) {
      emit(T.NIL);
    } else {
      emit(T.IDENTIFIER);
    }
  }

  private static String badChar(int r) {
    return String.format(
        "bad character U+%04X '%s'", r, r < 0 ? "" : new String(Character.toChars(r)));
  }

  private void lexFieldOrVariable(T type) throws TemplateException {
    if (atTerminator()) {
      emit(type == T.VARIABLE ? T.VARIABLE : T.DOT);
      return;
    }
    while (isAlphaNumeric(peek())) {
      pos++;
    }
    if (!atTerminator()) {
      throw err(badChar(peek()));
    }
    emit(type);
  }

  private void lexQuote() throws TemplateException {
    while (true) {
      int r = next();
      if (r == '\\') {
        int n = next();
        if (n != -1 && n != '\n') {
          continue;
        }
        r = n;
      }
      if (r == -1 || r == '\n') {
        throw err("unterminated quoted string");
      }
      if (r == '"') {
        break;
      }
    }
    emit(T.STRING);
  }

  private void lexChar() throws TemplateException {
    while (true) {
      int r = next();
      if (r == '\\') {
        int n = next();
        if (n != -1 && n != '\n') {
          continue;
        }
        r = n;
      }
      if (r == -1 || r == '\n') {
        throw err("unterminated character constant");
      }
      if (r == '\'') {
        break;
      }
    }
    emit(T.CHAR_CONSTANT);
  }

  private void lexNumber() throws TemplateException {
    if (!scanNumber()) {
      throw err("bad number syntax: \"" + in.substring(start, pos) + "\"");
    }
    int sign = peek();
    if (sign == '+' || sign == '-') {
      throw err("bad number syntax: \"" + in.substring(start, pos + 1) + "\"");
    }
    emit(T.NUMBER);
  }

  private boolean accept(String valid) {
    if (peek() != -1 && valid.indexOf(peek()) >= 0) {
      pos++;
      return true;
    }
    return false;
  }

  private void acceptRun(String valid) {
    while (accept(valid)) {
      // absorb
    }
  }

  private boolean scanNumber() {
    accept("+-");
    String digits = "0123456789_";
    if (accept("0")) {
      if (accept("xX")) {
        digits = "0123456789abcdefABCDEF_";
      } else if (accept("oO")) {
        digits = "01234567_";
      } else if (accept("bB")) {
        digits = "01_";
      }
    }
    acceptRun(digits);
    if (accept(".")) {
      acceptRun(digits);
    }
    if (digits.length() == 11 && accept("eE")) {
      accept("+-");
      acceptRun("0123456789_");
    }
    if (digits.length() == 23 && accept("pP")) {
      accept("+-");
      acceptRun("0123456789_");
    }
    accept("i");
    if (peek() != -1 && isAlphaNumeric(peek())) {
      pos++;
      return false;
    }
    return true;
  }
}

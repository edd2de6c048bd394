package io.jistiod.injector.template;

import io.jistiod.injector.template.Lexer.T;
import io.jistiod.injector.template.Lexer.Tok;
import io.jistiod.injector.template.Node.*;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds the parse tree from tokens with the grammar and checks of Go's text/template/parse:
 * functions must exist at parse time, variables must be declared, {@code break} only in {@code
 * range}, and {@code define}/{@code block} add named trees to the set.
 */
final class Parser {
  private final String name;
  private final List<Tok> toks;
  private final Set<String> funcs;
  private final Map<String, ListNode> trees;
  private int i;
  private List<String> vars = new ArrayList<>(List.of("$"));
  private int rangeDepth;
  private int actionLine;

  private Parser(String name, List<Tok> toks, Set<String> funcs, Map<String, ListNode> trees) {
    this.name = name;
    this.toks = toks;
    this.funcs = funcs;
    this.trees = trees;
  }

  /** Parses {@code text}; returns all trees by name, the main one under {@code name}. */
  static Map<String, ListNode> parse(String name, String text, Set<String> funcs)
      throws TemplateException {
    Map<String, ListNode> trees = new LinkedHashMap<>();
    Parser p = new Parser(name, Lexer.lex(name, text), funcs, trees);
    ListNode root = p.parseRoot();
    p.add(name, root);
    return trees;
  }

  private TemplateException err(String msg) {
    int line = toks.get(Math.max(0, Math.min(i, toks.size()) - 1)).line();
    return new TemplateException("template: " + name + ":" + line + ": " + msg);
  }

  private Tok next() {
    return toks.get(i++);
  }

  private Tok peek() {
    return toks.get(i);
  }

  private Tok nextNonSpace() {
    Tok t;
    do {
      t = next();
    } while (t.type() == T.SPACE);
    return t;
  }

  private Tok peekNonSpace() {
    Tok t = nextNonSpace();
    i--;
    return t;
  }

  private Tok expect(T type, String context) throws TemplateException {
    Tok t = nextNonSpace();
    if (t.type() != type) {
      throw unexpected(t, context);
    }
    return t;
  }

  private TemplateException unexpected(Tok t, String context) {
    if (t.type() == T.EOF) {
      return err("unexpected EOF");
    }
    return err("unexpected " + describe(t) + " in " + context);
  }

  private static String describe(Tok t) {
    return switch (t.type()) {
      case IF, ELSE, END, RANGE, WITH, DEFINE, TEMPLATE, BLOCK, BREAK, CONTINUE, NIL, DOT ->
          "<" + t.val() + ">";
      case RIGHT_DELIM, LEFT_DELIM, SPACE, CHAR, PIPE, LEFT_PAREN, RIGHT_PAREN, DECLARE, ASSIGN ->
          GoFmt.quote(t.val());
      default ->
          t.val().length() > 10
              ? GoFmt.quote(t.val().substring(0, 10)) + "..."
              : GoFmt.quote(t.val());
    };
  }

  private void add(String treeName, ListNode root) throws TemplateException {
    ListNode old = trees.get(treeName);
    if (old == null || isEmpty(old)) {
      trees.put(treeName, root);
    } else if (!isEmpty(root)) {
      throw err("template: multiple definition of template \"" + treeName + "\"");
    }
  }

  private static boolean isEmpty(Node n) {
    if (n instanceof ListNode l) {
      return l.nodes().stream().allMatch(Parser::isEmpty);
    }
    return n instanceof TextNode t && t.text().isBlank();
  }

  private ListNode parseRoot() throws TemplateException {
    List<Node> nodes = new ArrayList<>();
    while (peek().type() != T.EOF) {
      if (peek().type() == T.LEFT_DELIM) {
        int mark = i;
        Tok delim = next();
        if (nextNonSpace().type() == T.DEFINE) {
          actionLine = delim.line();
          parseDefinition();
          actionLine = 0;
          continue;
        }
        i = mark;
      }
      Node n = textOrAction();
      if (n instanceof EndMarker || n instanceof ElseMarker) {
        throw err("unexpected " + n);
      }
      nodes.add(n);
    }
    return new ListNode(0, nodes);
  }

  private void parseDefinition() throws TemplateException {
    Tok nameTok = nextNonSpace();
    String defName = templateName(nameTok, "define clause");
    expect(T.RIGHT_DELIM, "define clause");
    List<String> saved = vars;
    vars = new ArrayList<>(List.of("$"));
    Object[] r = itemList();
    vars = saved;
    if (!(r[1] instanceof EndMarker)) {
      throw err("unexpected " + r[1] + " in define clause");
    }
    add(defName, (ListNode) r[0]);
  }

  private String templateName(Tok t, String context) throws TemplateException {
    if (t.type() == T.STRING || t.type() == T.RAW_STRING) {
      return unquote(t);
    }
    throw unexpected(t, context);
  }

  /** Marker nodes returned by textOrAction for {{end}} and {{else}}. */
  private record EndMarker(int pos) implements Node {
    @Override
    public String toString() {
      return "{{end}}";
    }
  }

  private record ElseMarker(int pos) implements Node {
    @Override
    public String toString() {
      return "{{else}}";
    }
  }

  /** Returns {list, terminating end/else marker}. */
  private Object[] itemList() throws TemplateException {
    List<Node> nodes = new ArrayList<>();
    int pos = peekNonSpace().pos();
    while (peekNonSpace().type() != T.EOF) {
      Node n = textOrAction();
      if (n instanceof EndMarker || n instanceof ElseMarker) {
        return new Object[] {new ListNode(pos, nodes), n};
      }
      nodes.add(n);
    }
    throw err("unexpected EOF");
  }

  private Node textOrAction() throws TemplateException {
    Tok t = nextNonSpace();
    switch (t.type()) {
      case TEXT:
        return new TextNode(t.pos(), t.val());
      case LEFT_DELIM:
        int saved = actionLine;
        actionLine = t.line();
        try {
          return action();
        } finally {
          actionLine = saved;
        }
      default:
        throw unexpected(t, "input");
    }
  }

  private Node action() throws TemplateException {
    Tok t = nextNonSpace();
    switch (t.type()) {
      case BLOCK:
        return blockControl();
      case BREAK:
      case CONTINUE:
        {
          String word = t.type() == T.BREAK ? "break" : "continue";
          expect(T.RIGHT_DELIM, "{{" + word + "}}");
          if (rangeDepth == 0) {
            throw err("{{" + word + "}} outside {{range}}");
          }
          return t.type() == T.BREAK
              ? new BreakNode(t.pos(), t.line())
              : new ContinueNode(t.pos(), t.line());
        }
      case ELSE:
        {
          Tok p = peekNonSpace();
          if (p.type() == T.IF || p.type() == T.WITH) {
            return new ElseMarker(p.pos());
          }
          return new ElseMarker(expect(T.RIGHT_DELIM, "else").pos());
        }
      case END:
        return new EndMarker(expect(T.RIGHT_DELIM, "end").pos());
      case IF:
        return control("if");
      case RANGE:
        return control("range");
      case WITH:
        return control("with");
      case TEMPLATE:
        return templateControl();
      default:
        i--;
        Tok p = peek();
        return new ActionNode(p.pos(), p.line(), pipeline("command", T.RIGHT_DELIM));
    }
  }

  private BranchNode control(String context) throws TemplateException {
    int mark = vars.size();
    try {
      PipeNode pipe = pipeline(context, T.RIGHT_DELIM);
      if (context.equals("range")) {
        rangeDepth++;
      }
      Object[] r = itemList();
      if (context.equals("range")) {
        rangeDepth--;
      }
      ListNode elseList = null;
      if (r[1] instanceof ElseMarker em) {
        if (context.equals("if") && peek().type() == T.IF) {
          next();
          elseList = new ListNode(em.pos(), List.of(control("if")));
        } else if (context.equals("with") && peek().type() == T.WITH) {
          next();
          elseList = new ListNode(em.pos(), List.of(control("with")));
        } else {
          Object[] e = itemList();
          if (!(e[1] instanceof EndMarker)) {
            throw err("expected end; found " + e[1]);
          }
          elseList = (ListNode) e[0];
        }
      }
      return new BranchNode(context, pipe.pos(), pipe.line(), pipe, (ListNode) r[0], elseList);
    } finally {
      while (vars.size() > mark) {
        vars.remove(vars.size() - 1);
      }
    }
  }

  private Node blockControl() throws TemplateException {
    String context = "block clause";
    Tok t = nextNonSpace();
    String blockName = templateName(t, context);
    PipeNode pipe = pipeline(context, T.RIGHT_DELIM);
    List<String> saved = vars;
    int savedDepth = rangeDepth;
    vars = new ArrayList<>(List.of("$"));
    rangeDepth = 0;
    Object[] r = itemList();
    vars = saved;
    rangeDepth = savedDepth;
    if (!(r[1] instanceof EndMarker)) {
      throw err("unexpected " + r[1] + " in " + context);
    }
    add(blockName, (ListNode) r[0]);
    return new TemplateNode(t.pos(), t.line(), blockName, pipe);
  }

  private Node templateControl() throws TemplateException {
    String context = "template clause";
    Tok t = nextNonSpace();
    String tName = templateName(t, context);
    PipeNode pipe = null;
    if (nextNonSpace().type() != T.RIGHT_DELIM) {
      i--;
      pipe = pipeline(context, T.RIGHT_DELIM);
    }
    return new TemplateNode(t.pos(), t.line(), tName, pipe);
  }

  private PipeNode pipeline(String context, T end) throws TemplateException {
    Tok first = peekNonSpace();
    boolean isAssign = false;
    List<String> decl = new ArrayList<>();
    List<CommandNode> cmds = new ArrayList<>();
    decls:
    while (peekNonSpace().type() == T.VARIABLE) {
      int mark = i;
      Tok v = nextNonSpace();
      Tok after = peek();
      Tok n = peekNonSpace();
      if (n.type() == T.ASSIGN || n.type() == T.DECLARE) {
        isAssign = n.type() == T.ASSIGN;
        nextNonSpace();
        decl.add(v.val());
        vars.add(v.val());
        break;
      } else if (n.type() == T.CHAR && n.val().equals(",")) {
        nextNonSpace();
        decl.add(v.val());
        vars.add(v.val());
        if (context.equals("range") && decl.size() < 2) {
          T p = peekNonSpace().type();
          if (p == T.VARIABLE || p == T.RIGHT_DELIM || p == T.RIGHT_PAREN) {
            continue decls;
          }
          throw err("range can only initialize variables");
        }
        throw err("too many declarations in " + context);
      } else {
        i = mark;
        break;
      }
    }
    while (true) {
      Tok t = nextNonSpace();
      if (t.type() == end) {
        if (cmds.isEmpty()) {
          throw err("missing value for " + context);
        }
        for (int k = 1; k < cmds.size(); k++) {
          Node a = cmds.get(k).args().get(0);
          if (a instanceof BoolNode
              || a instanceof DotNode
              || a instanceof NilNode
              || a instanceof NumberNode
              || a instanceof StringNode) {
            throw err("non executable command in pipeline stage " + (k + 1));
          }
        }
        return new PipeNode(first.pos(), first.line(), isAssign, decl, cmds);
      }
      switch (t.type()) {
        case BOOL,
            CHAR_CONSTANT,
            DOT,
            FIELD,
            IDENTIFIER,
            NUMBER,
            NIL,
            RAW_STRING,
            STRING,
            VARIABLE,
            LEFT_PAREN -> {
          i--;
          cmds.add(command());
        }
        default -> throw unexpected(t, context);
      }
    }
  }

  private CommandNode command() throws TemplateException {
    int pos = peekNonSpace().pos();
    List<Node> args = new ArrayList<>();
    while (true) {
      peekNonSpace();
      Node operand = operand();
      if (operand != null) {
        args.add(operand);
      }
      Tok t = next();
      if (t.type() == T.SPACE) {
        continue;
      }
      if (t.type() == T.RIGHT_DELIM || t.type() == T.RIGHT_PAREN) {
        i--;
      } else if (t.type() != T.PIPE) {
        throw unexpected(t, "operand");
      }
      break;
    }
    if (args.isEmpty()) {
      throw err("empty command");
    }
    return new CommandNode(pos, args);
  }

  private Node operand() throws TemplateException {
    Node node = term();
    if (node == null) {
      return null;
    }
    if (peek().type() == T.FIELD) {
      int pos = peek().pos();
      List<String> fields = new ArrayList<>();
      while (peek().type() == T.FIELD) {
        fields.add(next().val().substring(1));
      }
      if (node instanceof FieldNode f) {
        List<String> all = new ArrayList<>(f.ident());
        all.addAll(fields);
        return new FieldNode(pos, all);
      }
      if (node instanceof VariableNode v) {
        List<String> all = new ArrayList<>(v.ident());
        all.addAll(fields);
        return new VariableNode(pos, all);
      }
      if (node instanceof BoolNode
          || node instanceof StringNode
          || node instanceof NumberNode
          || node instanceof NilNode
          || node instanceof DotNode) {
        throw err("unexpected . after term " + GoFmt.quote(node.toString()));
      }
      return new ChainNode(pos, node, fields);
    }
    return node;
  }

  private Node term() throws TemplateException {
    Tok t = nextNonSpace();
    switch (t.type()) {
      case IDENTIFIER:
        if (!funcs.contains(t.val())) {
          throw err("function " + GoFmt.quote(t.val()) + " not defined");
        }
        return new IdentifierNode(t.pos(), t.val());
      case DOT:
        return new DotNode(t.pos());
      case NIL:
        return new NilNode(t.pos());
      case VARIABLE:
        if (!vars.contains(t.val())) {
          throw err("undefined variable " + GoFmt.quote(t.val()));
        }
        return new VariableNode(t.pos(), List.of(t.val()));
      case FIELD:
        return new FieldNode(t.pos(), List.of(t.val().substring(1)));
      case BOOL:
        return new BoolNode(t.pos(), t.val().equals("true"));
      case CHAR_CONSTANT:
        return new NumberNode(t.pos(), t.val(), (long) charValue(t));
      case NUMBER:
        return new NumberNode(t.pos(), t.val(), number(t.val()));
      case LEFT_PAREN:
        return pipeline("parenthesized pipeline", T.RIGHT_PAREN);
      case STRING:
      case RAW_STRING:
        return new StringNode(t.pos(), t.val(), unquote(t));
      default:
        i--;
        return null;
    }
  }

  private int charValue(Tok t) throws TemplateException {
    String s = unquoteBody(t.val().substring(1, t.val().length() - 1), '\'');
    if (s.codePointCount(0, s.length()) != 1) {
      throw err("malformed character constant: " + t.val());
    }
    return s.codePointAt(0);
  }

  private Object number(String text) throws TemplateException {
    String clean = text.replace("_", "");
    boolean neg = clean.startsWith("-");
    String body = clean.startsWith("-") || clean.startsWith("+") ? clean.substring(1) : clean;
    String lower = body.toLowerCase();
    boolean hex = lower.startsWith("0x");
    boolean floaty = hex ? lower.contains(".") || lower.contains("p") : lower.matches(".*[.e].*");
    if (text.endsWith("i")) {
      throw err("complex constants are not supported: " + text);
    }
    if (!floaty) {
      java.math.BigInteger v;
      try {
        if (hex) {
          v = new java.math.BigInteger(body.substring(2), 16);
        } else if (lower.startsWith("0o")) {
          v = new java.math.BigInteger(body.substring(2), 8);
        } else if (lower.startsWith("0b")) {
          v = new java.math.BigInteger(body.substring(2), 2);
        } else if (body.length() > 1 && body.startsWith("0")) {
          v = new java.math.BigInteger(body.substring(1), 8);
        } else {
          v = new java.math.BigInteger(body);
        }
      } catch (NumberFormatException e) {
        throw err("illegal number syntax: " + GoFmt.quote(text));
      }
      if (neg) {
        v = v.negate();
      }
      if (v.bitLength() < 64) {
        return v.longValue();
      }
      if (v.signum() > 0 && v.bitLength() == 64) {
        // A uint64 constant: Go parses it and fails only when it is used as an int.
        return new Overflow(text);
      }
      throw err("integer overflow: " + GoFmt.quote(text));
    }
    try {
      double d = Double.parseDouble(hex && !lower.contains("p") ? body + "p0" : body);
      return neg ? -d : d;
    } catch (NumberFormatException e) {
      throw err("illegal number syntax: " + GoFmt.quote(text));
    }
  }

  /** A number constant beyond int64 that Go parses as uint64 and rejects when evaluated. */
  record Overflow(String text) {}

  private String unquote(Tok t) throws TemplateException {
    String v = t.val();
    if (t.type() == T.RAW_STRING) {
      return v.substring(1, v.length() - 1).replace("\r", "");
    }
    return unquoteBody(v.substring(1, v.length() - 1), '"');
  }

  /** Go's escape sequences in interpreted strings and rune literals. */
  private String unquoteBody(String s, char quote) throws TemplateException {
    StringBuilder b = new StringBuilder();
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    for (int k = 0; k < s.length(); k++) {
      char c = s.charAt(k);
      if (c != '\\') {
        flush(bytes, b);
        b.append(c);
        continue;
      }
      if (k + 1 >= s.length()) {
        throw err("invalid syntax");
      }
      char e = s.charAt(++k);
      if (e != 'x' && !(e >= '0' && e <= '7')) {
        flush(bytes, b);
      }
      switch (e) {
        case 'a' -> b.append('\u0007');
        case 'b' -> b.append('\b');
        case 'f' -> b.append('\f');
        case 'n' -> b.append('\n');
        case 'r' -> b.append('\r');
        case 't' -> b.append('\t');
        case 'v' -> b.append('\u000b');
        case '\\' -> b.append('\\');
        case '\'', '"' -> {
          if (e != quote) {
            throw err("invalid syntax");
          }
          b.append(e);
        }
        case 'x' -> {
          bytes.write(Integer.parseInt(hexDigits(s, k + 1, 2), 16));
          k += 2;
          continue;
        }
        case 'u', 'U' -> {
          int n = e == 'u' ? 4 : 8;
          flush(bytes, b);
          b.appendCodePoint(Integer.parseInt(hexDigits(s, k + 1, n), 16));
          k += n;
        }
        default -> {
          if (e >= '0' && e <= '7' && k + 2 < s.length()) {
            bytes.write(Integer.parseInt(s.substring(k, k + 3), 8));
            k += 2;
            continue;
          }
          throw err("invalid syntax");
        }
      }
      flush(bytes, b);
    }
    flush(bytes, b);
    return b.toString();
  }

  private String hexDigits(String s, int from, int n) throws TemplateException {
    if (from + n > s.length() || !s.substring(from, from + n).matches("[0-9a-fA-F]+")) {
      throw err("invalid syntax");
    }
    return s.substring(from, from + n);
  }

  private static void flush(java.io.ByteArrayOutputStream bytes, StringBuilder b) {
    if (bytes.size() > 0) {
      b.append(bytes.toString(java.nio.charset.StandardCharsets.UTF_8));
      bytes.reset();
    }
  }
}

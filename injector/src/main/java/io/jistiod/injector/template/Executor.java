package io.jistiod.injector.template;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.jistiod.injector.template.Node.*;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Walks a parse tree over data with the semantics of Go's text/template exec.go: variable scopes,
 * truth, field and method resolution, pipelines passing the previous result as the last argument,
 * and errors located at the node being evaluated.
 */
final class Executor {
  private static final int MAX_DEPTH = 100000;

  private static final class Break extends RuntimeException {
    Break() {
      super(null, null, false, false);
    }
  }

  private static final class Continue extends RuntimeException {
    Continue() {
      super(null, null, false, false);
    }
  }

  private record Var(String name, Object value) {}

  private final String parseName;
  private final String text;
  private final Map<String, ListNode> trees;
  private final Map<String, GoFunction> funcs;
  private final StringBuilder out;
  private String tmplName;
  private List<Var> vars = new ArrayList<>();
  private Node at;
  private int depth;

  Executor(
      String parseName,
      String text,
      Map<String, ListNode> trees,
      Map<String, GoFunction> funcs,
      StringBuilder out) {
    this.parseName = parseName;
    this.text = text;
    this.trees = trees;
    this.funcs = funcs;
    this.out = out;
    this.tmplName = parseName;
  }

  void run(String name, Object data) throws TemplateException {
    ListNode root = trees.get(name);
    tmplName = name;
    vars.add(new Var("$", data));
    try {
      if (root == null) {
        throw new TemplateException(
            "template: " + GoFmt.quote(name) + " is an incomplete or empty template");
      }
      walk(data, root);
    } catch (ExecException e) {
      throw new TemplateException(e.getMessage());
    } catch (StackOverflowError e) {
      throw new TemplateException(
          "template: " + name + ": exceeded maximum template depth (" + MAX_DEPTH + ")");
    } catch (RuntimeException e) {
      // A value the engine cannot read must not surface as a stack trace: say where it happened.
      throw new TemplateException(error("cannot evaluate: " + e).getMessage(), e);
    }
  }

  // ---- errors

  private ExecException error(String msg) {
    if (at == null) {
      return new ExecException("template: " + tmplName + ": " + msg);
    }
    int pos = Math.min(at.pos(), text.length());
    int line = 1;
    int lastNl = -1;
    for (int k = 0; k < pos; k++) {
      if (text.charAt(k) == '\n') {
        line++;
        lastNl = k;
      }
    }
    int col = pos - lastNl - 1;
    String context = context(at);
    return new ExecException(
        "template: "
            + parseName
            + ":"
            + line
            + ":"
            + col
            + ": executing "
            + GoFmt.quote(tmplName)
            + " at <"
            + context
            + ">: "
            + msg);
  }

  private static String context(Node n) {
    if (n instanceof ActionNode a) {
      return "{{" + a.pipe() + "}}";
    }
    if (n instanceof TemplateNode t) {
      return "{{template "
          + GoFmt.quote(t.name())
          + (t.pipe() == null ? "" : " " + t.pipe())
          + "}}";
    }
    if (n instanceof BranchNode b) {
      return "{{" + b.kind() + " " + b.pipe() + "}}";
    }
    return n.toString();
  }

  // ---- variables

  private int mark() {
    return vars.size();
  }

  private void pop(int mark) {
    while (vars.size() > mark) {
      vars.remove(vars.size() - 1);
    }
  }

  private void push(String name, Object value) {
    vars.add(new Var(name, value));
  }

  private void setVar(String name, Object value) {
    for (int k = vars.size() - 1; k >= 0; k--) {
      if (vars.get(k).name().equals(name)) {
        vars.set(k, new Var(name, value));
        return;
      }
    }
    throw error("undefined variable: " + name);
  }

  private void setTopVar(int n, Object value) {
    int k = vars.size() - n;
    vars.set(k, new Var(vars.get(k).name(), value));
  }

  private Object varValue(String name) {
    for (int k = vars.size() - 1; k >= 0; k--) {
      if (vars.get(k).name().equals(name)) {
        return vars.get(k).value();
      }
    }
    throw error("undefined variable: " + name);
  }

  // ---- walking

  private void walk(Object dot, Node node) {
    at = node;
    if (node instanceof ActionNode a) {
      Object val = evalPipeline(dot, a.pipe());
      if (a.pipe().decl().isEmpty()) {
        at = node;
        out.append(printable(val));
      }
    } else if (node instanceof BranchNode b) {
      if (b.kind().equals("range")) {
        walkRange(dot, b);
      } else {
        walkIfOrWith(dot, b);
      }
    } else if (node instanceof ListNode l) {
      for (Node n : l.nodes()) {
        walk(dot, n);
      }
    } else if (node instanceof TextNode t) {
      out.append(t.text());
    } else if (node instanceof TemplateNode t) {
      walkTemplate(dot, t);
    } else if (node instanceof BreakNode) {
      throw new Break();
    } else if (node instanceof ContinueNode) {
      throw new Continue();
    } else {
      throw error("unknown node: " + node);
    }
  }

  private static String printable(Object v) {
    if (v == NoValue.I || v == null) {
      return "<no value>";
    }
    return GoFmt.value(v, false);
  }

  private void walkIfOrWith(Object dot, BranchNode b) {
    int mark = mark();
    try {
      Object val = evalPipeline(dot, b.pipe());
      if (GoTypes.isTrue(val)) {
        walk(b.kind().equals("with") ? val : dot, b.list());
      } else if (b.elseList() != null) {
        walk(dot, b.elseList());
      }
    } finally {
      pop(mark);
    }
  }

  private void walkRange(Object dot, BranchNode r) {
    int mark0 = mark();
    try {
      at = r;
      Object val = evalPipeline(dot, r.pipe());
      int mark = mark();
      boolean ran = false;
      try {
        if (val instanceof List<?> l) {
          for (int k = 0; k < l.size(); k++) {
            ran = true;
            oneIteration(r, mark, (long) k, l.get(k));
          }
        } else if (val instanceof byte[] bytes) {
          for (int k = 0; k < bytes.length; k++) {
            ran = true;
            oneIteration(r, mark, (long) k, (long) (bytes[k] & 0xff));
          }
        } else if (val instanceof Map<?, ?> m) {
          for (Object k : GoFmt.sortedKeys(m)) {
            ran = true;
            oneIteration(r, mark, k, m.get(k));
          }
        } else if (GoTypes.isInt(val)) {
          if (r.pipe().decl().size() > 1) {
            throw error("can't use " + val + " to iterate over more than one variable");
          }
          long n = ((Number) val).longValue();
          for (long k = 0; k < n; k++) {
            ran = true;
            oneIteration(r, mark, k, k);
          }
        } else if (val != NoValue.I && val != null) {
          throw error("range can't iterate over " + GoFmt.value(val, false));
        }
      } catch (Break e) {
        pop(mark);
        return;
      }
      if (!ran && r.elseList() != null) {
        walk(dot, r.elseList());
      }
    } finally {
      pop(mark0);
    }
  }

  private void oneIteration(BranchNode r, int mark, Object index, Object elem) {
    List<String> decl = r.pipe().decl();
    if (!decl.isEmpty()) {
      if (r.pipe().isAssign()) {
        setVar(decl.get(0), decl.size() > 1 ? index : elem);
      } else {
        setTopVar(1, elem);
      }
    }
    if (decl.size() > 1) {
      if (r.pipe().isAssign()) {
        setVar(decl.get(1), elem);
      } else {
        setTopVar(2, index);
      }
    }
    try {
      walk(elem, r.list());
    } catch (Continue c) {
      // next iteration
    } finally {
      pop(mark);
    }
  }

  private void walkTemplate(Object dot, TemplateNode t) {
    at = t;
    ListNode tree = trees.get(t.name());
    if (tree == null) {
      throw error("template " + GoFmt.quote(t.name()) + " not defined");
    }
    if (depth >= MAX_DEPTH) {
      throw error("exceeded maximum template depth (" + MAX_DEPTH + ")");
    }
    Object newDot = evalPipeline(dot, t.pipe());
    List<Var> savedVars = vars;
    String savedName = tmplName;
    vars = new ArrayList<>();
    vars.add(new Var("$", newDot));
    tmplName = t.name();
    depth++;
    try {
      walk(newDot, tree);
    } finally {
      depth--;
      vars = savedVars;
      tmplName = savedName;
    }
  }

  // ---- evaluation

  private Object evalPipeline(Object dot, PipeNode pipe) {
    if (pipe == null) {
      return NoValue.I;
    }
    at = pipe;
    Object value = NoValue.I;
    for (CommandNode cmd : pipe.cmds()) {
      value = evalCommand(dot, cmd, value);
      if (value == null) {
        value = NoValue.I;
      }
    }
    for (String v : pipe.decl()) {
      if (pipe.isAssign()) {
        setVar(v, value);
      } else {
        push(v, value);
      }
    }
    return value;
  }

  private void notAFunction(List<Node> args, Object fin) {
    if (args.size() > 1 || fin != NoValue.I) {
      throw error("can't give argument to non-function " + args.get(0));
    }
  }

  private Object evalCommand(Object dot, CommandNode cmd, Object fin) {
    Node first = cmd.args().get(0);
    if (first instanceof FieldNode f) {
      at = f;
      return evalFieldChain(dot, dot, f, f.ident(), cmd.args(), fin);
    }
    if (first instanceof ChainNode c) {
      return evalChainNode(dot, c, cmd.args(), fin);
    }
    if (first instanceof IdentifierNode id) {
      return evalFunction(dot, id, cmd, cmd.args(), fin);
    }
    if (first instanceof PipeNode p) {
      notAFunction(cmd.args(), fin);
      return evalPipeline(dot, p);
    }
    if (first instanceof VariableNode v) {
      return evalVariableNode(dot, v, cmd.args(), fin);
    }
    at = first;
    notAFunction(cmd.args(), fin);
    if (first instanceof BoolNode b) {
      return b.value();
    }
    if (first instanceof DotNode) {
      return dot;
    }
    if (first instanceof NilNode) {
      throw error("nil is not a command");
    }
    if (first instanceof NumberNode n) {
      return number(n);
    }
    if (first instanceof StringNode s) {
      return s.text();
    }
    throw error("can't evaluate command " + GoFmt.quote(first.toString()));
  }

  private Object evalChainNode(Object dot, ChainNode chain, List<Node> args, Object fin) {
    at = chain;
    if (chain.node() instanceof NilNode) {
      throw error("indirection through explicit nil in " + chain);
    }
    Object pipe = evalArg(dot, chain.node());
    return evalFieldChain(dot, pipe, chain, chain.fields(), args, fin);
  }

  private Object evalVariableNode(Object dot, VariableNode v, List<Node> args, Object fin) {
    at = v;
    Object value = varValue(v.ident().get(0));
    if (v.ident().size() == 1) {
      notAFunction(args, fin);
      return value;
    }
    return evalFieldChain(dot, value, v, v.ident().subList(1, v.ident().size()), args, fin);
  }

  private Object evalFieldChain(
      Object dot, Object receiver, Node node, List<String> ident, List<Node> args, Object fin) {
    int n = ident.size();
    boolean fromMap = false;
    for (int k = 0; k < n - 1; k++) {
      boolean isMap = receiver instanceof Map && !(receiver instanceof TypedMap);
      receiver = evalField(dot, ident.get(k), node, List.of(), NoValue.I, receiver, fromMap);
      fromMap = isMap;
    }
    return evalField(dot, ident.get(n - 1), node, args, fin, receiver, fromMap);
  }

  private Object evalField(
      Object dot,
      String name,
      Node node,
      List<Node> args,
      Object fin,
      Object receiver,
      boolean fromMap) {
    if (receiver == NoValue.I) {
      return NoValue.I;
    }
    if (receiver == null) {
      throw error("nil pointer evaluating interface {}." + name);
    }
    GoFunction method = method(receiver, name);
    if (method != null) {
      return evalCall(dot, method, false, node, name, args, fin);
    }
    boolean hasArgs = args.size() > 1 || fin != NoValue.I;
    if (receiver instanceof Map<?, ?> m) {
      if (hasArgs) {
        throw error(name + " is not a method but has arguments");
      }
      if (!m.isEmpty() && !(m.keySet().iterator().next() instanceof String)) {
        throw error("can't evaluate field " + name + " in type " + GoTypes.typeName(receiver));
      }
      return m.containsKey(name) ? m.get(name) : NoValue.I;
    }
    Object value = structField(receiver, name);
    if (value != NOT_FOUND) {
      if (hasArgs) {
        throw error(name + " has arguments but cannot be invoked as function");
      }
      return value;
    }
    if (receiver instanceof GoNil nil && nilHasField(nil, name)) {
      throw error("nil pointer evaluating " + nil.type() + "." + name);
    }
    throw error(
        "can't evaluate field "
            + name
            + " in type "
            + (fromMap ? "interface {}" : GoTypes.typeName(receiver)));
  }

  private static final Object NOT_FOUND = new Object();

  private Object structField(Object receiver, String name) {
    if (receiver instanceof GoStruct s) {
      if (s.fields().containsKey(name)) {
        return s.fields().get(name);
      }
      return s.embedded() == null ? NOT_FOUND : structField(s.embedded(), name);
    }
    if (receiver instanceof Message m) {
      return ProtoAccess.hasField(m.getDescriptorForType(), name)
          ? ProtoAccess.field(m, name)
          : NOT_FOUND;
    }
    if (K8sAccess.isModel(receiver) && K8sAccess.hasField(receiver.getClass(), name)) {
      try {
        return K8sAccess.field(receiver, name);
      } catch (ReflectiveOperationException e) {
        throw error("reading " + name + ": " + e);
      }
    }
    return NOT_FOUND;
  }

  private static boolean nilHasField(GoNil nil, String name) {
    if (nil.elem() instanceof Descriptor d) {
      return ProtoAccess.hasField(d, name);
    }
    if (nil.elem() instanceof Class<?> c) {
      return K8sAccess.hasField(c, name);
    }
    return true;
  }

  /** Methods Go would find on the receiver: protobuf getters and String, enum String. */
  private static GoFunction method(Object receiver, String name) {
    Descriptor d = null;
    Message msg = null;
    if (receiver instanceof Message m) {
      d = m.getDescriptorForType();
      msg = m;
    } else if (receiver instanceof GoNil nil && nil.elem() instanceof Descriptor nd) {
      d = nd;
    } else if (receiver instanceof GoEnum e && name.equals("String")) {
      return ArityFunction.fixed(0, a -> e.name());
    }
    if (d == null) {
      return null;
    }
    if (name.equals("String")) {
      Message fm = msg;
      return ArityFunction.fixed(0, a -> fm == null ? "<nil>" : GoFmt.value(fm, false));
    }
    FieldDescriptor f = ProtoAccess.getter(d, name);
    if (f == null) {
      return null;
    }
    Message fm = msg;
    Descriptor fd = d;
    return ArityFunction.fixed(0, a -> ProtoAccess.get(fm, fd, f));
  }

  private Object evalFunction(
      Object dot, IdentifierNode id, Node cmd, List<Node> args, Object fin) {
    at = id;
    GoFunction fn = funcs.get(id.name());
    boolean builtin = Builtins.isBuiltin(id.name()) && fn == Builtins.get(id.name());
    if (fn == null) {
      throw error(GoFmt.quote(id.name()) + " is not a defined function");
    }
    return evalCall(dot, fn, builtin, cmd, id.name(), args, fin);
  }

  private Object evalCall(
      Object dot,
      GoFunction fn,
      boolean builtin,
      Node node,
      String name,
      List<Node> args,
      Object fin) {
    List<Node> argNodes = args.isEmpty() ? args : args.subList(1, args.size());
    int numIn = argNodes.size() + (fin != NoValue.I ? 1 : 0);
    if (fn instanceof ArityFunction af) {
      if (af.variadic()) {
        if (numIn < af.min()) {
          throw error(
              "wrong number of args for "
                  + name
                  + ": want at least "
                  + af.min()
                  + " got "
                  + argNodes.size());
        }
      } else if (numIn != af.min()) {
        throw error("wrong number of args for " + name + ": want " + af.min() + " got " + numIn);
      }
    }
    if (builtin && (name.equals("and") || name.equals("or"))) {
      Object v = NoValue.I;
      for (Node a : argNodes) {
        v = evalArg(dot, a);
        if (GoTypes.isTrue(v) == name.equals("or")) {
          return v;
        }
      }
      if (fin != NoValue.I) {
        v = fin;
      }
      return v;
    }
    List<Object> argv = new ArrayList<>(numIn + 1);
    ArityFunction typed = fn instanceof ArityFunction af && af.types() != null ? af : null;
    for (Node a : argNodes) {
      Object v = builtin ? evalArg(dot, a) : GoTypes.toArg(evalArg(dot, a));
      checkType(typed, argv.size(), v);
      argv.add(v);
    }
    if (fin != NoValue.I) {
      Object v = builtin ? fin : GoTypes.toArg(fin);
      checkType(typed, argv.size(), v);
      argv.add(v);
    }
    if (builtin && name.equals("call") && !argNodes.isEmpty()) {
      // Go names the callee by its expression in call's errors.
      argv.add(0, argNodes.get(0).toString());
    }
    try {
      return fn.call(argv);
    } catch (ExecException e) {
      throw e;
    } catch (Exception | StackOverflowError e) {
      at = node;
      String msg = e.getMessage() == null ? e.toString() : e.getMessage();
      throw error("error calling " + name + ": " + msg);
    }
  }

  private void checkType(ArityFunction typed, int index, Object v) {
    if (typed != null) {
      String problem = GoTypes.assignable(typed.typeOf(index), v);
      if (problem != null) {
        throw error(problem);
      }
    }
  }

  private Object number(NumberNode n) {
    if (n.value() instanceof Parser.Overflow o) {
      at = n;
      throw error(o.text() + " overflows int");
    }
    return n.value();
  }

  private Object evalArg(Object dot, Node n) {
    at = n;
    if (n instanceof DotNode) {
      return dot;
    }
    if (n instanceof NilNode) {
      return null;
    }
    if (n instanceof FieldNode f) {
      at = f;
      return evalFieldChain(dot, dot, f, f.ident(), List.of(n), NoValue.I);
    }
    if (n instanceof VariableNode v) {
      return evalVariableNode(dot, v, List.of(), NoValue.I);
    }
    if (n instanceof PipeNode p) {
      return evalPipeline(dot, p);
    }
    if (n instanceof IdentifierNode id) {
      return evalFunction(dot, id, id, List.of(), NoValue.I);
    }
    if (n instanceof ChainNode c) {
      return evalChainNode(dot, c, List.of(), NoValue.I);
    }
    if (n instanceof BoolNode b) {
      return b.value();
    }
    if (n instanceof NumberNode num) {
      return number(num);
    }
    if (n instanceof StringNode s) {
      return s.text();
    }
    throw error("can't handle " + n + " for arg");
  }
}

package io.jistiod.injector.template;

import java.util.List;

/** The parse tree of a template, one record per node kind of Go's text/template/parse. */
interface Node {
  int pos();

  record ListNode(int pos, List<Node> nodes) implements Node {}

  record TextNode(int pos, String text) implements Node {}

  record ActionNode(int pos, int line, PipeNode pipe) implements Node {}

  /** {@code if}, {@code with} or {@code range}; {@code elseList} may be null. */
  record BranchNode(String kind, int pos, int line, PipeNode pipe, ListNode list, ListNode elseList)
      implements Node {}

  record TemplateNode(int pos, int line, String name, PipeNode pipe) implements Node {}

  record BreakNode(int pos, int line) implements Node {}

  record ContinueNode(int pos, int line) implements Node {}

  record PipeNode(int pos, int line, boolean isAssign, List<String> decl, List<CommandNode> cmds)
      implements Node {
    @Override
    public String toString() {
      StringBuilder b = new StringBuilder();
      if (!decl.isEmpty()) {
        b.append(String.join(", ", decl)).append(isAssign ? " = " : " := ");
      }
      for (int i = 0; i < cmds.size(); i++) {
        if (i > 0) {
          b.append(" | ");
        }
        b.append(cmds.get(i));
      }
      return b.toString();
    }
  }

  record CommandNode(int pos, List<Node> args) implements Node {
    @Override
    public String toString() {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < args.size(); i++) {
        if (i > 0) {
          b.append(' ');
        }
        Node a = args.get(i);
        b.append(a instanceof PipeNode ? "(" + a + ")" : a.toString());
      }
      return b.toString();
    }
  }

  record IdentifierNode(int pos, String name) implements Node {
    @Override
    public String toString() {
      return name;
    }
  }

  record DotNode(int pos) implements Node {
    @Override
    public String toString() {
      return ".";
    }
  }

  record NilNode(int pos) implements Node {
    @Override
    public String toString() {
      return "nil";
    }
  }

  /** {@code $x.A.B}: ident is [$x, A, B]. */
  record VariableNode(int pos, List<String> ident) implements Node {
    @Override
    public String toString() {
      return String.join(".", ident);
    }
  }

  /** {@code .A.B}: ident is [A, B]. */
  record FieldNode(int pos, List<String> ident) implements Node {
    @Override
    public String toString() {
      return "." + String.join(".", ident);
    }
  }

  /** {@code (pipeline).A.B} or {@code fn.A}: fields on a term. */
  record ChainNode(int pos, Node node, List<String> fields) implements Node {
    @Override
    public String toString() {
      String s = node instanceof PipeNode ? "(" + node + ")" : node.toString();
      return s + "." + String.join(".", fields);
    }
  }

  record BoolNode(int pos, boolean value) implements Node {
    @Override
    public String toString() {
      return Boolean.toString(value);
    }
  }

  /** A number constant: {@code value} is a Long (Go int) or a Double (Go float64). */
  record NumberNode(int pos, String text, Object value) implements Node {
    @Override
    public String toString() {
      return text;
    }
  }

  record StringNode(int pos, String quoted, String text) implements Node {
    @Override
    public String toString() {
      return quoted;
    }
  }
}

package io.jistiod.galley.parse;

import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.ScannerException;
import org.snakeyaml.engine.v2.scanner.Scanner;
import org.snakeyaml.engine.v2.tokens.AliasToken;
import org.snakeyaml.engine.v2.tokens.AnchorToken;
import org.snakeyaml.engine.v2.tokens.ScalarToken;
import org.snakeyaml.engine.v2.tokens.Token;

/**
 * snakeyaml-engine's tokens as go-yaml v2 (so sigs.k8s.io/yaml, so Kubernetes) scans the input,
 * where the two differ:
 *
 * <ul>
 *   <li>In a flow collection a {@code ':'} ends a plain scalar only before a blank, even before a
 *       flow indicator: {@code [2001:db8::]} holds the string {@code "2001:db8::"}, {@code {a: b:}}
 *       maps {@code a} to {@code "b:"}, {@code [x :]} holds {@code "x :"}; snakeyaml-engine (YAML
 *       1.2) ends the scalar before such a {@code ':'} and reads a mapping.
 *   <li>In a flow collection a {@code '?'} always ends a plain scalar and always starts a mapping
 *       key: {@code [?x]} is {@code [{x: null}]} and {@code [a?b]} or {@code {url: http://x?y=1}}
 *       is an error; snakeyaml-engine reads the strings {@code "?x"} and {@code "a?b"}.
 *   <li>An anchor or alias name is letters, digits, {@code '_'} and {@code '-'}; a {@code ':'} or
 *       {@code '?'} ends it ({@code *k: v} is a key from an alias) and anything else there is an
 *       error. snakeyaml-engine reads most characters into the name.
 * </ul>
 *
 * <p>snakeyaml-engine's scanner is final and has no option for these rules, and a whole scanner of
 * our own would be far more code. Both scanners cut the input at the same places elsewhere, so this
 * rewrites the few tokens that differ. A scalar and a value indicator right after it become one
 * scalar (dropping the mapping key snakeyaml-engine inserted for them), a stray {@code '?'} is an
 * error, and an anchor name with a bad character is an error. Where snakeyaml-engine would have to
 * scan differently (a leading {@code '?'}, a {@code ':'} after blanks, a {@code ':'} or {@code '?'}
 * in a name) this throws {@link Rescan}, and {@link GoYamlComposer} edits the text ({@link
 * GoYamlSource}) and reads it again; this scanner turns the stand-ins back into what they stand
 * for.
 */
final class GoYamlScanner implements Scanner {
  /** The text must be edited at {@code index} and read again. */
  static final class Rescan extends RuntimeException {
    private static final long serialVersionUID = 1L;

    enum Edit {
      /** Put {@link GoYamlSource#COLON} for the ':'. */
      COLON,
      /** Insert a space before the character. */
      SPACE
    }

    final Edit edit;
    final int index;

    Rescan(Edit edit, int index) {
      super(edit + " at " + index, null, false, false);
      this.edit = edit;
      this.index = index;
    }
  }

  private final Scanner in;
  private final GoYamlSource source;
  private final List<Token> ahead = new ArrayList<>();
  private boolean headRewritten;
  private int flowLevel;

  GoYamlScanner(Scanner in, GoYamlSource source) {
    this.in = in;
    this.source = source;
  }

  @Override
  public boolean checkToken(Token.ID... choices) {
    if (!head()) {
      return false;
    }
    Token.ID first = ahead.get(0).getTokenId();
    for (Token.ID c : choices) {
      if (c == first) {
        return true;
      }
    }
    return choices.length == 0;
  }

  @Override
  public boolean hasNext() {
    return head();
  }

  @Override
  public Token peekToken() {
    if (!head()) {
      throw new NoSuchElementException("No more Tokens found.");
    }
    return ahead.get(0);
  }

  @Override
  public Token next() {
    Token t = peekToken();
    ahead.remove(0);
    headRewritten = false;
    switch (t.getTokenId()) {
      case FlowSequenceStart, FlowMappingStart -> flowLevel++;
      case FlowSequenceEnd, FlowMappingEnd -> flowLevel = Math.max(0, flowLevel - 1);
      default -> {}
    }
    return t;
  }

  @Override
  public void resetDocumentIndex() {
    in.resetDocumentIndex();
  }

  /** Makes the next token available, rewritten as Go would scan it; false at the end. */
  private boolean head() {
    if (headRewritten) {
      return true;
    }
    while (fill(1)) {
      if (rewriteHead()) {
        headRewritten = true;
        return true;
      }
    }
    return false;
  }

  /** Rewrites the next token; false when it was dropped (the one after it is next). */
  private boolean rewriteHead() {
    Token t = ahead.get(0);
    if (t instanceof AnchorToken || t instanceof AliasToken) {
      checkName(t);
    }
    if (flowLevel == 0) {
      return true;
    }
    if (isImplicitKey(t)) {
      // The key snakeyaml-engine found for "a" in "[a:]" is no key in Go, whose scalar is "a:".
      int scalar = 1;
      while (fill(scalar + 1) && isNodeProperty(ahead.get(scalar))) {
        scalar++;
      }
      if (fill(scalar + 1) && isPlain(ahead.get(scalar)) && joinColon(scalar)) {
        ahead.remove(0);
        return false;
      }
      return true;
    }
    if (!isPlain(t)) {
      return true;
    }
    joinColon(0);
    ScalarToken s = (ScalarToken) ahead.get(0);
    if (s.getValue().startsWith("?")) {
      // Go reads a key indicator and scans on right after it: so does snakeyaml-engine after "? ".
      throw new Rescan(Rescan.Edit.SPACE, index(s.getStartMark()) + 1);
    }
    if (s.getValue().indexOf('?') >= 0) {
      throw new ScannerException(
          "while scanning a plain scalar in a flow collection",
          s.getStartMark(),
          "found '?' in the plain scalar \""
              + s.getValue()
              + "\": Kubernetes' YAML ends the scalar there and starts a mapping key where none"
              + " may stand; quote the scalar",
          s.getStartMark());
    }
    return true;
  }

  /**
   * Joins the plain scalar at {@code i} and a value indicator right after it into one scalar when a
   * flow indicator follows the ':' at once (Go ends a plain scalar at ':' only before a blank);
   * returns whether it did. Blanks between scalar and ':' need snakeyaml-engine to scan the ':' as
   * part of the scalar: {@link Rescan}.
   */
  private boolean joinColon(int i) {
    Token scalar = ahead.get(i);
    if (!fill(i + 3)) {
      return false;
    }
    Token colon = ahead.get(i + 1);
    Token after = ahead.get(i + 2);
    if (colon.getTokenId() != Token.ID.Value
        || index(after.getStartMark()) != index(colon.getEndMark())
        || !isFlowIndicator(after)) {
      return false;
    }
    int end = index(scalar.getEndMark());
    int at = index(colon.getStartMark());
    if (at != end) {
      if (onlyBlanks(end, at)) {
        throw new Rescan(Rescan.Edit.COLON, at);
      }
      return false;
    }
    ahead.set(
        i,
        plain(((ScalarToken) scalar).getValue() + ":", scalar.getStartMark(), colon.getEndMark()));
    ahead.remove(i + 1);
    return true;
  }

  // Go continues a plain scalar over spaces, tabs and line breaks, not over a comment.
  private boolean onlyBlanks(int from, int to) {
    for (int i = from; i < to; i++) {
      int c = source.codePointAt(i);
      if (c != ' '
          && c != '\t'
          && c != '\n'
          && c != '\r'
          && c != 0x85
          && c != 0x2028
          && c != 0x2029) {
        return false;
      }
    }
    return true;
  }

  /**
   * Go's anchor and alias names are ASCII letters, digits, '_' and '-', ended by a blank or one of
   * {@code ?:,]}%@`}; a ':' or '?' there starts the next token.
   */
  private void checkName(Token t) {
    String name =
        t instanceof AnchorToken
            ? ((AnchorToken) t).getValue().getValue()
            : ((AliasToken) t).getValue().getValue();
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if ((c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || c == '_'
          || c == '-') {
        continue;
      }
      if (c == ':' || c == '?') {
        // Only ASCII before it, so its code point index is the char index.
        throw new Rescan(Rescan.Edit.SPACE, index(t.getStartMark()) + 1 + i);
      }
      String kind = t instanceof AnchorToken ? "anchor" : "alias";
      throw new ScannerException(
          "while scanning an " + kind,
          t.getStartMark(),
          "found character '"
              + new String(Character.toChars(name.codePointAt(i)))
              + "' in the name '"
              + name
              + "': Kubernetes' YAML allows only ASCII letters, digits, '_' and '-' in "
              + kind
              + " names",
          t.getStartMark());
    }
  }

  private boolean fill(int n) {
    while (ahead.size() < n) {
      if (!in.hasNext()) {
        return false;
      }
      ahead.add(restore(in.next()));
    }
    return true;
  }

  /** The token with the characters {@link GoYamlSource} stood in for. */
  private Token restore(Token t) {
    if (!source.hasStandIns() || !isPlain(t)) {
      return t;
    }
    String value = ((ScalarToken) t).getValue();
    if (value.isEmpty()) {
      return t;
    }
    if (source.isDash(index(t.getStartMark())) && value.charAt(0) == GoYamlSource.DASH) {
      value = "-" + value.substring(1);
    }
    if (source.isColon(index(t.getEndMark()) - 1)
        && value.charAt(value.length() - 1) == GoYamlSource.COLON) {
      value = value.substring(0, value.length() - 1) + ":";
    }
    return value.equals(((ScalarToken) t).getValue())
        ? t
        : plain(value, t.getStartMark(), t.getEndMark());
  }

  // snakeyaml-engine puts a zero-width key indicator before a key found by its ':' (a simple key).
  private static boolean isImplicitKey(Token t) {
    return t.getTokenId() == Token.ID.Key
        && t.getStartMark().isPresent()
        && index(t.getStartMark()) == index(t.getEndMark());
  }

  private static boolean isNodeProperty(Token t) {
    return t.getTokenId() == Token.ID.Anchor || t.getTokenId() == Token.ID.Tag;
  }

  private static boolean isPlain(Token t) {
    return t instanceof ScalarToken && ((ScalarToken) t).isPlain();
  }

  private static boolean isFlowIndicator(Token t) {
    return switch (t.getTokenId()) {
      case FlowEntry, FlowSequenceStart, FlowSequenceEnd, FlowMappingStart, FlowMappingEnd -> true;
      default -> false;
    };
  }

  private static ScalarToken plain(String value, Optional<Mark> start, Optional<Mark> end) {
    return new ScalarToken(value, true, start, end);
  }

  private static int index(Optional<Mark> m) {
    return m.map(Mark::getIndex).orElse(-1);
  }
}

package io.jistiod.galley.parse;

import java.util.Optional;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.composer.Composer;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.ScannerException;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.parser.ParserImpl;
import org.snakeyaml.engine.v2.scanner.ScannerImpl;
import org.snakeyaml.engine.v2.scanner.StreamReader;

/**
 * Composes the first YAML document of a text into snakeyaml-engine nodes, scanned as go-yaml v2
 * scans it ({@link GoYamlScanner}).
 *
 * <p>Where snakeyaml-engine cannot be made to agree by rewriting its tokens, the text is edited
 * ({@link GoYamlSource}) and read again: where {@link GoYamlScanner} asks for it, and where
 * snakeyaml-engine refuses a {@code '-'} right before {@code ','} or {@code ']'} in a flow
 * collection, which Go reads as the plain scalar {@code "-"} ({@code [-, x]}). Only documents with
 * such places are read more than once, and at most {@link #MAX_EDITS} edits are made, which bounds
 * the work.
 */
final class GoYamlComposer {
  /** The most places of one document that are read again. */
  static final int MAX_EDITS = 32;

  private GoYamlComposer() {}

  /** The first document's root node, or empty when the text holds no document. */
  static Optional<Node> firstDocument(LoadSettings settings, String text) throws YamlException {
    GoYamlSource source = new GoYamlSource(text);
    while (true) {
      try {
        Composer composer =
            new Composer(
                settings,
                new ParserImpl(
                    settings,
                    new GoYamlScanner(
                        new ScannerImpl(settings, new StreamReader(settings, source.text())),
                        source)));
        return composer.hasNext() ? Optional.of(composer.next()) : Optional.empty();
      } catch (GoYamlScanner.Rescan r) {
        checkEdits(source);
        switch (r.edit) {
          case COLON -> source.standInColon(r.index);
          case SPACE -> source.insertSpace(r.index);
        }
      } catch (ScannerException e) {
        int dash = loneDash(source, e);
        int name = dash < 0 ? nameEnd(source, e) : -1;
        if (dash < 0 && name < 0) {
          throw e;
        }
        checkEdits(source);
        if (dash >= 0) {
          source.standInDash(dash);
        } else {
          source.insertSpace(name);
        }
      }
    }
  }

  private static void checkEdits(GoYamlSource source) throws YamlException {
    if (source.edits() >= MAX_EDITS) {
      throw new YamlException(
          "more than "
              + MAX_EDITS
              + " places where Kubernetes' YAML reads a flow collection differently from YAML 1.2"
              + " (such as [-], [x :], [?x] or *alias:); quote those scalars");
    }
  }

  /**
   * The index of the '-' snakeyaml-engine refused to start a token with where Go starts the plain
   * scalar "-" (before ',' or ']'), or -1 for any other error.
   */
  /**
   * Where Go ends the name of the anchor or alias the scanner was in when it failed, if a ':' or
   * '?' ends it there (snakeyaml-engine reads them into the name, so in {@code *k: v} it misses the
   * ':' of a key it requires), or -1.
   */
  private static int nameEnd(GoYamlSource source, ScannerException e) {
    Optional<Mark> mark = e.getContextMark();
    if (mark.isEmpty()) {
      return -1;
    }
    int at = mark.get().getIndex();
    int c = source.codePointAt(at);
    if (c != '&' && c != '*') {
      return -1;
    }
    do {
      c = source.codePointAt(++at);
    } while ((c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '_'
        || c == '-');
    return (c == ':' || c == '?') && at > mark.get().getIndex() + 1 ? at : -1;
  }

  private static int loneDash(GoYamlSource source, ScannerException e) {
    Optional<Mark> mark = e.getProblemMark();
    if (mark.isEmpty() || !e.getProblem().startsWith("found character '-' that cannot start")) {
      return -1;
    }
    int at = mark.get().getIndex();
    int next = source.codePointAt(at + 1);
    return source.codePointAt(at) == '-' && (next == ',' || next == ']') ? at : -1;
  }
}

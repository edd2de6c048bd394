package io.jistiod.galley.parse;

import java.util.HashSet;
import java.util.Set;

/**
 * The text snakeyaml-engine scans, with the few edits that make it scan a place as go-yaml v2 does
 * ({@link GoYamlComposer}): a stand-in character that it reads as plain scalar content where Go
 * reads a {@code '-'} or {@code ':'} as such, and a space where Go ends a token that
 * snakeyaml-engine would run on. Positions are code point indexes, as snakeyaml-engine's marks
 * count them.
 */
final class GoYamlSource {
  /** Stands for a '-' that Go reads as a whole plain scalar. */
  static final char DASH = '\uE000';

  /** Stands for a ':' that Go reads as the last character of a plain scalar. */
  static final char COLON = '\uE001';

  private String text;
  private boolean bmpOnly;
  private Set<Integer> dashes = new HashSet<>();
  private Set<Integer> colons = new HashSet<>();
  private int edits;
  private int lastIndex;
  private int lastOffset;

  GoYamlSource(String text) {
    set(text);
  }

  String text() {
    return text;
  }

  /** How many edits were made. */
  int edits() {
    return edits;
  }

  /** The code point at {@code index}, or -1 outside the text. */
  int codePointAt(int index) {
    if (index < 0) {
      return -1;
    }
    if (bmpOnly) {
      return index < text.length() ? text.charAt(index) : -1;
    }
    try {
      // Walk from the last position asked for: the scanner asks in (mostly) increasing order.
      lastOffset = text.offsetByCodePoints(lastOffset, index - lastIndex);
      lastIndex = index;
      return lastOffset < text.length() ? text.codePointAt(lastOffset) : -1;
    } catch (IndexOutOfBoundsException outside) {
      return -1;
    }
  }

  /** Whether any stand-in was put in. */
  boolean hasStandIns() {
    return !dashes.isEmpty() || !colons.isEmpty();
  }

  boolean isDash(int index) {
    return dashes.contains(index);
  }

  boolean isColon(int index) {
    return colons.contains(index);
  }

  /** Puts {@link #DASH} in place of the '-' at {@code index}. */
  void standInDash(int index) {
    replace(index, DASH);
    dashes.add(index);
  }

  /** Puts {@link #COLON} in place of the ':' at {@code index}. */
  void standInColon(int index) {
    replace(index, COLON);
    colons.add(index);
  }

  /** Inserts a space before the code point at {@code index}; later positions move by one. */
  void insertSpace(int index) {
    int offset = text.offsetByCodePoints(0, index);
    set(text.substring(0, offset) + ' ' + text.substring(offset));
    dashes = shifted(dashes, index);
    colons = shifted(colons, index);
  }

  private void replace(int index, char with) {
    int offset = text.offsetByCodePoints(0, index);
    set(text.substring(0, offset) + with + text.substring(offset + 1));
  }

  private void set(String newText) {
    if (text != null) {
      edits++;
    }
    text = newText;
    lastIndex = 0;
    lastOffset = 0;
    bmpOnly = newText.length() == newText.codePointCount(0, newText.length());
  }

  private static Set<Integer> shifted(Set<Integer> indexes, int from) {
    Set<Integer> out = new HashSet<>();
    for (int i : indexes) {
      out.add(i >= from ? i + 1 : i);
    }
    return out;
  }
}

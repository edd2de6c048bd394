package io.jistiod.galley.validation;

import java.util.ArrayList;
import java.util.List;

/** Collects the findings of one validation run, each tied to a field path. */
final class Findings {
  private final List<ValidationMessage> messages = new ArrayList<>();

  void error(String field, String message) {
    messages.add(ValidationMessage.error(field, message));
  }

  void warning(String field, String message) {
    messages.add(ValidationMessage.warning(field, message));
  }

  /** Records {@code message} as an error at {@code field} unless it is null. */
  void errorIf(String field, String message) {
    if (message != null) {
      error(field, message);
    }
  }

  boolean hasErrors() {
    return messages.stream().anyMatch(ValidationMessage::isError);
  }

  int size() {
    return messages.size();
  }

  List<ValidationMessage> messages() {
    return List.copyOf(messages);
  }

  /** {@code base[index]}. */
  static String at(String base, int index) {
    return base + "[" + index + "]";
  }

  /** {@code base[key]}: a map entry. */
  static String key(String base, Object key) {
    return base + "[" + key + "]";
  }
}

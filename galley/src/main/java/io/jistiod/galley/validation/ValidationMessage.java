package io.jistiod.galley.validation;

/**
 * One finding about a config object.
 *
 * @param field the field path, e.g. {@code spec.http[0].route[1].weight}
 */
public record ValidationMessage(Severity severity, String field, String message) {

  /** ERROR rejects the object; WARNING admits it and tells the user. */
  public enum Severity {
    ERROR,
    WARNING
  }

  public static ValidationMessage error(String field, String message) {
    return new ValidationMessage(Severity.ERROR, field, message);
  }

  public static ValidationMessage warning(String field, String message) {
    return new ValidationMessage(Severity.WARNING, field, message);
  }

  public boolean isError() {
    return severity == Severity.ERROR;
  }

  @Override
  public String toString() {
    return field.isEmpty() ? message : field + ": " + message;
  }
}

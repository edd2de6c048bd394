package io.jistiod.galley.parse;

/**
 * Why one object (or one document) could not be loaded.
 *
 * @param source where it came from, e.g. {@code mesh/reviews.yaml (document 2)}
 * @param object {@code Kind namespace/name} as far as it could be read, or empty
 * @param field the field path, e.g. {@code spec.http[0].route}, or empty
 * @param message the reason
 */
public record ConfigError(String source, String object, String field, String message) {

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(source);
    if (!object.isEmpty()) {
      sb.append(": ").append(object);
    }
    sb.append(": ");
    if (!field.isEmpty()) {
      sb.append(field).append(": ");
    }
    return sb.append(message).toString();
  }
}

package io.jistiod.galley.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.re2j.Pattern;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The API server's own checks of a custom resource's {@code metadata}, made before the CRD schema:
 * the name is a lowercase RFC 1123 subdomain, the namespace an RFC 1123 label, label keys and
 * values and annotation keys are qualified names, and the annotations fit in 256 KiB. Without them
 * {@code istiod validate} would accept {@code name: BACKEND}, which every cluster refuses.
 *
 * <p>Messages are the API server's ({@code metadata.name: Invalid value: "BACKEND": a lowercase RFC
 * 1123 subdomain must consist of ...}), so a dry run reads the same here and on a cluster.
 */
final class ObjectMetaValidator {
  private static final String SUBDOMAIN_FMT =
      "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
  private static final String LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
  private static final String QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
  private static final String LABEL_VALUE_FMT = "(([A-Za-z0-9][-_.A-Za-z0-9]*)?[A-Za-z0-9])?";
  private static final Pattern SUBDOMAIN = Pattern.compile("^" + SUBDOMAIN_FMT + "$");
  private static final Pattern LABEL = Pattern.compile("^" + LABEL_FMT + "$");
  private static final Pattern QUALIFIED_NAME = Pattern.compile("^" + QUALIFIED_NAME_FMT + "$");
  private static final Pattern LABEL_VALUE = Pattern.compile("^" + LABEL_VALUE_FMT + "$");
  private static final int MAX_ANNOTATIONS_BYTES = 256 * 1024;

  private ObjectMetaValidator() {}

  static List<FieldError> validate(JsonNode metadata) {
    List<FieldError> errors = new ArrayList<>();
    if (metadata == null || !metadata.isObject()) {
      return errors;
    }
    String name = metadata.path("name").asText("");
    if (!name.isEmpty()) {
      subdomain(name, "metadata.name", errors);
    }
    String namespace = metadata.path("namespace").asText("");
    if (!namespace.isEmpty()) {
      label(namespace, "metadata.namespace", errors);
    }
    JsonNode labels = metadata.path("labels");
    for (Iterator<Map.Entry<String, JsonNode>> it = labels.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      qualifiedName(e.getKey(), "metadata.labels", errors);
      String value = e.getValue().asText("");
      if (value.length() > 63) {
        errors.add(
            new FieldError(
                FieldError.Type.INVALID,
                "metadata.labels",
                value,
                "must be no more than 63 characters"));
      }
      if (!LABEL_VALUE.matcher(value).matches()) {
        errors.add(
            new FieldError(
                FieldError.Type.INVALID,
                "metadata.labels",
                value,
                regexError(
                    "a valid label must be an empty string or consist of alphanumeric characters,"
                        + " '-', '_' or '.', and must start and end with an alphanumeric character",
                    LABEL_VALUE_FMT,
                    "MyValue",
                    "my_value",
                    "12345")));
      }
    }
    long annotationBytes = 0;
    JsonNode annotations = metadata.path("annotations");
    for (Iterator<Map.Entry<String, JsonNode>> it = annotations.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      qualifiedName(e.getKey().toLowerCase(java.util.Locale.ROOT), "metadata.annotations", errors);
      annotationBytes += e.getKey().getBytes(StandardCharsets.UTF_8).length;
      annotationBytes += e.getValue().asText("").getBytes(StandardCharsets.UTF_8).length;
    }
    if (annotationBytes > MAX_ANNOTATIONS_BYTES) {
      errors.add(
          new FieldError(
              FieldError.Type.TOO_LONG,
              "metadata.annotations",
              FieldError.OMIT,
              "must have at most " + MAX_ANNOTATIONS_BYTES + " bytes"));
    }
    return errors;
  }

  private static void subdomain(String value, String path, List<FieldError> errors) {
    if (value.length() > 253) {
      errors.add(
          new FieldError(
              FieldError.Type.INVALID, path, value, "must be no more than 253 characters"));
    }
    if (!SUBDOMAIN.matcher(value).matches()) {
      errors.add(
          new FieldError(
              FieldError.Type.INVALID,
              path,
              value,
              regexError(
                  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric"
                      + " characters, '-' or '.', and must start and end with an alphanumeric"
                      + " character",
                  SUBDOMAIN_FMT,
                  "example.com")));
    }
  }

  private static void label(String value, String path, List<FieldError> errors) {
    if (value.length() > 63) {
      errors.add(
          new FieldError(
              FieldError.Type.INVALID, path, value, "must be no more than 63 characters"));
    }
    if (!LABEL.matcher(value).matches()) {
      errors.add(
          new FieldError(
              FieldError.Type.INVALID,
              path,
              value,
              regexError(
                  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters"
                      + " or '-', and must start and end with an alphanumeric character",
                  LABEL_FMT,
                  "my-name",
                  "123-abc")));
    }
  }

  /** A label or annotation key: an optional DNS subdomain prefix and '/', then a name. */
  private static void qualifiedName(String key, String path, List<FieldError> errors) {
    String name = key;
    int slash = key.indexOf('/');
    if (slash >= 0) {
      String prefix = key.substring(0, slash);
      name = key.substring(slash + 1);
      if (prefix.isEmpty()) {
        errors.add(
            new FieldError(FieldError.Type.INVALID, path, key, "prefix part must be non-empty"));
      } else if (prefix.length() > 253 || !SUBDOMAIN.matcher(prefix).matches()) {
        errors.add(
            new FieldError(
                FieldError.Type.INVALID,
                path,
                key,
                "prefix part "
                    + regexError(
                        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric"
                            + " characters, '-' or '.', and must start and end with an"
                            + " alphanumeric character",
                        SUBDOMAIN_FMT,
                        "example.com")));
      }
      if (name.indexOf('/') >= 0) {
        errors.add(
            new FieldError(
                FieldError.Type.INVALID,
                path,
                key,
                "a qualified name "
                    + regexError(
                        "must consist of alphanumeric characters, '-', '_' or '.', and must"
                            + " start and end with an alphanumeric character",
                        QUALIFIED_NAME_FMT,
                        "MyName",
                        "my.name",
                        "123-abc")
                    + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"));
        return;
      }
    }
    if (name.isEmpty()) {
      errors.add(new FieldError(FieldError.Type.INVALID, path, key, "name part must be non-empty"));
    } else if (name.length() > 63) {
      errors.add(
          new FieldError(
              FieldError.Type.INVALID, path, key, "name part must be no more than 63 characters"));
    }
    if (!name.isEmpty() && !QUALIFIED_NAME.matcher(name).matches()) {
      errors.add(
          new FieldError(
              FieldError.Type.INVALID,
              path,
              key,
              "name part "
                  + regexError(
                      "must consist of alphanumeric characters, '-', '_' or '.', and must start"
                          + " and end with an alphanumeric character",
                      QUALIFIED_NAME_FMT,
                      "MyName",
                      "my.name",
                      "123-abc")));
    }
  }

  /** apimachinery's RegexError: the message, examples, and the regex used. */
  private static String regexError(String message, String fmt, String... examples) {
    StringBuilder sb = new StringBuilder(message);
    if (examples.length > 0) {
      sb.append(" (e.g. ");
      for (int i = 0; i < examples.length; i++) {
        if (i > 0) {
          sb.append(" or ");
        }
        sb.append('\'').append(examples[i]).append("', ");
      }
      sb.append("regex used for validation is '").append(fmt).append("')");
    }
    return sb.toString();
  }
}

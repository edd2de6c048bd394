package io.jistiod.galley.validation;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import java.util.Map;

/** Kubernetes-style names, label keys and values, and workload selectors. */
final class Labels {
  static final int DNS1123_LABEL_MAX = 63;
  private static final String DNS1123_LABEL = "[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?";
  private static final String QUALIFIED_NAME = "(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
  private static final Pattern LABEL = Pattern.compile("^" + DNS1123_LABEL + "$");
  private static final Pattern WILDCARD_LABEL =
      Pattern.compile("^(?:\\*|(?:\\*|\\*-)?" + DNS1123_LABEL + ")$");
  private static final Pattern KEY =
      Pattern.compile(
          "^(" + DNS1123_LABEL + "(?:\\." + DNS1123_LABEL + ")*/)?(" + QUALIFIED_NAME + ")$");
  private static final Pattern VALUE = Pattern.compile("^(?:" + QUALIFIED_NAME + ")?$");

  private Labels() {}

  /** An RFC 1123 label: letters, digits and inner dashes, at most 63 characters. */
  static boolean isDns1123Label(String s) {
    return s.length() <= DNS1123_LABEL_MAX && LABEL.matcher(s).matches();
  }

  /** A DNS label that may also be {@code *} or start with {@code *} or {@code *-}. */
  static boolean isWildcardDns1123Label(String s) {
    return s.length() <= DNS1123_LABEL_MAX && WILDCARD_LABEL.matcher(s).matches();
  }

  /** Why {@code key} is not a valid label key, or null. */
  static String keyProblem(String key) {
    Matcher m = KEY.matcher(key);
    if (!m.matches()) {
      return "invalid label key \"" + key + "\"";
    }
    String prefix = m.group(1);
    if (prefix != null && prefix.length() - 1 > 253) {
      return "invalid label key \"" + key + "\": its DNS prefix is longer than 253 characters";
    }
    if (m.group(2).length() > DNS1123_LABEL_MAX) {
      return "invalid label key \"" + key + "\": its name is longer than 63 characters";
    }
    return null;
  }

  static boolean isValue(String value) {
    return VALUE.matcher(value).matches();
  }

  /** Checks every key and value of a label map; findings go to {@code path[key]}. */
  static void check(Map<String, String> labels, String path, Findings f) {
    labels.forEach(
        (k, v) -> {
          String where = Findings.key(path, k);
          f.errorIf(where, keyProblem(k));
          if (!isValue(v)) {
            f.error(where, "invalid label value \"" + v + "\"");
          }
        });
  }

  /**
   * Istio's selector rules: no empty keys, no wildcards; a selector without labels selects
   * everything, which is allowed but likely a mistake (warning).
   *
   * @param present whether the selector field is set at all
   * @param path the selector field, e.g. {@code spec.selector}
   * @param labelsField the name of its label map, e.g. {@code matchLabels}
   */
  static void selector(
      boolean present, Map<String, String> labels, String path, String labelsField, Findings f) {
    if (!present) {
      return;
    }
    labels.forEach(
        (k, v) -> {
          String where = Findings.key(path + "." + labelsField, k);
          if (k.isEmpty()) {
            f.error(where, "an empty label key is not allowed in a selector");
          }
          if (k.contains("*") || v.contains("*")) {
            f.error(where, "wildcards are not allowed in a selector (" + k + "=" + v + ")");
          }
        });
    if (labels.isEmpty()) {
      f.warning(path, "workload selector without labels selects every workload in the namespace");
    }
  }
}

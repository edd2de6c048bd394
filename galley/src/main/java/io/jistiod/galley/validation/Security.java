package io.jistiod.galley.validation;

import java.util.List;

/** Value checks of AuthorizationPolicy sources, operations and conditions. */
final class Security {
  private static final com.google.re2j.Pattern LITERAL =
      com.google.re2j.Pattern.compile("^[a-zA-Z0-9-._~%!$&'()+,;:@=]+$");

  private Security() {}

  static void nonEmpty(List<String> values, String path, Findings f) {
    for (int i = 0; i < values.size(); i++) {
      Deadline.check();
      if (values.get(i).isEmpty()) {
        f.error(Findings.at(path, i), "empty values are not allowed");
        return;
      }
    }
  }

  static void ips(List<String> values, String path, Findings f) {
    for (int i = 0; i < values.size(); i++) {
      Deadline.check();
      f.errorIf(Findings.at(path, i), ipProblem(values.get(i)));
    }
  }

  static String ipProblem(String v) {
    if (v.contains("/")) {
      return Ips.isPrefix(v) ? null : "invalid CIDR block \"" + v + "\"";
    }
    return Ips.isAddress(v) ? null : "invalid IP address \"" + v + "\"";
  }

  private static String ipsProblem(List<String> values) {
    for (String v : values) {
      Deadline.check();
      String p = ipProblem(v);
      if (p != null) {
        return p;
      }
    }
    return null;
  }

  /** Ports as decimal strings between 0 and 65535. */
  static String portProblem(String p) {
    if (p.isEmpty() || p.length() > 10) {
      return "invalid port \"" + p + "\"";
    }
    for (int i = 0; i < p.length(); i++) {
      if (p.charAt(i) < '0' || p.charAt(i) > '9') {
        return "invalid port \"" + p + "\"";
      }
    }
    return Long.parseLong(p) > 65535 ? "invalid port \"" + p + "\"" : null;
  }

  static void ports(List<String> values, String path, Findings f) {
    for (int i = 0; i < values.size(); i++) {
      Deadline.check();
      f.errorIf(Findings.at(path, i), portProblem(values.get(i)));
    }
  }

  private static String portsProblem(List<String> values) {
    for (String v : values) {
      Deadline.check();
      String p = portProblem(v);
      if (p != null) {
        return p;
      }
    }
    return null;
  }

  /** {@code serviceAccount} or {@code namespace/serviceAccount}, no wildcards, at most 16. */
  static String serviceAccountsProblem(List<String> values) {
    if (values.size() > 16) {
      return "at most 16 service accounts are allowed";
    }
    for (String v : values) {
      Deadline.check();
      if (v.isEmpty()) {
        return "empty values are not allowed";
      }
      if (v.contains("*")) {
        return "wildcards are not allowed in service accounts (\"" + v + "\")";
      }
      long slashes = v.chars().filter(c -> c == '/').count();
      if (slashes > 1) {
        return "expected serviceAccount or namespace/serviceAccount, got \"" + v + "\"";
      }
      if (v.length() > 320) {
        return "a service account may have at most 320 characters";
      }
      int slash = v.indexOf('/');
      if (slash >= 0) {
        if (slash == 0) {
          return "expected namespace/serviceAccount, the namespace is empty in \"" + v + "\"";
        }
        if (slash == v.length() - 1) {
          return "expected namespace/serviceAccount, the service account is empty in \"" + v + "\"";
        }
      }
    }
    return null;
  }

  static void serviceAccounts(List<String> values, String path, Findings f) {
    f.errorIf(path, serviceAccountsProblem(values));
  }

  /** Non-empty; at most one {@code *}, only at the start or the end. */
  static String wildcardValuesProblem(List<String> values) {
    for (String v : values) {
      Deadline.check();
      if (v.isEmpty()) {
        return "empty values are not allowed";
      }
      long stars = v.chars().filter(c -> c == '*').count();
      if (stars > 1) {
        return "at most one wildcard is allowed, got \"" + v + "\"";
      }
      if (stars == 1 && !v.equals("*") && !v.startsWith("*") && !v.endsWith("*")) {
        return "a wildcard is allowed only at the start or the end, got \"" + v + "\"";
      }
    }
    return null;
  }

  static void trustDomains(List<String> values, String path, Findings f) {
    String p = wildcardValuesProblem(values);
    if (p == null) {
      for (String v : values) {
        Deadline.check();
        if (v.contains("/")) {
          p = "a trust domain must not contain \"/\", got \"" + v + "\"";
          break;
        }
      }
    }
    f.errorIf(path, p);
  }

  /**
   * Path templates: {@code {*}} matches one segment, {@code {**}} the rest and only last; other
   * braces are not allowed, and with a template every segment must be a valid path literal.
   */
  static void pathTemplates(List<String> paths, String path, Findings f) {
    for (int i = 0; i < paths.size(); i++) {
      Deadline.check();
      f.errorIf(Findings.at(path, i), pathTemplateProblem(paths.get(i)));
    }
  }

  static String pathTemplateProblem(String p) {
    boolean template = p.contains("{*}") || p.contains("{**}");
    boolean sawAny = false;
    String trimmed = trimSlashes(p);
    for (String glob : trimmed.split("/", -1)) {
      Deadline.check();
      if (glob.equals("{*}") && !sawAny) {
        continue;
      }
      if (glob.equals("{**}") && !sawAny) {
        sawAny = true;
        continue;
      }
      if ((glob.equals("{**}") || glob.equals("{*}")) && sawAny) {
        return "invalid path \"" + p + "\": {**} must be the last operator";
      }
      if (glob.contains("{") || glob.contains("}")) {
        return "invalid path \"" + p + "\": braces are allowed only in {*} and {**}";
      }
      if (template && !LITERAL.matcher(glob).matches()) {
        return "invalid path \"" + p + "\": segment \"" + glob + "\" is not a valid literal";
      }
    }
    return null;
  }

  private static String trimSlashes(String s) {
    int b = 0;
    int e = s.length();
    while (b < e && s.charAt(b) == '/') {
      b++;
    }
    while (e > b && s.charAt(e - 1) == '/') {
      e--;
    }
    return s.substring(b, e);
  }

  /** {@code name[key]} with a non-empty name and key. */
  private static String mapKeyProblem(String key) {
    int open = key.indexOf('[');
    if (key.endsWith("]") && open > 0 && open < key.length() - 2) {
      return null;
    }
    return "bad key \"" + key + "\": expected the form a[b]";
  }

  /** The values of a condition, checked by the attribute its key names. */
  static String attributeProblem(String key, List<String> values) {
    for (String v : values) {
      Deadline.check();
      if (v.isEmpty()) {
        return "empty values are not allowed";
      }
    }
    if (key.startsWith("request.headers")) {
      return mapKeyProblem(key);
    }
    switch (key) {
      case "source.ip":
      case "remote.ip":
      case "destination.ip":
        return ipsProblem(values);
      case "source.namespace":
      case "source.principal":
      case "request.auth.principal":
      case "request.auth.audiences":
      case "request.auth.presenter":
      case "connection.sni":
        return null;
      case "source.serviceAccount":
        return serviceAccountsProblem(values);
      case "source.trustDomain":
        return wildcardValuesProblem(values);
      case "destination.port":
        return portsProblem(values);
      case "destination.namespace":
        return "attribute " + key + " is replaced by the policy's own namespace";
      case "destination.name":
      case "destination.user":
        return "attribute " + key + " is deprecated (only supported in v1alpha1)";
      default:
        break;
    }
    if (key.startsWith("request.auth.claims") || key.startsWith("experimental.envoy.filters.")) {
      return mapKeyProblem(key);
    }
    if (key.startsWith("destination.labels")) {
      return "attribute " + key + " is replaced by the workload selector";
    }
    return "unknown attribute \"" + key + "\"";
  }
}

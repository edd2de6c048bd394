package io.jistiod.galley.validation;

import java.util.Locale;

/**
 * The parts of Go's {@code net/url} parsing that decide whether Istio accepts a URL: control
 * characters, the scheme, the authority (userinfo, host characters, numeric port) and percent
 * escapes.
 */
public final class GoUrl {
  /** A parse outcome: the lower-cased scheme, or why the URL is rejected. */
  public record Result(String scheme, String error) {
    public boolean ok() {
      return error == null;
    }
  }

  private GoUrl() {}

  /** {@code url.Parse}: any URL reference; a fragment is allowed. */
  public static Result parse(String raw) {
    int hash = raw.indexOf('#');
    String u = hash < 0 ? raw : raw.substring(0, hash);
    Result r = parse(u, false);
    if (r.ok() && hash >= 0 && !escapesValid(raw.substring(hash + 1))) {
      return new Result(null, "invalid escape in the fragment");
    }
    return r;
  }

  /** {@code url.ParseRequestURI}: an absolute URI or an absolute path; no fragment handling. */
  public static Result parseRequestUri(String raw) {
    return parse(raw, true);
  }

  private static Result parse(String raw, boolean viaRequest) {
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        return new Result(null, "invalid control character in URL");
      }
    }
    if (raw.isEmpty() && viaRequest) {
      return new Result(null, "empty url");
    }
    if (raw.equals("*")) {
      return new Result("", null);
    }
    String scheme = "";
    String rest = raw;
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        continue;
      }
      if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
        if (i == 0) {
          break;
        }
        continue;
      }
      if (c == ':') {
        if (i == 0) {
          return new Result(null, "missing protocol scheme");
        }
        scheme = raw.substring(0, i).toLowerCase(Locale.ROOT);
        rest = raw.substring(i + 1);
      }
      break;
    }
    if (rest.endsWith("?") && rest.indexOf('?') == rest.length() - 1) {
      rest = rest.substring(0, rest.length() - 1);
    } else {
      int q = rest.indexOf('?');
      if (q >= 0) {
        rest = rest.substring(0, q);
      }
    }
    if (!rest.startsWith("/")) {
      if (!scheme.isEmpty()) {
        return new Result(scheme, null); // opaque
      }
      if (viaRequest) {
        return new Result(null, "invalid URI for request");
      }
      int slash = rest.indexOf('/');
      String segment = slash < 0 ? rest : rest.substring(0, slash);
      if (segment.contains(":")) {
        return new Result(null, "first path segment in URL cannot contain colon");
      }
    }
    if ((!scheme.isEmpty() || (!viaRequest && !rest.startsWith("///"))) && rest.startsWith("//")) {
      String authority = rest.substring(2);
      int slash = authority.indexOf('/');
      if (slash >= 0) {
        rest = authority.substring(slash);
        authority = authority.substring(0, slash);
      } else {
        rest = "";
      }
      String problem = authorityProblem(authority);
      if (problem != null) {
        return new Result(null, problem);
      }
    }
    if (!escapesValid(rest)) {
      return new Result(null, "invalid URL escape in the path");
    }
    return new Result(scheme, null);
  }

  private static String authorityProblem(String authority) {
    int at = authority.lastIndexOf('@');
    String host = authority;
    if (at >= 0) {
      String userinfo = authority.substring(0, at);
      for (int i = 0; i < userinfo.length(); i++) {
        char c = userinfo.charAt(i);
        boolean ok =
            (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9')
                || "-._:~!$&'()*+,;=%@".indexOf(c) >= 0;
        if (!ok) {
          return "invalid userinfo";
        }
      }
      if (!escapesValid(userinfo)) {
        return "invalid URL escape in the userinfo";
      }
      host = authority.substring(at + 1);
    }
    String port;
    if (host.startsWith("[")) {
      int close = host.lastIndexOf(']');
      if (close < 0) {
        return "missing ']' in host";
      }
      port = host.substring(close + 1);
      host = host.substring(1, close);
    } else {
      int colon = host.lastIndexOf(':');
      port = colon < 0 ? "" : host.substring(colon);
      host = colon < 0 ? host : host.substring(0, colon);
    }
    if (!port.isEmpty()) {
      if (port.charAt(0) != ':') {
        return "invalid port \"" + port + "\" after host";
      }
      for (int i = 1; i < port.length(); i++) {
        if (port.charAt(i) < '0' || port.charAt(i) > '9') {
          return "invalid port \"" + port + "\" after host";
        }
      }
    }
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      if (c >= 0x80) {
        continue;
      }
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || "-._~!$&'()*+,;=:[]<>\"%".indexOf(c) >= 0;
      if (!ok) {
        return "invalid character \"" + c + "\" in host name";
      }
    }
    if (!escapesValid(host)) {
      return "invalid URL escape in the host";
    }
    return null;
  }

  /** Every {@code %} is followed by two hex digits. */
  private static boolean escapesValid(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) == '%') {
        if (i + 2 >= s.length() || !isHex(s.charAt(i + 1)) || !isHex(s.charAt(i + 2))) {
          return false;
        }
        i += 2;
      }
    }
    return true;
  }

  private static boolean isHex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }
}

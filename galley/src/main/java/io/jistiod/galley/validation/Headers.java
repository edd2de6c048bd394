package io.jistiod.galley.validation;

import com.google.re2j.Pattern;
import java.util.Locale;
import java.util.Set;

/** HTTP header names and values, as Istio checks them in matches and header manipulation. */
final class Headers {
  /** RFC 7230 token characters. */
  private static final Pattern TOKEN = Pattern.compile("^[!#$%&'*+\\-.^_`|~A-Za-z0-9]+$");

  private static final Pattern STRICT = Pattern.compile("^[-_A-Za-z0-9]+$");
  private static final Pattern PROBE = Pattern.compile("^[-A-Za-z0-9]+$");
  private static final Set<String> PSEUDO =
      Set.of(":method", ":scheme", ":authority", ":path", ":status");
  private static final String JWT_CLAIM_PREFIX = "@request.auth.claims";

  private Headers() {}

  static boolean isToken(String name) {
    return TOKEN.matcher(name).matches();
  }

  /** A header name in a match: a token, a pseudo-header, or a JWT claim route key. */
  static String matchNameProblem(String name) {
    if (name.isEmpty()) {
      return "header name must not be empty";
    }
    if (isJwtClaimRoute(name) || PSEUDO.contains(name) || isToken(name)) {
      return null;
    }
    return "\"" + name + "\" is not a valid header name";
  }

  /** A CORS allow/expose header: a token or {@code *}. */
  static String corsNameProblem(String name) {
    if (name.isEmpty()) {
      return "header name must not be empty";
    }
    return name.equals("*") || isToken(name) ? null : "\"" + name + "\" is not a valid header name";
  }

  /** Letters, digits, dash and underscore only; Istio's rule for headers it writes itself. */
  static String strictNameProblem(String name) {
    if (name.isEmpty()) {
      return "header name must not be empty";
    }
    return STRICT.matcher(name).matches() ? null : "\"" + name + "\" is not a valid header name";
  }

  /** Health-check probe headers follow Kubernetes: letters, digits and dashes. */
  static String probeNameProblem(String name) {
    if (name.isEmpty()) {
      return "header name must not be empty";
    }
    return PROBE.matcher(name).matches() ? null : "\"" + name + "\" is not a valid header name";
  }

  /** Request headers set or added: no pseudo-headers except the authority. */
  static String requestSetNameProblem(String name) {
    if (name.isEmpty()) {
      return "header name must not be empty";
    }
    if (isInternal(name) && !isAuthority(name)) {
      return "header \"" + name + "\" cannot be set: names starting with \":\" are reserved";
    }
    return null;
  }

  /** Request headers removed, and response headers set, added or removed. */
  static String operationNameProblem(String name) {
    if (name.isEmpty()) {
      return "header name must not be empty";
    }
    if (name.equalsIgnoreCase("host")) {
      return "header \"" + name + "\" cannot be manipulated: the Host header is reserved";
    }
    if (isInternal(name)) {
      return "header \""
          + name
          + "\" cannot be manipulated: names starting with \":\" are reserved";
    }
    return null;
  }

  static boolean isInternal(String name) {
    return name.startsWith(":") || name.equalsIgnoreCase("host");
  }

  static boolean isAuthority(String name) {
    return name.equalsIgnoreCase(":authority") || name.equalsIgnoreCase("host");
  }

  /** {@code @request.auth.claims.a.b} or {@code @request.auth.claims[a][b]}. */
  static boolean isJwtClaimRoute(String name) {
    if (!name.toLowerCase(Locale.ROOT).startsWith(JWT_CLAIM_PREFIX)) {
      return false;
    }
    String rest = name.substring(JWT_CLAIM_PREFIX.length());
    if (rest.startsWith(".") && rest.length() > 1) {
      return true;
    }
    return rest.startsWith("[") && rest.endsWith("]") && rest.length() > 2;
  }

  /**
   * A header value Envoy accepts: no control characters other than tab, and every unescaped {@code
   * %} opens a well-formed {@code %VARIABLE%} or {@code %VARIABLE(args)%} expression ({@code %%} is
   * a literal percent sign). The variable names themselves are not checked.
   */
  static String valueProblem(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if ((c <= 0x08) || (c >= 0x0A && c <= 0x1F) || c == 0x7F) {
        return "header value contains a control character";
      }
    }
    String p = formatterProblem(value);
    return p == null ? null : "invalid header value \"" + Hosts.abbreviate(value) + "\": " + p;
  }

  private enum State {
    LITERAL,
    VARIABLE,
    EXPECT_ARRAY,
    EXPECT_STRING,
    STRING,
    EXPECT_DELIMITER_OR_END,
    EXPECT_ARGS_END,
    EXPECT_VARIABLE_END
  }

  /** A port of the state machine Envoy uses to read custom header values. */
  private static String formatterProblem(String v) {
    State state = State.LITERAL;
    int pos = 0;
    while (pos < v.length()) {
      char ch = v.charAt(pos);
      boolean hasNext = pos + 1 < v.length();
      switch (state) {
        case LITERAL:
          if (ch == '%') {
            if (!hasNext) {
              return "unescaped '%' at the end (write %% for a literal percent sign)";
            }
            if (v.charAt(pos + 1) == '%') {
              pos++;
            } else {
              state = State.VARIABLE;
            }
          }
          break;
        case VARIABLE:
          if (ch == '%') {
            state = State.LITERAL;
          } else if (ch == '(') {
            state = State.EXPECT_ARRAY;
          }
          break;
        case EXPECT_ARRAY:
          if (ch == '[') {
            state = State.EXPECT_STRING;
          } else if (ch != ' ') {
            state = State.STRING;
          }
          break;
        case EXPECT_DELIMITER_OR_END:
          if (ch == ',') {
            state = State.EXPECT_STRING;
          } else if (ch == ']') {
            state = State.EXPECT_ARGS_END;
          } else if (ch != ' ') {
            return "expected ',', ']' or a space in the variable's arguments";
          }
          break;
        case EXPECT_STRING:
          if (ch == '"') {
            state = State.STRING;
          } else if (ch != ' ') {
            return "expected '\"' in the variable's arguments";
          }
          break;
        case STRING:
          if (ch == '\\') {
            if (!hasNext) {
              return "unterminated backslash in the variable's arguments";
            }
            pos++;
          } else if (ch == ')') {
            state = State.EXPECT_VARIABLE_END;
          } else if (ch == '"') {
            state = State.EXPECT_DELIMITER_OR_END;
          }
          break;
        case EXPECT_ARGS_END:
          if (ch == ')') {
            state = State.EXPECT_VARIABLE_END;
          } else if (ch != ' ') {
            return "expected ')' or a space after the variable's arguments";
          }
          break;
        case EXPECT_VARIABLE_END:
          if (ch == '%') {
            state = State.LITERAL;
          } else if (ch != ' ') {
            return "expected '%' or a space after the variable's arguments";
          }
          break;
        default:
          break;
      }
      pos++;
    }
    return state == State.LITERAL ? null : "unterminated variable expression";
  }
}

package io.jistiod.pilot.security.authz;

import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.matcher.v3.ValueMatcher;
import java.util.ArrayList;
import java.util.List;

/**
 * The Envoy matcher for one attribute value (or, for extended attributes, all values at once). An
 * attribute that cannot be expressed (HTTP-only on TCP, malformed value, wrong side) throws {@link
 * IllegalArgumentException}; {@link RuleTranslator} decides what that means for the rule.
 */
final class Generators {
  /** Where Envoy's jwt_authn filter stores the verified token's payload. */
  static final String JWT_FILTER = "envoy.filters.http.jwt_authn";

  static final String JWT_PAYLOAD = "payload";

  private static final StringMatcher MATCH_ANY = AuthzMatchers.regex(".+");

  private Generators() {}

  static Permission permission(Attribute a, String key, String value, boolean forTcp) {
    httpOnlyCheck(a, key, forTcp);
    switch (a) {
      case DEST_IP:
        return Permission.newBuilder().setDestinationIp(Cidrs.parse(value)).build();
      case DEST_PORT:
        return Permission.newBuilder().setDestinationPort(port(value)).build();
      case CONNECTION_SNI:
        return Permission.newBuilder().setRequestedServerName(AuthzMatchers.string(value)).build();
      case HOST:
        return Permission.newBuilder().setHeader(AuthzMatchers.host(":authority", value)).build();
      case METHOD:
        return Permission.newBuilder().setHeader(AuthzMatchers.header(":method", value)).build();
      case PATH:
        if (value.contains("{*}") || value.contains("{**}")) {
          UriTemplateMatchConfig t =
              UriTemplateMatchConfig.newBuilder()
                  .setPathTemplate(value.replace("{**}", "**").replace("{*}", "*"))
                  .build();
          return Permission.newBuilder()
              .setUriTemplate(
                  TypedExtensionConfig.newBuilder()
                      .setName("uri-template")
                      .setTypedConfig(com.google.protobuf.Any.pack(t, "type.googleapis.com")))
              .build();
        }
        return Permission.newBuilder().setUrlPath(AuthzMatchers.path(value)).build();
      default:
        throw new IllegalArgumentException(key + " is not a permission attribute");
    }
  }

  static Principal principal(
      Attribute a, String key, String value, boolean forTcp, String policyNamespace) {
    httpOnlyCheck(a, key, forTcp);
    switch (a) {
      case SRC_IP:
        return Principal.newBuilder().setDirectRemoteIp(Cidrs.parse(value)).build();
      case REMOTE_IP:
        return Principal.newBuilder().setRemoteIp(Cidrs.parse(value)).build();
      case SRC_NAMESPACE:
        return authenticated(AuthzMatchers.regex(".*/ns/" + value.replace("*", ".*") + "/.*"));
      case SRC_SERVICE_ACCOUNT:
        {
          int slash = value.indexOf('/');
          String ns = slash < 0 ? policyNamespace : value.substring(0, slash);
          String sa = slash < 0 ? value : value.substring(slash + 1);
          return authenticated(
              AuthzMatchers.regex("spiffe://.+/ns/" + ns + "/(.+/|)sa/" + sa + "(/.+)?"));
        }
      case SRC_PRINCIPAL:
        return authenticated(AuthzMatchers.stringWithPrefix(value, "spiffe://"));
      case REQUEST_HEADER:
        return Principal.newBuilder()
            .setHeader(
                AuthzMatchers.header(
                    nameInBrackets(key.substring("request.headers".length())), value))
            .build();
      case TRUST_DOMAIN:
        // istio.io/api 1.32 field that istiod 1.27 does not generate anything for
        throw new IllegalArgumentException(key + " is not supported by istiod 1.27");
      default:
        throw new IllegalArgumentException(key + " is not a principal attribute");
    }
  }

  static Permission extendedPermission(
      Attribute a, String key, List<String> values, boolean forTcp) {
    if (a != Attribute.ENVOY_FILTER) {
      throw new IllegalArgumentException(key + " is not a permission attribute");
    }
    // "experimental.envoy.filters.a.b[c]" -> filter "envoy.filters.a.b", key "c"
    String k = key.substring("experimental.".length());
    if (k.endsWith("]")) {
      k = k.substring(0, k.length() - 1);
    }
    int open = k.indexOf('[');
    if (open < 0) {
      throw new IllegalArgumentException("invalid key: " + key);
    }
    List<ValueMatcher> ms = new ArrayList<>();
    for (String v : values) {
      if (v.startsWith("[") && v.endsWith("]")) {
        ms.add(
            AuthzMatchers.oneOf(AuthzMatchers.stringValue(AuthzMatchers.string(trimBrackets(v)))));
      } else {
        ms.add(AuthzMatchers.stringValue(AuthzMatchers.string(v)));
      }
    }
    return Permission.newBuilder()
        .setMetadata(
            AuthzMatchers.metadata(
                k.substring(0, open), List.of(k.substring(open + 1)), AuthzMatchers.or(ms)))
        .build();
  }

  static Principal extendedPrincipal(Attribute a, String key, List<String> values, boolean forTcp) {
    httpOnlyCheck(a, key, forTcp);
    switch (a) {
      case REQUEST_PRINCIPAL:
        return requestPrincipals(values);
      case REQUEST_AUDIENCES:
        return jwtClaim(List.of("aud"), values);
      case REQUEST_PRESENTER:
        return jwtClaim(List.of("azp"), values);
      case REQUEST_CLAIMS:
        return jwtClaim(claimPath(key.substring("request.auth.claims".length())), values);
      default:
        throw new IllegalArgumentException(key + " is not a principal attribute");
    }
  }

  private static void httpOnlyCheck(Attribute a, String key, boolean forTcp) {
    if (forTcp && a.httpOnly()) {
      throw new IllegalArgumentException("\"" + key + "\" is HTTP only");
    }
  }

  private static Principal authenticated(StringMatcher m) {
    Principal.Authenticated.Builder auth = Principal.Authenticated.newBuilder().setPrincipalName(m);
    return Principal.newBuilder().setAuthenticated(auth).build();
  }

  /** {@code iss/sub}: split at the last '/', since the issuer may be a URL. */
  private static Principal requestPrincipals(List<String> values) {
    List<Principal> or = new ArrayList<>();
    for (String value : values) {
      int idx = value.lastIndexOf('/');
      boolean found = idx >= 0;
      String iss = found ? value.substring(0, idx) : value;
      String sub = found ? value.substring(idx + 1) : "";
      StringMatcher matchIss;
      StringMatcher matchSub;
      if (value.equals("*")) {
        matchIss = MATCH_ANY;
        matchSub = MATCH_ANY;
      } else if (value.startsWith("*")) {
        if (found) {
          matchIss = iss.equals("*") ? MATCH_ANY : AuthzMatchers.suffix(iss.substring(1), false);
          matchSub = AuthzMatchers.exact(sub, false);
        } else {
          matchIss = MATCH_ANY;
          matchSub = AuthzMatchers.suffix(value.substring(1), false);
        }
      } else if (value.endsWith("*")) {
        if (found) {
          matchIss = AuthzMatchers.exact(iss, false);
          matchSub =
              sub.equals("*")
                  ? MATCH_ANY
                  : AuthzMatchers.prefix(sub.substring(0, sub.length() - 1), false);
        } else {
          matchIss = AuthzMatchers.prefix(value.substring(0, value.length() - 1), false);
          matchSub = MATCH_ANY;
        }
      } else {
        matchSub = AuthzMatchers.exact(sub, false);
        matchIss = AuthzMatchers.exact(iss, false);
      }
      Principal im = jwtString("iss", matchIss);
      Principal sm = jwtString("sub", matchSub);
      or.add(
          Principal.newBuilder()
              .setAndIds(Principal.Set.newBuilder().addIds(im).addIds(sm))
              .build());
    }
    if (or.size() == 1) {
      return or.get(0);
    }
    return Principal.newBuilder().setOrIds(Principal.Set.newBuilder().addAllIds(or)).build();
  }

  private static Principal jwtString(String claim, StringMatcher m) {
    return Principal.newBuilder()
        .setMetadata(
            AuthzMatchers.metadata(
                JWT_FILTER, List.of(JWT_PAYLOAD, claim), AuthzMatchers.stringValue(m)))
        .build();
  }

  private static Principal jwtClaim(List<String> claims, List<String> values) {
    List<String> path = new ArrayList<>();
    path.add(JWT_PAYLOAD);
    path.addAll(claims);
    return Principal.newBuilder()
        .setMetadata(AuthzMatchers.listOrValue(JWT_FILTER, path, AuthzMatchers.stringOr(values)))
        .build();
  }

  private static int port(String v) {
    try {
      long p = Long.parseLong(v);
      if (v.startsWith("+") || p < 0 || p > 65535) {
        throw new IllegalArgumentException("invalid port " + v);
      }
      return (int) p;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("invalid port " + v);
    }
  }

  private static String nameInBrackets(String s) {
    if (!s.startsWith("[") || !s.endsWith("]") || s.length() < 2) {
      throw new IllegalArgumentException("expecting format [<NAME>], but found " + s);
    }
    return s.substring(1, s.length() - 1);
  }

  /** {@code [a][b]} is the nested claim a.b; anything else must be a single {@code [name]}. */
  private static List<String> claimPath(String s) {
    List<String> claims = new ArrayList<>();
    int begin = 0;
    while (begin < s.length()) {
      int end = endBracket(s, begin);
      if (end < 0) {
        return List.of(nameInBrackets(s));
      }
      claims.add(s.substring(begin + 1, end));
      begin = end + 1;
    }
    return claims;
  }

  private static int endBracket(String s, int begin) {
    if (begin >= s.length() || s.charAt(begin) != '[') {
      return -1;
    }
    for (int i = begin + 1; i < s.length(); i++) {
      if (s.charAt(i) == '[') {
        return -1;
      }
      if (s.charAt(i) == ']') {
        return i;
      }
    }
    return -1;
  }

  private static String trimBrackets(String v) {
    int b = 0;
    int e = v.length();
    while (b < e && (v.charAt(b) == '[' || v.charAt(b) == ']')) {
      b++;
    }
    while (e > b && (v.charAt(e - 1) == '[' || v.charAt(e - 1) == ']')) {
      e--;
    }
    return v.substring(b, e);
  }
}

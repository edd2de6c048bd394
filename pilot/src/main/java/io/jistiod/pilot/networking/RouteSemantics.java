package io.jistiod.pilot.networking;

import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatchAndSubstitute;
import io.jistiod.galley.config.Config;

/**
 * How routes of VirtualServices generated from the Kubernetes Gateway API (annotated {@code
 * internal.istio.io/route-semantics: gateway}) differ from those of hand-written ones, as istiod
 * translates them: prefixes match whole path segments, an invalid backend answers 500, a rewrite to
 * "/" removes the matched prefix, and a redirect to {@code %PREFIX()%...} replaces only the prefix.
 * Ingress-generated ones ({@code ingress}) share the path-segment prefixes.
 */
public final class RouteSemantics {
  public static final String ANNOTATION = "internal.istio.io/route-semantics";

  private static final String PREFIX_REPLACE = "%PREFIX()%";

  private RouteSemantics() {}

  public static boolean gateway(Config vs) {
    return vs != null && "gateway".equals(vs.meta().annotations().get(ANNOTATION));
  }

  public static boolean ingress(Config vs) {
    return vs != null && "ingress".equals(vs.meta().annotations().get(ANNOTATION));
  }

  /** A prefix other than "/" as a path-separated prefix, without its trailing slash. */
  static RouteMatch pathSeparated(RouteMatch m) {
    if (m.getPathSpecifierCase() != RouteMatch.PathSpecifierCase.PREFIX
        || m.getPrefix().equals("/")) {
      return m;
    }
    String p = m.getPrefix();
    String trimmed = p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    return m.toBuilder().setPathSeparatedPrefix(trimmed).build();
  }

  /** A rewrite of the matched prefix to "/": the prefix is cut, one slash kept. */
  static RegexMatchAndSubstitute removePrefix(RouteMatch m) {
    return RegexMatchAndSubstitute.newBuilder()
        .setPattern(
            HttpRouteMatches.regex("^" + quoteMeta(m.getPathSeparatedPrefix()) + "(/?)(.*)"))
        .setSubstitution("/\\2")
        .build();
  }

  /** {@code %PREFIX()%/new}: the matched prefix is replaced with {@code /new}. */
  static RedirectAction prefixRedirect(RedirectAction r) {
    if (!r.getPathRedirect().startsWith(PREFIX_REPLACE)) {
      return r;
    }
    return r.toBuilder()
        .setPrefixRewrite(r.getPathRedirect().substring(PREFIX_REPLACE.length()))
        .build();
  }

  /** RE2's (Go's regexp.QuoteMeta) escaping of the characters that mean something in a regex. */
  static String quoteMeta(String s) {
    StringBuilder out = new StringBuilder(s.length() + 8);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if ("\\.+*?()|[]{}^$".indexOf(c) >= 0) {
        out.append('\\');
      }
      out.append(c);
    }
    return out.toString();
  }
}

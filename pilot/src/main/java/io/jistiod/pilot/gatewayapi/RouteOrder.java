package io.jistiod.pilot.gatewayapi;

import io.jistiod.galley.api.networking.v1alpha3.HTTPMatchRequest;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRoute;
import io.jistiod.galley.api.networking.v1alpha3.StringMatch;
import java.util.Comparator;

/**
 * The precedence the Gateway API gives HTTP rules, as istiod orders a VirtualService's routes
 * ({@code sortHTTPRoutes}; a stable sort, so ties keep route creation and rule order): routes with
 * a match first, then by path match type (Exact, Prefix, Regex), longer paths, a method match, more
 * header matches, more query parameter matches. Only the first match counts: each route has one.
 */
final class RouteOrder {
  static final Comparator<HTTPRoute> PRECEDENCE = RouteOrder::compare;

  private RouteOrder() {}

  private static int compare(HTTPRoute a, HTTPRoute b) {
    if (a.getMatchCount() == 0 || b.getMatchCount() == 0) {
      return Boolean.compare(a.getMatchCount() == 0, b.getMatchCount() == 0);
    }
    HTTPMatchRequest m1 = a.getMatch(0);
    HTTPMatchRequest m2 = b.getMatch(0);
    int c = Integer.compare(rank(m2), rank(m1));
    if (c == 0) {
      c = Integer.compare(length(m2), length(m1));
    }
    if (c == 0) {
      c = Boolean.compare(m2.hasMethod(), m1.hasMethod());
    }
    if (c == 0) {
      c = Integer.compare(m2.getHeadersCount(), m1.getHeadersCount());
    }
    if (c == 0) {
      c = Integer.compare(m2.getQueryParamsCount(), m1.getQueryParamsCount());
    }
    return c;
  }

  private static int rank(HTTPMatchRequest m) {
    if (!m.hasUri()) {
      return -1;
    }
    return switch (m.getUri().getMatchTypeCase()) {
      case EXACT -> 3;
      case PREFIX -> 2;
      case REGEX -> 1;
      default -> -1;
    };
  }

  private static int length(HTTPMatchRequest m) {
    if (!m.hasUri()) {
      return 0;
    }
    StringMatch u = m.getUri();
    return switch (u.getMatchTypeCase()) {
      case EXACT -> u.getExactBytes().size(); // bytes, as Go counts
      case PREFIX -> u.getPrefixBytes().size();
      case REGEX -> u.getRegexBytes().size();
      default -> -1;
    };
  }
}

package io.jistiod.pilot.networking;

import com.google.protobuf.BoolValue;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.QueryParameterMatcher;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.type.matcher.v3.ListMatcher;
import io.envoyproxy.envoy.type.matcher.v3.MetadataMatcher;
import io.envoyproxy.envoy.type.matcher.v3.OrMatcher;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.matcher.v3.ValueMatcher;
import io.jistiod.galley.api.networking.v1alpha3.HTTPMatchRequest;
import io.jistiod.galley.api.networking.v1alpha3.StringMatch;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * VirtualService HTTP match blocks as Envoy route matches, in istiod's shape: header and
 * withoutHeaders matchers sorted by name, then {@code :method}, {@code :authority}, {@code
 * :scheme}; an empty match (or the regex {@code *}) means "present".
 */
public final class HttpRouteMatches {
  private HttpRouteMatches() {}

  /** The match-everything route match. */
  public static RouteMatch catchAll() {
    return RouteMatch.newBuilder().setPrefix("/").build();
  }

  /**
   * @param caseSensitive whether to state {@code case_sensitive} explicitly, as istiod does for
   *     Envoy (proxyless gRPC clients get it only when {@code ignoreUriCase} asks for it)
   */
  public static RouteMatch translate(HTTPMatchRequest m, boolean caseSensitive) {
    RouteMatch.Builder b = RouteMatch.newBuilder().setPrefix("/");
    List<HeaderMatcher> headers = new ArrayList<>();
    for (Map.Entry<String, StringMatch> h : HttpRouteBuilder.sorted(m.getHeadersMap())) {
      MetadataMatcher claim = jwtClaim(h.getKey(), h.getValue());
      if (claim != null) {
        b.addDynamicMetadata(claim);
      } else {
        headers.add(header(h.getKey(), h.getValue()));
      }
    }
    for (Map.Entry<String, StringMatch> h : HttpRouteBuilder.sorted(m.getWithoutHeadersMap())) {
      MetadataMatcher claim = jwtClaim(h.getKey(), h.getValue());
      if (claim != null) {
        b.addDynamicMetadata(claim.toBuilder().setInvert(true));
        continue;
      }
      HeaderMatcher.Builder inverted = header(h.getKey(), h.getValue()).toBuilder();
      inverted.setInvertMatch(true);
      if (!isPresentMatch(h.getValue())) {
        // a request without the header does not carry the value either, so it matches
        inverted.setTreatMissingHeaderAsEmpty(true);
      }
      headers.add(inverted.build());
    }
    headers.sort(Comparator.comparing(HeaderMatcher::getName));
    if (m.hasUri()) {
      StringMatch uri = m.getUri();
      switch (uri.getMatchTypeCase()) {
        case EXACT -> b.setPath(uri.getExact());
        case PREFIX -> b.setPrefix(uri.getPrefix());
        case REGEX -> b.setSafeRegex(regex(uri.getRegex()));
        default -> {}
      }
    }
    if (caseSensitive || m.getIgnoreUriCase()) {
      b.setCaseSensitive(BoolValue.of(!m.getIgnoreUriCase()));
    }
    if (m.hasMethod()) {
      headers.add(header(":method", m.getMethod()));
    }
    if (m.hasAuthority()) {
      headers.add(header(":authority", m.getAuthority()));
    }
    if (m.hasScheme()) {
      headers.add(header(":scheme", m.getScheme()));
    }
    b.addAllHeaders(headers);
    // istiod walks a Go map here (random order); sorted by name keeps the output stable
    m.getQueryParamsMap().entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(q -> b.addQueryParameters(queryParameter(q.getKey(), q.getValue())));
    return b.build();
  }

  /** Whether Envoy would take the route for every request: "/" with no other condition. */
  public static boolean isCatchAll(RouteMatch m) {
    boolean anyPath =
        switch (m.getPathSpecifierCase()) {
          case PREFIX -> m.getPrefix().equals("/");
          case PATH_SEPARATED_PREFIX -> m.getPathSeparatedPrefix().equals("/");
          case SAFE_REGEX -> m.getSafeRegex().getRegex().equals(".*");
          default -> false;
        };
    return anyPath
        && m.getHeadersCount() == 0
        && m.getQueryParametersCount() == 0
        && m.getDynamicMetadataCount() == 0;
  }

  /**
   * A {@code @request.auth.claims.a.b} (or {@code @request.auth.claims[a][b]}) "header": the JWT
   * filter's verified payload, where a claim may be a string or a list of strings. Null for a real
   * header.
   */
  static MetadataMatcher jwtClaim(String name, StringMatch value) {
    String prefix = "@request.auth.claims";
    if (!name.toLowerCase(Locale.ROOT).startsWith(prefix)) {
      return null;
    }
    String rest = name.substring(prefix.length());
    List<String> claims;
    if (rest.startsWith(".") && rest.length() > 1) {
      claims = List.of(rest.substring(1).split("\\.", -1));
    } else if (rest.startsWith("[") && rest.endsWith("]") && rest.length() > 2) {
      claims = List.of(rest.substring(1, rest.length() - 1).split("\\]\\[", -1));
    } else {
      return null;
    }
    MetadataMatcher.Builder out =
        MetadataMatcher.newBuilder()
            .setFilter("envoy.filters.http.jwt_authn")
            .addPath(MetadataMatcher.PathSegment.newBuilder().setKey("payload"));
    claims.forEach(c -> out.addPath(MetadataMatcher.PathSegment.newBuilder().setKey(c)));
    StringMatcher sm = stringMatcher(value);
    ValueMatcher v =
        sm == null
            ? ValueMatcher.newBuilder().setPresentMatch(true).build()
            : ValueMatcher.newBuilder().setStringMatch(sm).build();
    // a list claim matches when one of its entries does, a string claim when it does itself
    out.setValue(
        ValueMatcher.newBuilder()
            .setOrMatch(
                OrMatcher.newBuilder()
                    .addValueMatchers(
                        ValueMatcher.newBuilder()
                            .setListMatch(ListMatcher.newBuilder().setOneOf(v)))
                    .addValueMatchers(v)));
    return out.build();
  }

  private static HeaderMatcher header(String name, StringMatch value) {
    // the name as written (istiod does not lower-case it; Envoy compares names without case), so
    // "X-Tenant" sorts before "x-region" as in istiod
    HeaderMatcher.Builder h = HeaderMatcher.newBuilder().setName(name);
    StringMatcher sm = isPresentMatch(value) ? null : stringMatcher(value);
    if (sm == null) {
      h.setPresentMatch(true);
    } else {
      h.setStringMatch(sm);
    }
    return h.build();
  }

  private static QueryParameterMatcher queryParameter(String name, StringMatch value) {
    QueryParameterMatcher.Builder q = QueryParameterMatcher.newBuilder().setName(name);
    StringMatcher sm = isPresentMatch(value) ? null : stringMatcher(value);
    if (sm == null) {
      q.setPresentMatch(true);
    } else {
      q.setStringMatch(sm);
    }
    return q.build();
  }

  /** No match type, or the regex {@code *} (not RE2, Istio's "any value"). */
  static boolean isPresentMatch(StringMatch s) {
    return s.getMatchTypeCase() == StringMatch.MatchTypeCase.MATCHTYPE_NOT_SET
        || (s.getMatchTypeCase() == StringMatch.MatchTypeCase.REGEX && s.getRegex().equals("*"));
  }

  /** Exact, prefix or RE2 regex; null for an empty match. */
  public static StringMatcher stringMatcher(StringMatch s) {
    return switch (s.getMatchTypeCase()) {
      case EXACT -> StringMatcher.newBuilder().setExact(s.getExact()).build();
      case PREFIX -> StringMatcher.newBuilder().setPrefix(s.getPrefix()).build();
      case REGEX -> StringMatcher.newBuilder().setSafeRegex(regex(s.getRegex())).build();
      default -> null;
    };
  }

  static RegexMatcher regex(String re) {
    return RegexMatcher.newBuilder().setRegex(re).build();
  }
}

package io.jistiod.pilot.security;

import com.google.protobuf.Empty;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtClaimToHeader;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtHeader;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtProvider;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirement;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirementAndList;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirementOrList;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.RequirementRule;
import io.jistiod.galley.api.security.v1beta1.ClaimToHeader;
import io.jistiod.galley.api.security.v1beta1.JWTHeader;
import io.jistiod.galley.api.security.v1beta1.JWTRule;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Turns the JWT rules that apply to one proxy into Envoy's {@code jwt_authn} config, as istiod 1.27
 * does: one provider per rule, named {@code origins-N} by its position after sorting by issuer; a
 * token that is present must verify, a missing one is let through (AuthorizationPolicy decides).
 */
final class JwtAuthnConfigBuilder {
  /**
   * Where the verified payload lands in the filter's dynamic metadata; AuthorizationPolicy's {@code
   * requestPrincipals} and {@code request.auth.claims} matchers read it from there.
   */
  static final String PAYLOAD_METADATA_KEY = "payload";

  /** Claims istiod always splits on spaces, so a policy can match one OAuth scope. */
  private static final List<String> DEFAULT_SPACE_DELIMITED = List.of("scope", "permission");

  private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

  private final JwksSource jwks;

  JwtAuthnConfigBuilder(JwksSource jwks) {
    this.jwks = jwks;
  }

  /**
   * @param rules the proxy's rules, already in issuer order
   * @param clearRouteCache true for gateways (a route may match on a claim), false for sidecars
   */
  JwtAuthentication build(List<SourcedRule> rules, boolean clearRouteCache) {
    JwtAuthentication.Builder out = JwtAuthentication.newBuilder();
    // Each entry: this provider's token, if present, is valid (or the rule's presence demands it).
    List<JwtRequirement> each = new ArrayList<>();
    // Any single provider satisfied: needed when providers read the same header, where the AND
    // above can never pass because one token cannot verify for two issuers.
    List<JwtRequirement> any = new ArrayList<>();
    for (int i = 0; i < rules.size(); i++) {
      JWTRule rule = rules.get(i).rule();
      String name = "origins-" + i;
      out.putProviders(name, provider(rules.get(i), clearRouteCache));
      JwtRequirement byName = JwtRequirement.newBuilder().setProviderName(name).build();
      each.add(
          rule.getPresence() == JWTRule.JWTRequirement.REQUIRED
              // istio.io/api 1.32's presence: REQUIRED, unknown to 1.27: no allow_missing, so a
              // request without the token is refused rather than silently let through.
              ? byName
              : JwtRequirement.newBuilder()
                  .setRequiresAny(
                      JwtRequirementOrList.newBuilder()
                          .addRequirements(byName)
                          .addRequirements(
                              JwtRequirement.newBuilder()
                                  .setAllowMissing(Empty.getDefaultInstance())))
                  .build());
      any.add(byName);
    }
    JwtRequirement requires;
    if (each.size() == 1) {
      requires = each.get(0);
    } else {
      requires =
          JwtRequirement.newBuilder()
              .setRequiresAny(
                  JwtRequirementOrList.newBuilder()
                      .addAllRequirements(any)
                      .addRequirements(
                          JwtRequirement.newBuilder()
                              .setRequiresAll(
                                  JwtRequirementAndList.newBuilder().addAllRequirements(each))))
              .build();
    }
    return out.addRules(
            RequirementRule.newBuilder()
                .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRequires(requires))
        .setBypassCorsPreflight(true)
        .build();
  }

  private JwtProvider provider(SourcedRule sourced, boolean clearRouteCache) {
    JWTRule rule = sourced.rule();
    JwtProvider.Builder p =
        JwtProvider.newBuilder()
            .setIssuer(rule.getIssuer())
            .addAllAudiences(rule.getAudiencesList())
            .setForward(rule.getForwardOriginalToken())
            .setForwardPayloadHeader(rule.getOutputPayloadToHeader())
            .setPayloadInMetadata(PAYLOAD_METADATA_KEY)
            .setNormalizePayloadInMetadata(
                JwtProvider.NormalizePayload.newBuilder()
                    .addAllSpaceDelimitedClaims(spaceDelimited(rule)))
            .setClearRouteCache(clearRouteCache);
    for (ClaimToHeader c : rule.getOutputClaimToHeadersList()) {
      p.addClaimToHeaders(
          JwtClaimToHeader.newBuilder().setHeaderName(c.getHeader()).setClaimName(c.getClaim()));
    }
    for (JWTHeader h : rule.getFromHeadersList()) {
      p.addFromHeaders(JwtHeader.newBuilder().setName(h.getName()).setValuePrefix(h.getPrefix()));
    }
    p.addAllFromParams(rule.getFromParamsList()).addAllFromCookies(rule.getFromCookiesList());
    p.setLocalJwks(DataSource.newBuilder().setInlineString(keys(sourced)));
    return p.build();
  }

  /** The key set to inline: the rule's own, else the fetched one, else one no token matches. */
  private String keys(SourcedRule sourced) {
    JWTRule rule = sourced.rule();
    if (!rule.getJwks().isEmpty()) {
      return rule.getJwks();
    }
    Duration timeout = DEFAULT_TIMEOUT;
    if (rule.hasTimeout()) {
      timeout = Duration.ofSeconds(rule.getTimeout().getSeconds(), rule.getTimeout().getNanos());
    }
    return jwks.jwks(rule.getIssuer(), rule.getJwksUri(), timeout, sourced.describe())
        .orElse(FakeJwks.JSON);
  }

  /**
   * istio.io/api 1.32's {@code spaceDelimitedClaims} extends the two claims istiod 1.27 always
   * splits; with none given the output is exactly 1.27's.
   */
  private static List<String> spaceDelimited(JWTRule rule) {
    Set<String> claims = new LinkedHashSet<>(DEFAULT_SPACE_DELIMITED);
    claims.addAll(rule.getSpaceDelimitedClaimsList());
    return List.copyOf(claims);
  }
}

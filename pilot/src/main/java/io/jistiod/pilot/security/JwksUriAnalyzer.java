package io.jistiod.pilot.security;

import io.jistiod.galley.analysis.AnalysisContext;
import io.jistiod.galley.analysis.AnalysisMessage;
import io.jistiod.galley.analysis.Analyzer;
import io.jistiod.galley.analysis.MessageType;
import io.jistiod.galley.api.security.v1beta1.JWTRule;
import io.jistiod.galley.api.security.v1beta1.RequestAuthentication;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.IstioKinds;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Warns at admission when istiod cannot fetch the key set a JWT rule relies on ({@code jwksUri}, or
 * the issuer's OpenID discovery when neither {@code jwks} nor {@code jwksUri} is set): the policy
 * is admitted, and every token of that issuer is rejected until the keys can be fetched.
 *
 * <p>Waits a bounded time for a first fetch, so a slow JWKS server never stalls admission; a fetch
 * still running then gives no warning (the log names the policy if it fails later).
 */
public final class JwksUriAnalyzer implements Analyzer {
  private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

  private final JwksResolver resolver;
  private final Duration wait;

  /**
   * @param wait how long admission may wait for the first fetch of a key set
   */
  public JwksUriAnalyzer(JwksResolver resolver, Duration wait) {
    this.resolver = resolver;
    this.wait = wait;
  }

  @Override
  public String name() {
    return "requestauthentication.JwksUriAnalyzer";
  }

  @Override
  public List<AnalysisMessage> analyze(Config object, AnalysisContext context) {
    if (object.meta().kind() != IstioKinds.REQUEST_AUTHENTICATION) {
      return List.of();
    }
    RequestAuthentication ra = object.spec(RequestAuthentication.class);
    List<AnalysisMessage> out = new ArrayList<>();
    for (int i = 0; i < ra.getJwtRulesCount(); i++) {
      JWTRule rule = ra.getJwtRules(i);
      if (!rule.getJwks().isEmpty()
          || (rule.getJwksUri().isEmpty() && rule.getIssuer().isEmpty())) {
        continue;
      }
      String field =
          "spec.jwtRules[" + i + "]" + (rule.getJwksUri().isEmpty() ? ".issuer" : ".jwksUri");
      Duration timeout =
          rule.hasTimeout()
              ? Duration.ofSeconds(rule.getTimeout().getSeconds(), rule.getTimeout().getNanos())
              : DEFAULT_TIMEOUT;
      String who = new SourcedRule(rule, object, i).describe();
      int index = i;
      resolver
          .fetchProblem(rule.getIssuer(), rule.getJwksUri(), timeout, who, wait)
          .ifPresent(
              problem ->
                  out.add(
                      new AnalysisMessage(
                          MessageType.JWKS_NOT_FETCHED,
                          object.key(),
                          field,
                          "istiod cannot fetch the JWKS"
                              + (rule.getJwksUri().isEmpty()
                                  ? " of issuer \"" + rule.getIssuer() + "\" (OpenID discovery)"
                                  : " from " + rule.getJwksUri())
                              + ": "
                              + problem
                              + "; until it can, every token of jwtRules["
                              + index
                              + "] is rejected (401)")));
    }
    return out;
  }
}

package io.jistiod.galley.validation;

import io.jistiod.galley.api.security.v1beta1.ClaimToHeader;
import io.jistiod.galley.api.security.v1beta1.JWTRule;
import io.jistiod.galley.api.security.v1beta1.RequestAuthentication;
import io.jistiod.galley.config.Config;
import java.util.List;

/** Istio's rules for RequestAuthentication and its JWT rules. */
final class RequestAuthenticationValidator implements ConfigValidator {
  @Override
  public List<ValidationMessage> validate(Config config) {
    RequestAuthentication ra = config.spec(RequestAuthentication.class);
    Findings f = new Findings();
    Common.oneSelectorKind(ra.hasSelector(), ra.hasTargetRef(), ra.getTargetRefsCount(), "spec", f);
    Common.workloadSelector(ra.hasSelector(), ra.getSelector(), "spec.selector", f);
    Common.targetRefs(ra.hasTargetRef(), ra.getTargetRef(), ra.getTargetRefsList(), "spec", f);
    for (int i = 0; i < ra.getJwtRulesCount(); i++) {
      Deadline.check();
      jwtRule(ra.getJwtRules(i), "spec.jwtRules[" + i + "]", f);
    }
    return f.messages();
  }

  private static void jwtRule(JWTRule r, String path, Findings f) {
    for (int i = 0; i < r.getAudiencesCount(); i++) {
      Deadline.check();
      if (r.getAudiences(i).isEmpty()) {
        f.error(Findings.at(path + ".audiences", i), "an audience must not be empty");
      }
    }
    if (r.getIssuer().isEmpty() && r.getJwksUri().isEmpty()) {
      f.error(path, "issuer or jwksUri is required");
    }
    if (!r.getJwksUri().isEmpty()) {
      GoUrl.Result u = GoUrl.parse(r.getJwksUri());
      if (!u.ok()) {
        f.error(path + ".jwksUri", "invalid jwksUri: " + u.error());
      } else if (!u.scheme().equals("http") && !u.scheme().equals("https")) {
        f.error(
            path + ".jwksUri",
            "jwksUri scheme \"" + u.scheme() + "\" is not supported (use http or https)");
      }
    }
    if (!r.getJwks().isEmpty()) {
      Jwks.Result jwks = Jwks.parse(r.getJwks());
      if (jwks.error() != null) {
        f.error(path + ".jwks", "invalid jwks: " + jwks.error());
      } else {
        for (int key : jwks.privateKeys()) {
          Deadline.check();
          f.warning(
              path + ".jwks",
              "jwks key "
                  + key
                  + " contains private key material; only public keys are used for verification");
        }
      }
    }
    for (int i = 0; i < r.getFromHeadersCount(); i++) {
      Deadline.check();
      if (r.getFromHeaders(i).getName().isEmpty()) {
        f.error(Findings.at(path + ".fromHeaders", i) + ".name", "header name must not be empty");
      }
    }
    for (int i = 0; i < r.getFromParamsCount(); i++) {
      Deadline.check();
      if (r.getFromParams(i).isEmpty()) {
        f.error(Findings.at(path + ".fromParams", i), "query parameter name must not be empty");
      }
    }
    for (int i = 0; i < r.getFromCookiesCount(); i++) {
      Deadline.check();
      if (r.getFromCookies(i).isEmpty()) {
        f.error(Findings.at(path + ".fromCookies", i), "cookie name must not be empty");
      }
    }
    for (int i = 0; i < r.getOutputClaimToHeadersCount(); i++) {
      Deadline.check();
      ClaimToHeader c = r.getOutputClaimToHeaders(i);
      String where = Findings.at(path + ".outputClaimToHeaders", i);
      if (c.getClaim().isEmpty() || c.getHeader().isEmpty()) {
        f.error(where, "outputClaimToHeaders needs both a header and a claim");
        continue;
      }
      f.errorIf(where + ".header", Headers.strictNameProblem(c.getHeader()));
    }
    if (r.hasTimeout()) {
      Durations.check(r.getTimeout(), path + ".timeout", f);
    }
  }
}

package io.jistiod.pilot.security;

import io.jistiod.galley.api.security.v1beta1.JWTRule;
import io.jistiod.galley.config.Config;

/** A JWT rule with the RequestAuthentication it came from, so logs can name it. */
record SourcedRule(JWTRule rule, Config policy, int index) {
  String describe() {
    return "RequestAuthentication "
        + policy.namespace()
        + "/"
        + policy.name()
        + " spec.jwtRules["
        + index
        + "]";
  }
}

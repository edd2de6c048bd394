package io.jistiod.pilot.gatewayapi;

/**
 * One converted route rule: the Istio route, or null when a hard error stops the conversion of the
 * whole route; and the error to report (soft when there is a route).
 */
record RuleResult<T>(T route, StatusError error) {
  static <T> RuleResult<T> hard(StatusError e) {
    return new RuleResult<>(null, e);
  }
}

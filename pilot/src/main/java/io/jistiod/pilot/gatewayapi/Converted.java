package io.jistiod.pilot.gatewayapi;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * A route's rules converted for one kind of parent (Gateways or the mesh): the Istio routes and the
 * error to report. A hard error leaves no routes at all; a soft one keeps them, the last one
 * reported.
 */
record Converted<T>(List<T> routes, StatusError error) {
  static <T> Converted<T> none() {
    return new Converted<>(List.of(), null);
  }

  /** Runs the conversions in order, stopping at the first hard error. */
  static <T> Converted<T> of(List<Supplier<RuleResult<T>>> rules) {
    List<T> routes = new ArrayList<>();
    StatusError error = null;
    for (Supplier<RuleResult<T>> rule : rules) {
      RuleResult<T> r = rule.get();
      if (r.route() == null) {
        return new Converted<>(List.of(), r.error());
      }
      if (r.error() != null) {
        error = r.error();
      }
      routes.add(r.route());
    }
    return new Converted<>(routes, error);
  }
}

package io.jistiod.pilot.ingress;

import io.jistiod.galley.config.ConfigKey;
import java.util.Objects;

/**
 * Part of an Ingress that istiod does not serve, and why; the rest of the Ingress, and every other
 * one, is served regardless.
 *
 * @param ingress the Ingress
 * @param field the field path within it, e.g. {@code spec.rules[0].http.paths[1].backend}
 * @param reason what is wrong or left out
 */
public record IngressProblem(ConfigKey ingress, String field, String reason) {
  public IngressProblem {
    Objects.requireNonNull(ingress, "ingress");
    Objects.requireNonNull(field, "field");
    Objects.requireNonNull(reason, "reason");
  }

  @Override
  public String toString() {
    return "Ingress " + ingress.namespace() + "/" + ingress.name() + ": " + field + ": " + reason;
  }
}

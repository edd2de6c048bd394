package io.jistiod.galley.analysis;

import io.jistiod.galley.config.ConfigKey;
import java.util.Objects;

/**
 * One analyzer finding about one object, worded so a user reading only it knows what to fix: the
 * message code (Istio's, where Istio has one), the object, the field and the reason, e.g. {@code
 * IST0101 (VirtualService default/reviews) spec.http[0].route[0].destination.subset: Referenced
 * host+subset in destinationrule not found: "reviews.default.svc.cluster.local+v3"}.
 *
 * @param type what kind of finding, with its code
 * @param object the object the finding is about
 * @param field the field path in {@code object}
 * @param text the reason, in Istio's template where Istio has one
 */
public record AnalysisMessage(MessageType type, ConfigKey object, String field, String text) {

  public AnalysisMessage {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(object, "object");
    Objects.requireNonNull(field, "field");
    Objects.requireNonNull(text, "text");
  }

  @Override
  public String toString() {
    return type.code()
        + " ("
        + object.kind().kind()
        + " "
        + object.namespace()
        + "/"
        + object.name()
        + ") "
        + (field.isEmpty() ? "" : field + ": ")
        + text;
  }
}

package io.jistiod.pilot.gatewayapi;

import io.jistiod.galley.api.gateway.v1.Condition;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Sets conditions on an existing list as istiod does ({@code setConditions} with {@code
 * UpdateConditionIfChanged}), so a status that did not change is left exactly as it was and
 * produces no write.
 */
final class Conditions {
  static final String TRUE = "True";
  static final String FALSE = "False";

  private Conditions() {}

  /**
   * One condition to set: the success form (reason, message, and whether success is {@code True}),
   * and the error that, when present, replaces reason and message and inverts the status.
   */
  record Want(String reason, String message, boolean trueOnSuccess, StatusError error) {
    static Want ok(String reason, String message) {
      return new Want(reason, message, true, null);
    }

    /** A condition whose good state is False, such as {@code Conflicted}. */
    static Want okWhenFalse(String reason, String message) {
      return new Want(reason, message, false, null);
    }

    Want failing(StatusError e) {
      return new Want(reason, message, trueOnSuccess, e);
    }

    Want withMessage(String m) {
      return new Want(reason, m, trueOnSuccess, error);
    }
  }

  /**
   * {@code existing} with every wanted condition set, in order of type name: an existing condition
   * of the same type is replaced in place (kept untouched if status, message and generation are the
   * same; keeping its transition time if only the status is the same), new ones are appended.
   *
   * @param now the transition time of a condition whose status changes, RFC 3339
   */
  static List<Condition> apply(
      long generation, List<Condition> existing, Map<String, Want> wanted, String now) {
    List<Condition> out = new ArrayList<>(existing);
    for (var e : new TreeMap<>(wanted).entrySet()) {
      Want w = e.getValue();
      boolean positive = w.error() == null ? w.trueOnSuccess() : !w.trueOnSuccess();
      Condition.Builder c =
          Condition.newBuilder()
              .setType(e.getKey())
              .setStatus(positive ? TRUE : FALSE)
              .setObservedGeneration(generation)
              .setLastTransitionTime(now)
              .setReason(w.error() == null ? w.reason() : w.error().reason())
              .setMessage(w.error() == null ? w.message() : w.error().message());
      int at = indexOf(out, e.getKey());
      if (at < 0) {
        out.add(c.build());
        continue;
      }
      Condition old = out.get(at);
      if (old.getStatus().equals(c.getStatus())) {
        if (old.getMessage().equals(c.getMessage())
            && old.getObservedGeneration() == c.getObservedGeneration()) {
          continue; // istiod leaves it alone, even if the reason differs
        }
        c.setLastTransitionTime(old.getLastTransitionTime());
      }
      out.set(at, c.build());
    }
    return out;
  }

  private static int indexOf(List<Condition> conditions, String type) {
    for (int i = 0; i < conditions.size(); i++) {
      if (conditions.get(i).getType().equals(type)) {
        return i;
      }
    }
    return -1;
  }
}

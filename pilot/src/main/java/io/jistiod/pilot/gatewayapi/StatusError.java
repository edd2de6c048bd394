package io.jistiod.pilot.gatewayapi;

import java.util.Objects;

/**
 * A problem reported in a status condition: its reason (a Gateway API condition reason such as
 * {@code BackendNotFound}) and istiod's message.
 */
record StatusError(String reason, String message) {
  StatusError {
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(message, "message");
  }

  /** Both problems in one: this reason, the messages joined by "; ", as istiod joins them. */
  StatusError join(StatusError other) {
    return other == null ? this : new StatusError(reason, message + "; " + other.message);
  }

  static StatusError join(StatusError a, StatusError b) {
    return a == null ? b : a.join(b);
  }
}

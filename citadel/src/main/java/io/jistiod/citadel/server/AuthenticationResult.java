package io.jistiod.citadel.server;

import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of one authenticator: a caller, or the reason it did not vouch for the call. The
 * reason is logged only; clients get an opaque message so they cannot probe what failed.
 */
public final class AuthenticationResult {
  private final Caller caller;
  private final String failure;

  private AuthenticationResult(Caller caller, String failure) {
    this.caller = caller;
    this.failure = failure;
  }

  public static AuthenticationResult success(Caller caller) {
    return new AuthenticationResult(Objects.requireNonNull(caller, "caller"), null);
  }

  public static AuthenticationResult failure(String reason) {
    return new AuthenticationResult(null, Objects.requireNonNull(reason, "reason"));
  }

  public Optional<Caller> caller() {
    return Optional.ofNullable(caller);
  }

  /** Why authentication failed; empty on success. */
  public Optional<String> failure() {
    return Optional.ofNullable(failure);
  }

  @Override
  public String toString() {
    return caller != null ? "success(" + caller + ")" : "failure(" + failure + ")";
  }
}

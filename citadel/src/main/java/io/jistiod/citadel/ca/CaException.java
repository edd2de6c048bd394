package io.jistiod.citadel.ca;

import java.util.Objects;

/** A refused or failed signing, typed so the server can map it to a status code and a metric. */
public final class CaException extends Exception {
  private static final long serialVersionUID = 1L;

  private final CaErrorType type;

  public CaException(CaErrorType type, String message) {
    super(message);
    this.type = Objects.requireNonNull(type, "type");
  }

  public CaException(CaErrorType type, String message, Throwable cause) {
    super(message, cause);
    this.type = Objects.requireNonNull(type, "type");
  }

  public CaErrorType type() {
    return type;
  }

  @Override
  public String toString() {
    return type + ": " + getMessage();
  }
}

package io.jistiod.citadel.server.authn;

/** The TokenReview could not be performed (API server unreachable, 5xx, forbidden). */
public final class TokenReviewException extends Exception {
  private static final long serialVersionUID = 1L;

  public TokenReviewException(String message, Throwable cause) {
    super(message, cause);
  }
}

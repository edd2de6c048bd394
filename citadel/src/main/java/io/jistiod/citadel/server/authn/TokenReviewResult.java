package io.jistiod.citadel.server.authn;

import java.util.List;
import java.util.Objects;

/**
 * The parts of a TokenReview's {@code status} that decide whether a token identifies a service
 * account; the API server's answer, not yet judged.
 *
 * @param error the API server's own error text, empty if none
 */
public record TokenReviewResult(
    boolean authenticated,
    String username,
    List<String> groups,
    List<String> audiences,
    String error) {
  public TokenReviewResult {
    Objects.requireNonNull(username, "username");
    groups = List.copyOf(Objects.requireNonNull(groups, "groups"));
    audiences = List.copyOf(Objects.requireNonNull(audiences, "audiences"));
    Objects.requireNonNull(error, "error");
  }
}

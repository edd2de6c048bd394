package io.jistiod.citadel.server.authn;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The parts of a TokenReview's {@code status} that decide whether a token identifies a service
 * account; the API server's answer, not yet judged.
 *
 * @param error the API server's own error text, empty if none
 * @param extra the user's extras, e.g. {@code authentication.kubernetes.io/pod-name} for a token
 *     bound to a pod
 */
public record TokenReviewResult(
    boolean authenticated,
    String username,
    List<String> groups,
    List<String> audiences,
    String error,
    Map<String, List<String>> extra) {
  public TokenReviewResult {
    Objects.requireNonNull(username, "username");
    groups = List.copyOf(Objects.requireNonNull(groups, "groups"));
    audiences = List.copyOf(Objects.requireNonNull(audiences, "audiences"));
    Objects.requireNonNull(error, "error");
    Objects.requireNonNull(extra, "extra");
    Map<String, List<String>> copy = new java.util.LinkedHashMap<>();
    extra.forEach((k, v) -> copy.put(k, v == null ? List.of() : List.copyOf(v)));
    extra = Map.copyOf(copy);
  }

  /** Without extras: a token not bound to an object. */
  public TokenReviewResult(
      boolean authenticated,
      String username,
      List<String> groups,
      List<String> audiences,
      String error) {
    this(authenticated, username, groups, audiences, error, Map.of());
  }

  /** The first value of extra {@code key}, empty if absent. */
  public String firstExtra(String key) {
    List<String> values = extra.getOrDefault(key, List.of());
    return values.isEmpty() || values.get(0) == null ? "" : values.get(0);
  }
}

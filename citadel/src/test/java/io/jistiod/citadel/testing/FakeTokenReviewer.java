package io.jistiod.citadel.testing;

import io.jistiod.citadel.server.authn.TokenReviewException;
import io.jistiod.citadel.server.authn.TokenReviewResult;
import io.jistiod.citadel.server.authn.TokenReviewer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Answers token reviews from a table; unknown tokens are not authenticated. */
public final class FakeTokenReviewer implements TokenReviewer {
  public static final List<String> SA_GROUPS =
      List.of("system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated");

  private final Map<String, TokenReviewResult> answers = new ConcurrentHashMap<>();
  private final List<List<String>> requestedAudiences = new ArrayList<>();
  private volatile boolean failing;

  /** A valid projected token of {@code namespace/serviceAccount} bound to istio-ca. */
  public FakeTokenReviewer withServiceAccount(String token, String namespace, String sa) {
    return with(
        token,
        new TokenReviewResult(
            true,
            "system:serviceaccount:" + namespace + ":" + sa,
            SA_GROUPS,
            List.of("istio-ca"),
            ""));
  }

  /**
   * A valid token of {@code namespace/sa} bound to pod {@code podName} ({@code podUid}), as the API
   * server reviews one: the pod in the user's extras.
   */
  public FakeTokenReviewer withPodToken(
      String token, String namespace, String sa, String podName, String podUid) {
    return with(
        token,
        new TokenReviewResult(
            true,
            "system:serviceaccount:" + namespace + ":" + sa,
            SA_GROUPS,
            List.of("istio-ca"),
            "",
            Map.of(
                "authentication.kubernetes.io/pod-name", List.of(podName),
                "authentication.kubernetes.io/pod-uid", List.of(podUid))));
  }

  public FakeTokenReviewer with(String token, TokenReviewResult answer) {
    answers.put(token, answer);
    return this;
  }

  /** Makes every review fail as if the API server answered 500. */
  public FakeTokenReviewer failing() {
    failing = true;
    return this;
  }

  public synchronized List<List<String>> requestedAudiences() {
    return List.copyOf(requestedAudiences);
  }

  @Override
  public TokenReviewResult review(String token, List<String> audiences)
      throws TokenReviewException {
    synchronized (this) {
      requestedAudiences.add(audiences);
    }
    if (failing) {
      throw new TokenReviewException("TokenReview failed with HTTP 500", null);
    }
    return answers.getOrDefault(token, new TokenReviewResult(false, "", List.of(), List.of(), ""));
  }
}

package io.jistiod.citadel.server.authn;

import java.util.List;

/**
 * Asks the Kubernetes API server whether a token is valid for the given audiences.
 *
 * <p>Implementations report what the API server said; judging it is {@link KubeJwtAuthenticator}'s
 * job, so the rules are tested once against every kind of answer.
 */
@FunctionalInterface
public interface TokenReviewer {
  TokenReviewResult review(String token, List<String> audiences) throws TokenReviewException;
}

package io.jistiod.citadel.server.authn;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatus;
import io.fabric8.kubernetes.api.model.authentication.UserInfo;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Reviews tokens with an {@code authentication.k8s.io/v1} TokenReview through fabric8.
 *
 * <p>istiod's service account needs {@code create} on {@code tokenreviews} (Istio's chart grants
 * it). The token never appears in exceptions or logs.
 */
public final class KubernetesTokenReviewer implements TokenReviewer {
  private final KubernetesClient client;

  public KubernetesTokenReviewer(KubernetesClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  @Override
  public TokenReviewResult review(String token, List<String> audiences)
      throws TokenReviewException {
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(audiences, "audiences");
    TokenReview request =
        new TokenReviewBuilder()
            .withNewSpec()
            .withToken(token)
            .withAudiences(audiences)
            .endSpec()
            .build();
    TokenReview answer;
    try {
      answer = client.authentication().v1().tokenReviews().create(request);
    } catch (KubernetesClientException e) {
      throw new TokenReviewException("TokenReview failed with HTTP " + e.getCode(), e);
    }
    TokenReviewStatus status = answer == null ? null : answer.getStatus();
    if (status == null) {
      throw new TokenReviewException("TokenReview answer has no status", null);
    }
    UserInfo user = status.getUser();
    return new TokenReviewResult(
        Boolean.TRUE.equals(status.getAuthenticated()),
        user == null || user.getUsername() == null ? "" : user.getUsername(),
        user == null || user.getGroups() == null ? List.of() : user.getGroups(),
        status.getAudiences() == null ? List.of() : status.getAudiences(),
        status.getError() == null ? "" : status.getError(),
        user == null || user.getExtra() == null ? Map.of() : user.getExtra());
  }
}

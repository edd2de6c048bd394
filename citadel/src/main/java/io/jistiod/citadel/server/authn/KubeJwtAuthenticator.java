package io.jistiod.citadel.server.authn;

import io.jistiod.citadel.server.AuthenticationResult;
import io.jistiod.citadel.server.Authenticator;
import io.jistiod.citadel.server.CallInfo;
import io.jistiod.citadel.server.Caller;
import io.jistiod.citadel.server.KubernetesInfo;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Authenticates a pod by its projected service account token ({@code authorization: Bearer <jwt>}),
 * validated by the API server through a TokenReview.
 *
 * <p>The review always names the audiences (default {@code istio-ca}), and the answer must confirm
 * one of them: a token minted for the API server ({@code kubernetes.default.svc}) or for nobody
 * would otherwise let anyone who sees it obtain the pod's identity. Accepted: authenticated, in
 * group {@code system:serviceaccounts}, username {@code system:serviceaccount:<ns>:<sa>} with both
 * parts non-empty. The identity is {@code spiffe://<trustDomain>/ns/<ns>/sa/<sa>}; a token bound to
 * a pod also gives the pod's name and UID (the review's user extras), which node authorization uses
 * to find the caller's node.
 *
 * <p>Only tokens of istiod's own cluster are accepted: a call whose {@code clusterid} header names
 * another cluster is refused (multi-cluster token review is not supported yet).
 */
public final class KubeJwtAuthenticator implements Authenticator {
  /** Istio's {@code TOKEN_AUDIENCES} default. */
  public static final List<String> DEFAULT_AUDIENCES = List.of("istio-ca");

  /** TokenReview user extras naming the pod a token is bound to (Kubernetes' serviceaccount). */
  static final String POD_NAME_EXTRA = "authentication.kubernetes.io/pod-name";

  static final String POD_UID_EXTRA = "authentication.kubernetes.io/pod-uid";

  static final String AUTHORIZATION_HEADER = "authorization";
  static final String CLUSTER_ID_HEADER = "clusterid";
  private static final String BEARER_PREFIX = "bearer ";
  private static final String SERVICE_ACCOUNTS_GROUP = "system:serviceaccounts";

  private final String trustDomain;
  private final List<String> audiences;
  private final String clusterId;
  private final TokenReviewer reviewer;

  /**
   * @param trustDomain the mesh trust domain, for the SPIFFE IDs
   * @param audiences what the TokenReview asks for; must not be empty
   * @param clusterId istiod's {@code CLUSTER_ID}; calls naming another cluster are refused
   */
  public KubeJwtAuthenticator(
      String trustDomain, List<String> audiences, String clusterId, TokenReviewer reviewer) {
    this.trustDomain = Objects.requireNonNull(trustDomain, "trustDomain");
    this.audiences = List.copyOf(Objects.requireNonNull(audiences, "audiences"));
    this.clusterId = Objects.requireNonNull(clusterId, "clusterId");
    this.reviewer = Objects.requireNonNull(reviewer, "reviewer");
    if (this.audiences.isEmpty()) {
      throw new IllegalArgumentException("audiences: empty (expected: e.g. [istio-ca])");
    }
  }

  @Override
  public String name() {
    return "KubeJwtAuthenticator";
  }

  @Override
  public AuthenticationResult authenticate(CallInfo call) {
    Optional<String> token = bearerToken(call);
    if (token.isEmpty()) {
      return AuthenticationResult.failure("no bearer token in the authorization header");
    }
    String callerCluster = call.header(CLUSTER_ID_HEADER).orElse("");
    if (!callerCluster.isEmpty() && !callerCluster.equals(clusterId)) {
      return AuthenticationResult.failure(
          "client claims to be in cluster '" + callerCluster + "', which is not this cluster");
    }
    TokenReviewResult status;
    try {
      status = reviewer.review(token.get(), audiences);
    } catch (TokenReviewException e) {
      return AuthenticationResult.failure("token review failed: " + e.getMessage());
    }
    return judge(status);
  }

  private static Optional<String> bearerToken(CallInfo call) {
    return call.header(AUTHORIZATION_HEADER)
        .filter(value -> value.toLowerCase(Locale.ROOT).startsWith(BEARER_PREFIX))
        .map(value -> value.substring(BEARER_PREFIX.length()).trim())
        .filter(token -> !token.isEmpty());
  }

  private AuthenticationResult judge(TokenReviewResult status) {
    if (!status.error().isEmpty()) {
      return AuthenticationResult.failure("token review error: " + status.error());
    }
    if (!status.authenticated()) {
      return AuthenticationResult.failure("the token is not authenticated");
    }
    if (status.audiences().stream().noneMatch(audiences::contains)) {
      return AuthenticationResult.failure(
          "the token is not bound to audiences " + audiences + ": got " + status.audiences());
    }
    if (!status.groups().contains(SERVICE_ACCOUNTS_GROUP)) {
      return AuthenticationResult.failure("the token is not a service account token");
    }
    String[] parts = status.username().split(":", -1);
    if (parts.length != 4
        || !parts[0].equals("system")
        || !parts[1].equals("serviceaccount")
        || parts[2].isEmpty()
        || parts[3].isEmpty()) {
      return AuthenticationResult.failure(
          "invalid username '" + status.username() + "' in the token review result");
    }
    KubernetesInfo pod =
        new KubernetesInfo(
            status.firstExtra(POD_NAME_EXTRA),
            parts[2],
            status.firstExtra(POD_UID_EXTRA),
            parts[3]);
    return AuthenticationResult.success(
        new Caller(
            name(), List.of(SpiffeIds.forServiceAccount(trustDomain, parts[2], parts[3])), pod));
  }
}

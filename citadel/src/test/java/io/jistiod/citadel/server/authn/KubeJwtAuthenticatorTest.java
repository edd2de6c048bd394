package io.jistiod.citadel.server.authn;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Metadata;
import io.jistiod.citadel.server.AuthenticationResult;
import io.jistiod.citadel.server.CallInfo;
import io.jistiod.citadel.server.KubernetesInfo;
import io.jistiod.citadel.testing.FakeTokenReviewer;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** CA-02 and CA-03: only a bound service account token of this cluster authenticates. */
class KubeJwtAuthenticatorTest {
  private final FakeTokenReviewer reviewer = new FakeTokenReviewer();
  private final KubeJwtAuthenticator authenticator =
      new KubeJwtAuthenticator(
          "cluster.local", KubeJwtAuthenticator.DEFAULT_AUDIENCES, "Kubernetes", reviewer);

  private static CallInfo call(String... headerPairs) {
    Metadata headers = new Metadata();
    for (int i = 0; i < headerPairs.length; i += 2) {
      headers.put(
          Metadata.Key.of(headerPairs[i], Metadata.ASCII_STRING_MARSHALLER), headerPairs[i + 1]);
    }
    return new CallInfo(headers, null, null);
  }

  @Test
  void acceptsBoundServiceAccountToken() {
    reviewer.withServiceAccount("good", "default", "sleep");

    AuthenticationResult result =
        authenticator.authenticate(call("authorization", "Bearer good", "clusterid", "Kubernetes"));

    assertThat(result.caller()).isPresent();
    assertThat(result.caller().get().identities())
        .containsExactly("spiffe://cluster.local/ns/default/sa/sleep");
    assertThat(reviewer.requestedAudiences()).containsExactly(List.of("istio-ca"));
  }

  @Test
  void podBoundTokenNamesItsPod() {
    reviewer.withPodToken("bound", "istio-system", "ztunnel", "ztunnel-a", "uid-1");
    reviewer.withServiceAccount("unbound", "istio-system", "ztunnel");

    assertThat(authenticator.authenticate(call("authorization", "Bearer bound")).caller().get())
        .extracting(c -> c.kubernetes())
        .isEqualTo(new KubernetesInfo("ztunnel-a", "istio-system", "uid-1", "ztunnel"));
    assertThat(authenticator.authenticate(call("authorization", "Bearer unbound")).caller().get())
        .extracting(c -> c.kubernetes())
        .isEqualTo(new KubernetesInfo("", "istio-system", "", "ztunnel"));
  }

  @Test
  void replacesAtInTheTrustDomain() {
    reviewer.withServiceAccount("good", "default", "sleep");
    var authenticator =
        new KubeJwtAuthenticator("corp@example", List.of("istio-ca"), "Kubernetes", reviewer);
    assertThat(authenticator.authenticate(call("authorization", "Bearer good")).caller().get())
        .extracting(c -> c.identities().get(0))
        .isEqualTo("spiffe://corp.example/ns/default/sa/sleep");
  }

  static Stream<Arguments> rejectedAnswers() {
    List<String> groups = FakeTokenReviewer.SA_GROUPS;
    List<String> aud = List.of("istio-ca");
    String user = "system:serviceaccount:default:sleep";
    return Stream.of(
        Arguments.of("not authenticated", new TokenReviewResult(false, user, groups, aud, "")),
        Arguments.of("error text", new TokenReviewResult(true, user, groups, aud, "boom")),
        Arguments.of(
            "not a service account",
            new TokenReviewResult(true, user, List.of("system:authenticated"), aud, "")),
        Arguments.of(
            "3 part username",
            new TokenReviewResult(true, "system:serviceaccount:default", groups, aud, "")),
        Arguments.of(
            "5 part username",
            new TokenReviewResult(true, "system:serviceaccount:default:sleep:x", groups, aud, "")),
        Arguments.of(
            "empty namespace",
            new TokenReviewResult(true, "system:serviceaccount::sleep", groups, aud, "")),
        Arguments.of(
            "empty service account",
            new TokenReviewResult(true, "system:serviceaccount:default:", groups, aud, "")),
        Arguments.of(
            "a user, not a service account",
            new TokenReviewResult(true, "system:node:default:sleep", groups, aud, "")),
        Arguments.of(
            "audience kubernetes.default.svc",
            new TokenReviewResult(
                true, user, groups, List.of("https://kubernetes.default.svc"), "")),
        Arguments.of("no audience", new TokenReviewResult(true, user, groups, List.of(), "")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rejectedAnswers")
  void rejectsEveryFailingReviewVariant(String name, TokenReviewResult answer) {
    reviewer.with("token", answer);
    AuthenticationResult result = authenticator.authenticate(call("authorization", "Bearer token"));
    assertThat(result.caller()).isEmpty();
    assertThat(result.failure()).isPresent();
  }

  @Test
  void rejectsWhenTheApiServerFails() {
    reviewer.withServiceAccount("good", "default", "sleep").failing();
    AuthenticationResult result = authenticator.authenticate(call("authorization", "Bearer good"));
    assertThat(result.caller()).isEmpty();
    assertThat(result.failure()).hasValueSatisfying(r -> assertThat(r).contains("HTTP 500"));
  }

  @ParameterizedTest
  @MethodSource("badHeaders")
  void rejectsMissingOrMalformedAuthorization(String[] headers) {
    reviewer.withServiceAccount("good", "default", "sleep");
    assertThat(authenticator.authenticate(call(headers)).caller()).isEmpty();
    assertThat(reviewer.requestedAudiences()).as("no review without a token").isEmpty();
  }

  static Stream<Arguments> badHeaders() {
    return Stream.of(
        Arguments.of((Object) new String[] {}),
        Arguments.of((Object) new String[] {"authorization", "good"}),
        Arguments.of((Object) new String[] {"authorization", "Basic good"}),
        Arguments.of((Object) new String[] {"authorization", "Bearer "}),
        Arguments.of(
            (Object) new String[] {"authorization", "Bearer good", "clusterid", "other-cluster"}));
  }
}

package io.jistiod.citadel.server.authn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The TokenReview on the wire: audiences always sent; API server errors surface as failures. */
@EnableKubernetesMockClient(
    kubernetesClientBuilderCustomizer = KubernetesTokenReviewerTest.NoRetries.class)
class KubernetesTokenReviewerTest {
  /** fabric8 retries 5xx with backoff by default; the failure cases need one answer only. */
  public static final class NoRetries implements Consumer<KubernetesClientBuilder> {
    @Override
    public void accept(KubernetesClientBuilder builder) {
      builder.editOrNewConfig().withRequestRetryBackoffLimit(0).endConfig();
    }
  }

  private static final String PATH = "/apis/authentication.k8s.io/v1/tokenreviews";

  KubernetesMockServer server;
  KubernetesClient client;

  @Test
  void sendsTokenAndAudiencesAndReadsTheStatus() throws Exception {
    TokenReview answer =
        new TokenReviewBuilder()
            .withNewStatus()
            .withAuthenticated(true)
            .withAudiences("istio-ca")
            .withNewUser()
            .withUsername("system:serviceaccount:default:sleep")
            .withGroups("system:serviceaccounts", "system:authenticated")
            .addToExtra("authentication.kubernetes.io/pod-name", List.of("sleep-1"))
            .endUser()
            .endStatus()
            .build();
    server.expect().post().withPath(PATH).andReturn(201, answer).once();

    TokenReviewResult result =
        new KubernetesTokenReviewer(client).review("the-jwt", List.of("istio-ca"));

    assertThat(result)
        .isEqualTo(
            new TokenReviewResult(
                true,
                "system:serviceaccount:default:sleep",
                List.of("system:serviceaccounts", "system:authenticated"),
                List.of("istio-ca"),
                "",
                java.util.Map.of("authentication.kubernetes.io/pod-name", List.of("sleep-1"))));
    assertThat(result.firstExtra("authentication.kubernetes.io/pod-name")).isEqualTo("sleep-1");
    assertThat(result.firstExtra("authentication.kubernetes.io/pod-uid")).isEmpty();
    RecordedRequest request = server.takeRequest();
    TokenReview sent = Serialization.unmarshal(request.getUtf8Body(), TokenReview.class);
    assertThat(sent.getSpec().getToken()).isEqualTo("the-jwt");
    assertThat(sent.getSpec().getAudiences()).containsExactly("istio-ca");
  }

  @Test
  void unauthenticatedAnswerHasEmptyFields() throws Exception {
    TokenReview answer =
        new TokenReviewBuilder()
            .withNewStatus()
            .withAuthenticated(false)
            .withError("token expired")
            .endStatus()
            .build();
    server.expect().post().withPath(PATH).andReturn(201, answer).once();

    TokenReviewResult result =
        new KubernetesTokenReviewer(client).review("old-jwt", List.of("istio-ca"));

    assertThat(result.authenticated()).isFalse();
    assertThat(result.error()).isEqualTo("token expired");
    assertThat(result.username()).isEmpty();
  }

  @Test
  void serverErrorIsAnExceptionWithoutTheToken() {
    server.expect().post().withPath(PATH).andReturn(500, "oops").always();
    assertThatThrownBy(
            () -> new KubernetesTokenReviewer(client).review("secret-jwt", List.of("istio-ca")))
        .isInstanceOf(TokenReviewException.class)
        .hasMessageContaining("HTTP 500")
        .hasMessageNotContaining("secret-jwt");
  }

  @Test
  void serverErrorRejectsTheCallerEndToEnd() {
    server.expect().post().withPath(PATH).andReturn(503, "unavailable").always();
    var authenticator =
        new KubeJwtAuthenticator(
            "cluster.local",
            List.of("istio-ca"),
            "Kubernetes",
            new KubernetesTokenReviewer(client));
    var headers = new io.grpc.Metadata();
    headers.put(
        io.grpc.Metadata.Key.of("authorization", io.grpc.Metadata.ASCII_STRING_MARSHALLER),
        "Bearer jwt");
    assertThat(
            authenticator
                .authenticate(new io.jistiod.citadel.server.CallInfo(headers, null, null))
                .caller())
        .isEmpty();
  }
}

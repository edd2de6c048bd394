package io.jistiod.pilot.envoy.secret;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Credentials through Secret informers: only TLS and Opaque Secrets, changes reported. */
@EnableKubernetesMockClient(crud = true)
class KubeCredentialSourceTest {
  KubernetesClient client;
  private final List<String> changes = new CopyOnWriteArrayList<>();
  private KubeCredentialSource source;

  @AfterEach
  void tearDown() {
    if (source != null) {
      source.close();
    }
  }

  private static Secret secret(String ns, String name, String type, Map<String, String> data) {
    SecretBuilder b =
        new SecretBuilder().withNewMetadata().withNamespace(ns).withName(name).endMetadata();
    b.withType(type);
    data.forEach((k, v) -> b.addToData(k, Base64.getEncoder().encodeToString(v.getBytes())));
    return b.build();
  }

  private void start() {
    source = new KubeCredentialSource(client, changes::add);
    source.start();
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(source::hasSynced);
  }

  @Test
  void readsTlsAndOpaqueSecretsDecoded() {
    client
        .resource(secret("gw", "tls", "kubernetes.io/tls", Map.of("tls.crt", "C", "tls.key", "K")))
        .create();
    client.resource(secret("gw", "generic", "Opaque", Map.of("cert", "C2", "key", "K2"))).create();
    start();
    assertThat(source.secret("gw", "tls"))
        .hasValueSatisfying(
            s -> {
              assertThat(s.get("tls.crt").toStringUtf8()).isEqualTo("C");
              assertThat(s.type()).isEqualTo("kubernetes.io/tls");
            });
    assertThat(source.secret("gw", "generic").orElseThrow().get("key").toStringUtf8())
        .isEqualTo("K2");
    assertThat(source.secret("other", "tls")).isEmpty();
  }

  @Test
  void serviceAccountTokensAreNotCredentials() {
    client
        .resource(
            secret("gw", "token", "kubernetes.io/service-account-token", Map.of("token", "t")))
        .create();
    start();
    assertThat(source.secret("gw", "token")).isEmpty();
  }

  @Test
  void aChangedSecretIsReported() {
    start();
    client
        .resource(secret("gw", "cred", "kubernetes.io/tls", Map.of("tls.crt", "C", "tls.key", "K")))
        .create();
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> changes.contains("gw/cred"));
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> source.secret("gw", "cred").isPresent());
    changes.clear();
    client
        .resource(
            secret("gw", "cred", "kubernetes.io/tls", Map.of("tls.crt", "C2", "tls.key", "K")))
        .update();
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> changes.contains("gw/cred"));
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                source
                    .secret("gw", "cred")
                    .orElseThrow()
                    .get("tls.crt")
                    .toStringUtf8()
                    .equals("C2"));
  }
}

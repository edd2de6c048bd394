package io.jistiod.istiod.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.citadel.pki.Pem;
import io.jistiod.istiod.Istiod;
import io.jistiod.istiod.IstiodOptions;
import io.jistiod.istiod.security.SecurityOptions;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The webhook's {@code caBundle} is whatever verifies the certificate the webhook serves: with an
 * external serving certificate ({@code --tlsCertFile}, e.g. from cert-manager) the {@code
 * --caCertFile} roots, not istiod's own CA, whose roots would make the API server refuse every
 * call; with istiod's CA-issued certificate, the CA's roots.
 */
class WebhookCaBundleTest {
  @TempDir Path dir;
  private Istiod istiod;

  @AfterEach
  void stop() {
    if (istiod != null) {
      istiod.close();
    }
  }

  private Istiod start(SecurityOptions security) throws Exception {
    istiod =
        new Istiod(
            IstiodOptions.defaults(dir.resolve("config"))
                .withAddresses("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
                .withSecurity(security.withRootCaDir(dir.resolve("no-cacerts")))
                .withWebhook(
                    WebhookOptions.fromEnvironment(name -> null).withHttpsAddr("127.0.0.1:0")));
    Files.createDirectories(dir.resolve("config"));
    istiod.start();
    return istiod;
  }

  private static SecurityOptions caOn() {
    return SecurityOptions.fromEnvironment(name -> null).withSecureGrpcAddr("127.0.0.1:0");
  }

  /** A GET of /ready over TLS trusting only {@code bundle}, as the API server calls the webhook. */
  private static int readyTrusting(String bundle, int port) throws Exception {
    X509Certificate root = Pem.parseCertificates(bundle).get(0);
    HttpResponse<String> response =
        TestClients.client(root)
            .send(
                HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/ready"))
                    .timeout(Duration.ofSeconds(10))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    return response.statusCode();
  }

  @Test
  void anExternalServingCertificateGetsTheCaCertFileRootsAsCaBundle() throws Exception {
    SelfSignedWebhookCertificate external =
        SelfSignedWebhookCertificate.generate(
            List.of("istiod.istio-system.svc"), List.of("127.0.0.1"), Clock.systemUTC());
    Path cert = dir.resolve("tls.crt");
    Path key = dir.resolve("tls.key");
    Path ca = dir.resolve("ca.crt");
    Files.writeString(cert, Pem.encodeAll(external.serving().chain()));
    Files.writeString(key, Pem.encode(external.serving().key()));
    String roots = Pem.encode(external.root());
    Files.writeString(ca, roots);
    SecurityOptions security = caOn();
    start(
        security.withFlags(
            security.secureGrpcAddr(), security.namespace(), security.clusterId(), cert, key, ca));

    String bundle = istiod.webhook().caBundle();
    assertThat(bundle).isEqualTo(roots);
    String meshRoots = istiod.security().ca().current().orElseThrow().rootBundlePem();
    assertThat(bundle).isNotEqualTo(meshRoots);
    assertThat(new String(Files.readAllBytes(ca), StandardCharsets.UTF_8)).isEqualTo(bundle);
    // The bundle verifies what the webhook port serves.
    assertThat(readyTrusting(bundle, istiod.webhookPort())).isEqualTo(200);
  }

  @Test
  void istiodsOwnCertificateGetsTheCaRootsAsCaBundle() throws Exception {
    start(caOn());
    String bundle = istiod.webhook().caBundle();
    assertThat(bundle).isEqualTo(istiod.security().ca().current().orElseThrow().rootBundlePem());
    // The served certificate (istiod's DNS names only, so no handshake to 127.0.0.1 here; the e2e
    // test calls it by name) is signed by the bundle's root.
    X509Certificate leaf = istiod.security().servingCertificate().orElseThrow().leaf();
    leaf.verify(Pem.parseCertificates(bundle).get(0).getPublicKey());
  }

  @Test
  void anExternalCertificateWithoutCaCertFileLeavesTheBundleUnset() throws Exception {
    SelfSignedWebhookCertificate external =
        SelfSignedWebhookCertificate.generate(
            List.of("istiod.istio-system.svc"), List.of("127.0.0.1"), Clock.systemUTC());
    Path cert = dir.resolve("tls.crt");
    Path key = dir.resolve("tls.key");
    Files.writeString(cert, Pem.encodeAll(external.serving().chain()));
    Files.writeString(key, Pem.encode(external.serving().key()));
    SecurityOptions security = caOn();
    start(
        security.withFlags(
            security.secureGrpcAddr(),
            security.namespace(),
            security.clusterId(),
            cert,
            key,
            null));
    // Istiod's CA roots would not verify the file certificate: better no bundle (the controller
    // reports it) than a wrong one.
    assertThat(istiod.webhook().caBundle()).isNull();
  }
}

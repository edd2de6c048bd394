package io.jistiod.istiod.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.stub.StreamObserver;
import io.jistiod.citadel.api.IstioCertificateRequest;
import io.jistiod.citadel.api.IstioCertificateResponse;
import io.jistiod.citadel.api.IstioCertificateServiceGrpc;
import io.jistiod.citadel.pki.CaKeyMaterial;
import io.jistiod.citadel.pki.KeyAlgorithm;
import io.jistiod.citadel.pki.Pem;
import io.jistiod.citadel.pki.SelfSignedRootGenerator;
import io.jistiod.istiod.Istiod;
import io.jistiod.istiod.IstiodOptions;
import io.jistiod.istiod.metrics.PrometheusTextWriter;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * istiod in standalone mode with the TLS port on: a real TLS handshake with the in-memory CA's
 * serving certificate, CSRs and xDS authenticated by client certificates (no API server here for
 * tokens).
 */
class SecurePortTest {
  private static final String SLEEP = "spiffe://cluster.local/ns/default/sa/sleep";

  @TempDir Path configDir;
  private Istiod istiod;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    istiod =
        new Istiod(
            IstiodOptions.defaults(configDir)
                .withAddresses("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
                .withSecurity(
                    SecurityOptions.fromEnvironment(name -> null)
                        .withSecureGrpcAddr("127.0.0.1:0")
                        .withRootCaDir(configDir.resolve("no-cacerts"))));
    istiod.start();
  }

  @AfterEach
  void stop() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (istiod != null) {
      istiod.close();
    }
  }

  private CaKeyMaterial ca() {
    return istiod.security().ca().current().orElseThrow();
  }

  /** A TLS channel to 15012 that trusts the mesh roots and expects istiod's name, as agents do. */
  private ManagedChannel channel(ServingCertificate clientCert) throws Exception {
    SslContextBuilder tls = GrpcSslContexts.forClient().trustManager(ca().rootBundle());
    if (clientCert != null) {
      tls.keyManager(clientCert.key(), clientCert.chain());
    }
    channel =
        NettyChannelBuilder.forAddress("127.0.0.1", istiod.secureGrpcPort())
            .overrideAuthority("istiod.istio-system.svc")
            .sslContext(tls.build())
            .build();
    return channel;
  }

  private static String csr(KeyPair key, String uri) throws Exception {
    return Pem.encode(
        new JcaPKCS10CertificationRequestBuilder(new X500Name("O=cluster.local"), key.getPublic())
            .build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate())));
  }

  @Test
  void servesIstiodsNamesFromTheCa() throws Exception {
    X509Certificate leaf = istiod.security().servingCertificate().orElseThrow().leaf();
    assertThat(leaf.getSubjectAlternativeNames().stream().map(san -> (String) san.get(1)))
        .containsExactly(
            "istio-pilot.istio-system.svc",
            "istiod-remote.istio-system.svc",
            "istiod.istio-system.svc");
    leaf.verify(ca().signingCert().getPublicKey());
    assertThat(PrometheusTextWriter.write(istiod.metrics()))
        .contains(
            "citadel_server_root_cert_expiry_timestamp "
                + ca().signingCert().getNotAfter().getTime() / 1000
                + "\n");
  }

  @Test
  void csrWithoutCredentialsIsUnauthenticated() throws Exception {
    var stub = IstioCertificateServiceGrpc.newBlockingStub(channel(null));
    KeyPair key = KeyAlgorithm.ECDSA_P256.generateKeyPair(TestCa.RANDOM);
    assertThatThrownBy(
            () ->
                stub.createCertificate(
                    IstioCertificateRequest.newBuilder().setCsr(csr(key, SLEEP)).build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
  }

  @Test
  void aClientCertificateOfTheMeshGetsItsOwnIdentityRenewed() throws Exception {
    ServingCertificate mine = TestCa.issue(ca(), Clock.systemUTC(), SLEEP);
    var stub = IstioCertificateServiceGrpc.newBlockingStub(channel(mine));
    KeyPair key = KeyAlgorithm.ECDSA_P256.generateKeyPair(TestCa.RANDOM);

    IstioCertificateResponse response =
        stub.createCertificate(
            IstioCertificateRequest.newBuilder()
                .setCsr(csr(key, "spiffe://cluster.local/ns/istio-system/sa/istiod"))
                .setValidityDuration(3600)
                .build());

    X509Certificate leaf = Pem.parseCertificate(response.getCertChain(0));
    assertThat(leaf.getSubjectAlternativeNames().iterator().next().get(1)).isEqualTo(SLEEP);
    assertThat(leaf.getPublicKey()).isEqualTo(key.getPublic());
    assertThat(Pem.parseCertificate(response.getCertChain(response.getCertChainCount() - 1)))
        .isEqualTo(ca().signingCert());
  }

  @Test
  void aClientCertificateFromAnotherCaFailsTheHandshake() throws Exception {
    CaKeyMaterial foreign =
        new SelfSignedRootGenerator(Clock.systemUTC(), TestCa.RANDOM)
            .generate("cluster.local", KeyAlgorithm.ECDSA_P256, Duration.ofDays(1));
    ServingCertificate theirs = TestCa.issue(foreign, Clock.systemUTC(), SLEEP);
    var stub = IstioCertificateServiceGrpc.newBlockingStub(channel(theirs));
    KeyPair key = KeyAlgorithm.ECDSA_P256.generateKeyPair(TestCa.RANDOM);
    assertThatThrownBy(
            () ->
                stub.withDeadlineAfter(5, TimeUnit.SECONDS)
                    .createCertificate(
                        IstioCertificateRequest.newBuilder().setCsr(csr(key, SLEEP)).build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
  }

  private Status ads(ServingCertificate clientCert, String namespace, String serviceAccount)
      throws Exception {
    CompletableFuture<Status> outcome = new CompletableFuture<>();
    StreamObserver<DiscoveryRequest> requests =
        AggregatedDiscoveryServiceGrpc.newStub(channel(clientCert))
            .streamAggregatedResources(
                new StreamObserver<>() {
                  @Override
                  public void onNext(DiscoveryResponse response) {
                    outcome.complete(Status.OK);
                  }

                  @Override
                  public void onError(Throwable t) {
                    outcome.complete(Status.fromThrowable(t));
                  }

                  @Override
                  public void onCompleted() {
                    outcome.complete(Status.OK);
                  }
                });
    Struct meta =
        Struct.newBuilder()
            .putFields("NAMESPACE", Value.newBuilder().setStringValue(namespace).build())
            .putFields("SERVICE_ACCOUNT", Value.newBuilder().setStringValue(serviceAccount).build())
            .putFields("GENERATOR", Value.newBuilder().setStringValue("grpc").build())
            .build();
    requests.onNext(
        DiscoveryRequest.newBuilder()
            .setNode(
                Node.newBuilder()
                    .setId(
                        "sidecar~10.0.0.1~sleep-1."
                            + namespace
                            + "~"
                            + namespace
                            + ".svc.cluster.local")
                    .setMetadata(meta))
            .setTypeUrl("type.googleapis.com/envoy.config.cluster.v3.Cluster")
            .build());
    try {
      return outcome.get(5, TimeUnit.SECONDS);
    } finally {
      requests.onCompleted();
    }
  }

  @Test
  void xdsOverTlsNeedsAnIdentityMatchingTheNode() throws Exception {
    ServingCertificate sleep = TestCa.issue(ca(), Clock.systemUTC(), SLEEP);
    assertThat(ads(null, "default", "sleep").getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(ads(sleep, "other", "sleep").getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(ads(sleep, "default", "sleep").isOk()).isTrue();
    // The accepted stream was served by Pilot like any on 15010 (the stream is closed by now,
    // so look at what it was sent rather than at the live connections).
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> {
              var pushes = istiod.metrics().find("pilot_xds_pushes").tag("type", "cds").counter();
              return pushes != null && pushes.count() >= 1;
            });
  }

  @Test
  void theServingCertificateFollowsANewCa() throws Exception {
    ServingCertificate before = istiod.security().servingCertificate().orElseThrow();
    CaKeyMaterial next =
        new SelfSignedRootGenerator(Clock.systemUTC(), TestCa.RANDOM)
            .generate("cluster.local", KeyAlgorithm.ECDSA_P256, Duration.ofDays(30));
    istiod.security().ca().set(next);

    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> istiod.security().servingCertificate().orElseThrow() != before);
    // A client that trusts only the new root completes a handshake: new connections see it.
    ServingCertificate sleep = TestCa.issue(next, Clock.systemUTC(), SLEEP);
    var stub = IstioCertificateServiceGrpc.newBlockingStub(channel(sleep));
    KeyPair key = KeyAlgorithm.ECDSA_P256.generateKeyPair(TestCa.RANDOM);
    IstioCertificateResponse response =
        stub.createCertificate(
            IstioCertificateRequest.newBuilder().setCsr(csr(key, SLEEP)).build());
    assertThat(response.getCertChainCount()).isEqualTo(2);
  }

  @Test
  void aBusySecurePortFailsStartWithOneLine() throws Exception {
    Istiod second =
        new Istiod(
            IstiodOptions.defaults(configDir)
                .withAddresses("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
                .withSecurity(
                    SecurityOptions.fromEnvironment(name -> null)
                        .withSecureGrpcAddr("127.0.0.1:" + istiod.secureGrpcPort())
                        .withRootCaDir(configDir.resolve("no-cacerts"))));
    try {
      assertThatThrownBy(second::start)
          .hasMessage(
              "--secureGRPCAddr 127.0.0.1:" + istiod.secureGrpcPort() + ": address already in use");
    } finally {
      second.close();
    }
  }
}

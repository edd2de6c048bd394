package io.jistiod.it.citadel;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.grpc.xds.XdsNameResolverProvider;
import io.jistiod.citadel.api.IstioCertificateRequest;
import io.jistiod.citadel.api.IstioCertificateResponse;
import io.jistiod.citadel.api.IstioCertificateServiceGrpc;
import io.jistiod.citadel.pki.Pem;
import io.jistiod.istiod.Istiod;
import io.jistiod.istiod.IstiodOptions;
import io.jistiod.istiod.KubernetesAccess;
import io.jistiod.istiod.security.SecurityOptions;
import io.jistiod.it.support.PilotAgent;
import io.jistiod.it.support.Rig;
import io.jistiod.it.support.RigExtension;
import io.jistiod.it.support.TestNamespace;
import io.jistiod.it.support.WhoAmIServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Citadel against the real kube-apiserver and Istio's own pilot-agent: the self-signed CA in its
 * Secret, roots published as ConfigMaps, workload certificates for projected service account tokens
 * checked by real TokenReviews, and xDS over TLS on the secure port. istiod's namespace is the
 * test's namespace, so each test has a CA of its own.
 */
@Tag("e2e")
@ExtendWith(RigExtension.class)
class CitadelE2ETest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path tmp;
  private final List<AutoCloseable> cleanup = new ArrayList<>();

  @AfterEach
  void cleanUp() {
    Collections.reverse(cleanup);
    for (AutoCloseable c : cleanup) {
      try {
        c.close();
      } catch (Exception e) {
        System.out.println("cleanup: " + e);
      }
    }
  }

  private Istiod startIstiod(Rig rig, String namespace) throws Exception {
    return startIstiod(rig, namespace, Map.of());
  }

  /** istiod in Kubernetes mode, CA on, {@code env} standing in for its environment. */
  private Istiod startIstiod(Rig rig, String namespace, Map<String, String> env) throws Exception {
    Istiod istiod =
        new Istiod(
            IstiodOptions.defaults(null)
                .withKubernetes(new KubernetesAccess(rig.istiodKubeconfig(namespace)))
                .withAddresses("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
                .withSecurity(
                    SecurityOptions.fromEnvironment(env::get)
                        .withSecureGrpcAddr("127.0.0.1:0")
                        .withNamespace(namespace)
                        .withRootCaDir(tmp.resolve("no-cacerts"))));
    cleanup.add(istiod);
    istiod.start();
    return istiod;
  }

  private static String token(Rig rig, String namespace, String sa, String audience)
      throws Exception {
    return rig.kubectl("create", "token", sa, "-n", namespace, "--audience", audience).strip();
  }

  private ManagedChannel tls(Istiod istiod, String namespace, String rootPem) throws Exception {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", istiod.secureGrpcPort())
            .overrideAuthority("istiod." + namespace + ".svc")
            .sslContext(
                GrpcSslContexts.forClient().trustManager(Pem.parseCertificates(rootPem)).build())
            .build();
    cleanup.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    return channel;
  }

  private static IstioCertificateServiceGrpc.IstioCertificateServiceBlockingStub ca(
      ManagedChannel channel, String token) {
    Metadata headers = new Metadata();
    if (token != null) {
      headers.put(
          Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    }
    return IstioCertificateServiceGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private static KeyPair ecKey() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    return generator.generateKeyPair();
  }

  private static String csr(KeyPair key) throws Exception {
    return Pem.encode(
        new JcaPKCS10CertificationRequestBuilder(new X500Name("O=cluster.local"), key.getPublic())
            .build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate())));
  }

  private static List<String> uriSans(X509Certificate cert) throws Exception {
    List<String> out = new ArrayList<>();
    for (List<?> san : cert.getSubjectAlternativeNames()) {
      if (Integer.valueOf(6).equals(san.get(0))) {
        out.add((String) san.get(1));
      }
    }
    return out;
  }

  /** PKIX validation of {@code chain} (leaf first; the root, if included, is dropped). */
  private static void assertChainsTo(List<X509Certificate> chain, String rootPem) throws Exception {
    List<X509Certificate> roots = Pem.parseCertificates(rootPem);
    List<X509Certificate> path = new ArrayList<>();
    for (X509Certificate cert : chain) {
      if (!roots.contains(cert)) {
        path.add(cert);
      }
    }
    PKIXParameters params =
        new PKIXParameters(Set.copyOf(roots.stream().map(r -> new TrustAnchor(r, null)).toList()));
    params.setRevocationEnabled(false);
    CertPathValidator.getInstance("PKIX")
        .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
  }

  private static String httpGet(String url) throws Exception {
    java.net.http.HttpResponse<String> response =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                    .timeout(Duration.ofSeconds(10))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    return response.body();
  }

  private static Status status(Runnable call) {
    try {
      call.run();
      return Status.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus();
    }
  }

  @Test
  void pilotAgentGetsACertificateAndConnectsToXdsOverTls(Rig rig, TestNamespace ns)
      throws Exception {
    PilotAgent.requireBuilt();
    Istiod istiod = startIstiod(rig, ns.name());
    String root = rig.publishedRoot(ns.name(), WAIT);
    rig.kubectl("create", "serviceaccount", "sleep", "-n", ns.name());

    long started = System.nanoTime();
    PilotAgent agent =
        PilotAgent.start(
            tmp.resolve("agent"),
            istiod.secureGrpcPort(),
            "istiod." + ns.name() + ".svc",
            ns.name(),
            "sleep-1",
            "sleep",
            token(rig, ns.name(), "sleep", "istio-ca"),
            root);
    cleanup.add(agent);
    Awaitility.await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(50))
        .failFast("pilot-agent exited:\n" + agent.log(), () -> !agent.alive())
        .until(() -> Files.exists(agent.certChain()) && Files.size(agent.certChain()) > 0);
    System.out.printf(
        "pilot-agent wrote its workload certificate %d ms after start%n",
        (System.nanoTime() - started) / 1_000_000);

    List<X509Certificate> chain = Pem.parseCertificates(Files.readString(agent.certChain()));
    assertThat(uriSans(chain.get(0)))
        .containsExactly("spiffe://cluster.local/ns/" + ns.name() + "/sa/sleep");
    assertChainsTo(chain, root);
    assertThat(Pem.parsePrivateKey(Files.readString(agent.key()))).isNotNull();

    // A proxyless gRPC client reads the agent's bootstrap and talks xDS to the agent's socket;
    // the agent carries it to istiod's TLS port.
    @SuppressWarnings("unchecked")
    Map<String, ?> bootstrap = JSON.readValue(agent.bootstrap().toFile(), Map.class);
    XdsNameResolverProvider resolver = XdsNameResolverProvider.createForTest("xds", bootstrap);
    @SuppressWarnings("deprecation")
    ManagedChannel channel =
        NettyChannelBuilder.forTarget("xds:///echo." + ns.name() + ".svc.cluster.local:7070")
            .nameResolverFactory(resolver)
            .usePlaintext()
            .build();
    cleanup.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    CompletableFuture.runAsync(
        () -> {
          try {
            ClientCalls.blockingUnaryCall(
                channel,
                WhoAmIServer.WHO,
                CallOptions.DEFAULT.withDeadlineAfter(3, TimeUnit.SECONDS),
                "hi");
          } catch (RuntimeException expected) {
            // No such service: the call only makes the client resolve through xDS.
          }
        });
    String proxyId = "sleep-1." + ns.name();
    Awaitility.await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(100))
        .failFast("pilot-agent exited:\n" + agent.log(), () -> !agent.alive())
        .until(
            () ->
                JSON
                    .readTree(
                        httpGet("http://127.0.0.1:" + istiod.httpPort() + "/debug/connections"))
                    .findValues("connectionId")
                    .stream()
                    .anyMatch(id -> id.asText().startsWith(proxyId)));
  }

  @Test
  void csrApiRefusesWhatIstioRefuses(Rig rig, TestNamespace ns) throws Exception {
    Istiod istiod = startIstiod(rig, ns.name());
    String root = rig.publishedRoot(ns.name(), WAIT);
    rig.kubectl("create", "serviceaccount", "sleep", "-n", ns.name());
    rig.kubectl("create", "serviceaccount", "gone", "-n", ns.name());
    String good = token(rig, ns.name(), "sleep", "istio-ca");
    String otherAudience = token(rig, ns.name(), "sleep", "other");
    String ofDeletedAccount = token(rig, ns.name(), "gone", "istio-ca");
    rig.kubectl("delete", "serviceaccount", "gone", "-n", ns.name());
    ManagedChannel channel = tls(istiod, ns.name(), root);
    KeyPair key = ecKey();
    String csr = csr(key);
    IstioCertificateRequest request =
        IstioCertificateRequest.newBuilder().setCsr(csr).setValidityDuration(3600).build();

    for (String bad : new String[] {null, otherAudience, ofDeletedAccount, "garbage.not.a-jwt"}) {
      assertThat(status(() -> ca(channel, bad).createCertificate(request)).getCode())
          .as("token %s", bad == null ? "(none)" : bad.substring(0, Math.min(12, bad.length())))
          .isEqualTo(Status.Code.UNAUTHENTICATED);
    }

    // CA-04: a CSR asking for istiod's identity gets the caller's.
    KeyPair other = ecKey();
    String greedy =
        Pem.encode(
            new JcaPKCS10CertificationRequestBuilder(
                    new X500Name("O=cluster.local"), other.getPublic())
                .addAttribute(
                    org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.pkcs_9_at_extensionRequest,
                    new org.bouncycastle.asn1.x509.Extensions(
                        new org.bouncycastle.asn1.x509.Extension(
                            org.bouncycastle.asn1.x509.Extension.subjectAlternativeName,
                            true,
                            new org.bouncycastle.asn1.x509.GeneralNames(
                                    new org.bouncycastle.asn1.x509.GeneralName(
                                        org.bouncycastle.asn1.x509.GeneralName
                                            .uniformResourceIdentifier,
                                        "spiffe://cluster.local/ns/istio-system/sa/istiod"))
                                .getEncoded())))
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(other.getPrivate())));
    IstioCertificateResponse issued =
        ca(channel, good)
            .createCertificate(IstioCertificateRequest.newBuilder().setCsr(greedy).build());
    List<X509Certificate> chain = new ArrayList<>();
    for (String pem : issued.getCertChainList()) {
      chain.add(Pem.parseCertificate(pem));
    }
    assertThat(uriSans(chain.get(0)))
        .containsExactly("spiffe://cluster.local/ns/" + ns.name() + "/sa/sleep");
    assertThat(chain.get(0).getPublicKey()).isEqualTo(other.getPublic());
    assertChainsTo(chain, root);

    // CA-07: above the 90-day maximum is refused, not shortened.
    assertThat(
            status(
                    () ->
                        ca(channel, good)
                            .createCertificate(
                                request.toBuilder()
                                    .setValidityDuration(Duration.ofDays(100).toSeconds())
                                    .build()))
                .getCode())
        .isEqualTo(Status.Code.INVALID_ARGUMENT);

    // CA-06: one flipped byte in the CSR's body breaks its signature or its encoding.
    String body =
        csr.replace("-----BEGIN CERTIFICATE REQUEST-----", "")
            .replace("-----END CERTIFICATE REQUEST-----", "")
            .replaceAll("\\s", "");
    byte[] der = Base64.getDecoder().decode(body);
    der[der.length / 2] ^= 0x5a;
    String corrupted =
        "-----BEGIN CERTIFICATE REQUEST-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
            + "\n-----END CERTIFICATE REQUEST-----\n";
    assertThat(
            status(
                    () ->
                        ca(channel, good)
                            .createCertificate(request.toBuilder().setCsr(corrupted).build()))
                .getCode())
        .isEqualTo(Status.Code.INVALID_ARGUMENT);

    // Latency of good CSRs end to end, TLS channel already up: with a token (a TokenReview on
    // every call), and renewing with the certificate just issued (no API server involved).
    int n = 100;
    report("token, sequential", n, 1, () -> ca(channel, good).createCertificate(request));
    ManagedChannel mtls =
        NettyChannelBuilder.forAddress("127.0.0.1", istiod.secureGrpcPort())
            .overrideAuthority("istiod." + ns.name() + ".svc")
            .sslContext(
                GrpcSslContexts.forClient()
                    .trustManager(Pem.parseCertificates(root))
                    .keyManager(other.getPrivate(), chain.toArray(new X509Certificate[0]))
                    .build())
            .build();
    cleanup.add(() -> mtls.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    report("client certificate, sequential", n, 1, () -> ca(mtls, null).createCertificate(request));
    report(
        "token, 8 concurrent callers",
        4 * n,
        8,
        () -> ca(channel, good).createCertificate(request));
    String metrics = httpGet("http://127.0.0.1:" + istiod.monitoringPort() + "/metrics");
    assertThat(metrics).contains("citadel_server_success_cert_issuance_count " + (6 * n + 1));
    assertThat(metrics).contains("citadel_server_authentication_failure_count 4");
    assertThat(metrics).contains("citadel_server_csr_sign_err_count{error=\"TTL_ERROR\"} 1");
    assertThat(metrics).contains("citadel_server_root_cert_expiry_timestamp ");
  }

  /** The API server's {@code --service-account-issuer} (integration-tests/cluster/up.sh). */
  private static final String SA_ISSUER = "https://kubernetes.default.svc.cluster.local";

  /** A counter's value in Prometheus text, 0 when absent. */
  private static double counter(String metrics, String name) {
    return metrics
        .lines()
        .filter(line -> line.startsWith(name + " "))
        .mapToDouble(line -> Double.parseDouble(line.substring(name.length() + 1).strip()))
        .findFirst()
        .orElse(0);
  }

  /**
   * Issue #7's "expired token": a service account token signed with the API server's own key, with
   * the claims the API server writes for an existing service account (its uid included), differing
   * only in an {@code exp} in the past, is refused with UNAUTHENTICATED, nothing is issued, and
   * Istio's authentication failure counter moves. The same claims with an {@code exp} ahead are
   * accepted, so the refusal is the expiry's and not a flaw in the minted token.
   */
  @Test
  void anExpiredServiceAccountTokenIsRefused(Rig rig, TestNamespace ns) throws Exception {
    Istiod istiod = startIstiod(rig, ns.name());
    String root = rig.publishedRoot(ns.name(), WAIT);
    rig.kubectl("create", "serviceaccount", "sleep", "-n", ns.name());
    String uid =
        rig.client()
            .serviceAccounts()
            .inNamespace(ns.name())
            .withName("sleep")
            .get()
            .getMetadata()
            .getUid();
    ServiceAccountJwt signer =
        ServiceAccountJwt.fromKeyFile(
            rig.kubeconfig().resolveSibling("certs").resolve("sa.key"), SA_ISSUER);
    Instant now = Instant.now();
    List<String> audiences = List.of("istio-ca");

    // The minted token has the shape of the API server's own: same key id, issuer, claim names.
    String issued = token(rig, ns.name(), "sleep", "istio-ca");
    String fresh =
        signer.mint(ns.name(), "sleep", uid, audiences, now.minusSeconds(60), now.plusSeconds(600));
    assertThat(ServiceAccountJwt.part(issued, 0).path("kid").asText()).isEqualTo(signer.keyId());
    JsonNode real = ServiceAccountJwt.part(issued, 1);
    JsonNode ours = ServiceAccountJwt.part(fresh, 1);
    assertThat(fieldNames(ours)).isEqualTo(fieldNames(real));
    assertThat(ours.path("iss")).isEqualTo(real.path("iss"));
    assertThat(ours.path("sub")).isEqualTo(real.path("sub"));
    assertThat(ours.path("kubernetes.io")).isEqualTo(real.path("kubernetes.io"));

    ManagedChannel channel = tls(istiod, ns.name(), root);
    IstioCertificateRequest request =
        IstioCertificateRequest.newBuilder().setCsr(csr(ecKey())).setValidityDuration(3600).build();
    // Positive control: the same claims, not yet expired, get a certificate.
    IstioCertificateResponse accepted = ca(channel, fresh).createCertificate(request);
    assertThat(uriSans(Pem.parseCertificate(accepted.getCertChain(0))))
        .containsExactly("spiffe://cluster.local/ns/" + ns.name() + "/sa/sleep");

    String monitoring = "http://127.0.0.1:" + istiod.monitoringPort() + "/metrics";
    String before = httpGet(monitoring);
    // Expired an hour ago: well past the API server's one-minute leeway.
    String expired =
        signer.mint(
            ns.name(), "sleep", uid, audiences, now.minusSeconds(7200), now.minusSeconds(3600));
    Status refused = status(() -> ca(channel, expired).createCertificate(request));
    assertThat(refused.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    // Opaque: the caller learns nothing about why (the reason is in istiod's log).
    assertThat(refused.getDescription()).doesNotContainIgnoringCase("expire");
    String after = httpGet(monitoring);
    assertThat(counter(after, "citadel_server_authentication_failure_count"))
        .isEqualTo(counter(before, "citadel_server_authentication_failure_count") + 1);
    assertThat(counter(after, "citadel_server_success_cert_issuance_count"))
        .isEqualTo(counter(before, "citadel_server_success_cert_issuance_count"));
    assertThat(counter(after, "citadel_server_csr_count"))
        .isEqualTo(counter(before, "citadel_server_csr_count") + 1);
  }

  private static Set<String> fieldNames(JsonNode node) {
    Set<String> names = new java.util.TreeSet<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  /** Runs {@code call} {@code total} times on {@code threads} threads; prints percentiles. */
  private static void report(String what, int total, int threads, Runnable call) throws Exception {
    long[] micros = new long[total];
    java.util.concurrent.atomic.AtomicInteger next =
        new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(threads);
    long start = System.nanoTime();
    try {
      List<java.util.concurrent.Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        futures.add(
            pool.submit(
                () -> {
                  for (int i = next.getAndIncrement(); i < total; i = next.getAndIncrement()) {
                    long t0 = System.nanoTime();
                    call.run();
                    micros[i] = (System.nanoTime() - t0) / 1000;
                  }
                }));
      }
      for (java.util.concurrent.Future<?> f : futures) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    java.util.Arrays.sort(micros);
    System.out.printf(
        "CSR latency, %s, %d calls: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms;"
            + " %.0f CSRs/s%n",
        what,
        total,
        micros[total / 2] / 1000.0,
        micros[total * 9 / 10] / 1000.0,
        micros[total * 99 / 100] / 1000.0,
        micros[total - 1] / 1000.0,
        total / seconds);
  }

  private Status ads(ManagedChannel channel, String token, String namespace, String sa)
      throws Exception {
    Metadata headers = new Metadata();
    if (token != null) {
      headers.put(
          Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    }
    CompletableFuture<Status> outcome = new CompletableFuture<>();
    StreamObserver<DiscoveryRequest> requests =
        AggregatedDiscoveryServiceGrpc.newStub(channel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
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
            .putFields("SERVICE_ACCOUNT", Value.newBuilder().setStringValue(sa).build())
            .putFields("GENERATOR", Value.newBuilder().setStringValue("grpc").build())
            .build();
    requests.onNext(
        DiscoveryRequest.newBuilder()
            .setNode(
                Node.newBuilder()
                    .setId(
                        "sidecar~10.0.0.9~probe-1."
                            + namespace
                            + "~"
                            + namespace
                            + ".svc.cluster.local")
                    .setMetadata(meta))
            .setTypeUrl("type.googleapis.com/envoy.config.cluster.v3.Cluster")
            .build());
    try {
      return outcome.get(10, TimeUnit.SECONDS);
    } finally {
      requests.onCompleted();
    }
  }

  /** XDS-02 with real tokens: no identity, another namespace, another account, the right one. */
  @Test
  void xdsOnTheTlsPortNeedsAMatchingIdentity(Rig rig, TestNamespace ns) throws Exception {
    Istiod istiod = startIstiod(rig, ns.name());
    String root = rig.publishedRoot(ns.name(), WAIT);
    rig.kubectl("create", "serviceaccount", "sleep", "-n", ns.name());
    String token = token(rig, ns.name(), "sleep", "istio-ca");
    ManagedChannel channel = tls(istiod, ns.name(), root);

    assertThat(ads(channel, null, ns.name(), "sleep").getCode())
        .isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(ads(channel, "garbage", ns.name(), "sleep").getCode())
        .isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(ads(channel, token, "default", "sleep").getCode())
        .isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(ads(channel, token, ns.name(), "other").getCode())
        .isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(ads(channel, token, ns.name(), "sleep").isOk()).isTrue();
  }

  /** After a restart the Secret's root is reused: certificates issued before keep verifying. */
  @Test
  void restartReusesTheRootAndEarlierCertificatesStillVerify(Rig rig, TestNamespace ns)
      throws Exception {
    Istiod first = startIstiod(rig, ns.name());
    String root = rig.publishedRoot(ns.name(), WAIT);
    rig.kubectl("create", "serviceaccount", "sleep", "-n", ns.name());
    String token = token(rig, ns.name(), "sleep", "istio-ca");
    KeyPair key = ecKey();
    IstioCertificateResponse before =
        ca(tls(first, ns.name(), root), token)
            .createCertificate(IstioCertificateRequest.newBuilder().setCsr(csr(key)).build());
    X509Certificate firstRoot = first.security().ca().current().orElseThrow().signingCert();
    cleanup.remove(first);
    first.close();

    Istiod second = startIstiod(rig, ns.name());
    X509Certificate secondRoot = second.security().ca().current().orElseThrow().signingCert();
    assertThat(secondRoot).isEqualTo(firstRoot);
    assertThat(rig.publishedRoot(ns.name(), WAIT)).isEqualTo(root);
    List<X509Certificate> chain = new ArrayList<>();
    for (String pem : before.getCertChainList()) {
      chain.add(Pem.parseCertificate(pem));
    }
    assertChainsTo(chain, Pem.encode(secondRoot));
    // And the restarted istiod serves a certificate clients of the old root accept.
    IstioCertificateResponse after =
        ca(tls(second, ns.name(), root), token)
            .createCertificate(IstioCertificateRequest.newBuilder().setCsr(csr(key)).build());
    assertThat(after.getCertChainCount()).isEqualTo(2);
  }

  /**
   * CA-15 against the API server: a root near its end is re-issued for the same key, written to the
   * Secret, published, and certificates issued under the old root verify against the new. (A 60 s
   * root, checked every second: the 2-minute backdating makes its life 180 s, so it is rotated with
   * 36 s left, 24 s after creation.)
   */
  @Test
  void aShortLivedRootIsRotatedAndRepublished(Rig rig, TestNamespace ns) throws Exception {
    Istiod istiod =
        startIstiod(
            rig,
            ns.name(),
            Map.of(
                "CITADEL_SELF_SIGNED_CA_CERT_TTL", "60s",
                "CITADEL_SELF_SIGNED_ROOT_CERT_CHECK_INTERVAL", "1s",
                "CITADEL_ENABLE_JITTER_FOR_ROOT_CERT_ROTATOR", "false"));
    String root = rig.publishedRoot(ns.name(), WAIT);
    rig.kubectl("create", "serviceaccount", "sleep", "-n", ns.name());
    String token = token(rig, ns.name(), "sleep", "istio-ca");
    IstioCertificateResponse before =
        ca(tls(istiod, ns.name(), root), token)
            .createCertificate(IstioCertificateRequest.newBuilder().setCsr(csr(ecKey())).build());

    String rotated =
        Awaitility.await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(200))
            .until(() -> rig.publishedRoot(ns.name(), WAIT), published -> !published.equals(root));
    X509Certificate oldRoot = Pem.parseCertificate(root);
    X509Certificate newRoot = Pem.parseCertificate(rotated);
    assertThat(newRoot.getPublicKey()).isEqualTo(oldRoot.getPublicKey());
    assertThat(newRoot.getNotAfter()).isAfter(oldRoot.getNotAfter());
    String secretCert =
        new String(
            Base64.getDecoder()
                .decode(
                    rig.client()
                        .secrets()
                        .inNamespace(ns.name())
                        .withName("istio-ca-secret")
                        .get()
                        .getData()
                        .get("ca-cert.pem")));
    assertThat(Pem.parseCertificate(secretCert).getNotAfter())
        .isAfterOrEqualTo(newRoot.getNotAfter());
    List<X509Certificate> chain = new ArrayList<>();
    for (String pem : before.getCertChainList()) {
      chain.add(Pem.parseCertificate(pem));
    }
    assertChainsTo(chain.subList(0, 1), rotated);
  }

  /** The published root reaches new namespaces and comes back when edited or deleted. */
  @Test
  void rootConfigMapsAreRepairedAndReachNewNamespaces(Rig rig, TestNamespace ns) throws Exception {
    startIstiod(rig, ns.name());
    String root = rig.publishedRoot(ns.name(), WAIT);

    String extra = ns.name() + "-x";
    rig.client()
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(extra).endMetadata().build())
        .create();
    cleanup.add(() -> rig.client().namespaces().withName(extra).delete());
    assertThat(rig.publishedRoot(extra, WAIT)).isEqualTo(root);

    ConfigMap cm =
        rig.client().configMaps().inNamespace(ns.name()).withName("istio-ca-root-cert").get();
    rig.client()
        .configMaps()
        .inNamespace(ns.name())
        .resource(new ConfigMapBuilder(cm).withData(Map.of("root-cert.pem", "tampered")).build())
        .update();
    rig.client().configMaps().inNamespace(extra).withName("istio-ca-root-cert").delete();
    long t0 = System.nanoTime();
    Awaitility.await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(50))
        .until(
            () ->
                root.equals(rig.publishedRoot(ns.name(), WAIT))
                    && root.equals(rig.publishedRoot(extra, WAIT)));
    System.out.printf(
        "edited and deleted istio-ca-root-cert repaired within %d ms%n",
        (System.nanoTime() - t0) / 1_000_000);
    JsonNode labels =
        JSON.valueToTree(
            rig.client()
                .configMaps()
                .inNamespace(extra)
                .withName("istio-ca-root-cert")
                .get()
                .getMetadata()
                .getLabels());
    assertThat(labels.path("istio.io/config").asText()).isEqualTo("true");
  }
}

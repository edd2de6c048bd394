package io.jistiod.citadel.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.grpc.Attributes;
import io.grpc.ForwardingServerCall;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.jistiod.citadel.api.IstioCertificateRequest;
import io.jistiod.citadel.api.IstioCertificateResponse;
import io.jistiod.citadel.api.IstioCertificateServiceGrpc;
import io.jistiod.citadel.ca.TtlPolicy;
import io.jistiod.citadel.ca.WorkloadCertificateSigner;
import io.jistiod.citadel.pki.CaKeyMaterial;
import io.jistiod.citadel.pki.CaKeyMaterialHolder;
import io.jistiod.citadel.pki.KeyAlgorithm;
import io.jistiod.citadel.pki.Pem;
import io.jistiod.citadel.pki.SelfSignedRootGenerator;
import io.jistiod.citadel.server.authn.ClientCertAuthenticator;
import io.jistiod.citadel.server.authn.KubeJwtAuthenticator;
import io.jistiod.citadel.server.node.FakePodIndex;
import io.jistiod.citadel.server.node.NodeAuthorizer;
import io.jistiod.citadel.server.node.TrustedNodeAccounts;
import io.jistiod.citadel.testing.FakeSslSession;
import io.jistiod.citadel.testing.FakeTokenReviewer;
import io.jistiod.citadel.testing.TestPki;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The CSR service end to end over in-process gRPC, with Istio's authenticator order. */
class IstioCertificateServiceTest {
  private static final String SLEEP = TestPki.spiffe("default", "sleep");

  private final CaKeyMaterial root = TestPki.selfSignedRoot();
  private final CaKeyMaterialHolder holder = new CaKeyMaterialHolder(root);
  private final FakeTokenReviewer reviewer =
      new FakeTokenReviewer().withServiceAccount("x", "default", "sleep");
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  /** The TLS session the next call appears to arrive on; in-process transports have none. */
  private final AtomicReference<SSLSession> tls = new AtomicReference<>();

  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    start(holder);
  }

  private void start(CaKeyMaterialHolder keys) throws Exception {
    start(keys, null);
  }

  private void start(CaKeyMaterialHolder keys, ImpersonationAuthorizer impersonation)
      throws Exception {
    WorkloadCertificateSigner signer =
        new WorkloadCertificateSigner(
            keys, TtlPolicy.ISTIO_DEFAULTS, TestPki.CLOCK, TestPki.RANDOM);
    IstioCertificateService service =
        new IstioCertificateService(
            List.of(
                new ClientCertAuthenticator(keys, TestPki.CLOCK),
                new KubeJwtAuthenticator(
                    TestPki.TRUST_DOMAIN,
                    KubeJwtAuthenticator.DEFAULT_AUDIENCES,
                    "Kubernetes",
                    reviewer)),
            signer,
            registry,
            impersonation);
    String name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(ServerInterceptors.intercept(service.bindService(), new FakeTls()))
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  /** Adds {@link #tls} to the call's transport attributes, as a TLS transport would. */
  private final class FakeTls implements ServerInterceptor {
    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
        ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
      SSLSession session = tls.get();
      if (session == null) {
        return next.startCall(call, headers);
      }
      Attributes attributes =
          call.getAttributes().toBuilder().set(Grpc.TRANSPORT_ATTR_SSL_SESSION, session).build();
      return next.startCall(
          new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public Attributes getAttributes() {
              return attributes;
            }
          },
          headers);
    }
  }

  private IstioCertificateResponse call(String bearer, IstioCertificateRequest request) {
    var stub = IstioCertificateServiceGrpc.newBlockingStub(channel);
    if (bearer != null) {
      Metadata headers = new Metadata();
      headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), bearer);
      headers.put(Metadata.Key.of("ClusterID", Metadata.ASCII_STRING_MARSHALLER), "Kubernetes");
      stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }
    return stub.createCertificate(request);
  }

  private static IstioCertificateRequest request(String csr, long ttlSeconds) {
    return IstioCertificateRequest.newBuilder()
        .setCsr(csr)
        .setValidityDuration(ttlSeconds)
        .setMetadata(
            Struct.newBuilder()
                .putFields("CertSigner", Value.newBuilder().setStringValue("").build()))
        .build();
  }

  private static IstioCertificateRequest agentRequest() {
    // What pilot-agent sends: its own SPIFFE ID in the CSR, 24h.
    return request(TestPki.csr(TestPki.ecKey(), SLEEP), 86400);
  }

  private double count(String name) {
    return registry.get(name).counter().count();
  }

  private double signErrors(String type) {
    return registry.get("citadel_server_csr_sign_err_count").tag("error", type).counter().count();
  }

  @Test
  void issuesTheCallersIdentityNotTheOneInTheCsr() throws Exception {
    // CA-04: the CSR asks for istiod's identity; the caller is default/sleep.
    String csr = TestPki.csr(TestPki.ecKey(), TestPki.spiffe("istio-system", "istiod"));

    IstioCertificateResponse response = call("Bearer x", request(csr, 3600));

    List<String> chain = response.getCertChainList();
    assertThat(chain).hasSize(2).allMatch(pem -> pem.endsWith("-----END CERTIFICATE-----\n"));
    X509Certificate leaf = Pem.parseCertificate(chain.get(0));
    assertThat(leaf.getSubjectAlternativeNames())
        .hasSize(1)
        .allSatisfy(san -> assertThat(san.get(1)).isEqualTo(SLEEP));
    assertThat(leaf.getNotAfter().toInstant()).isEqualTo(TestPki.NOW.plusSeconds(3600));
    assertThat(Pem.parseCertificate(chain.get(1))).isEqualTo(root.signingCert());
    assertThat(count("citadel_server_csr_count")).isEqualTo(1);
    assertThat(count("citadel_server_success_cert_issuance_count")).isEqualTo(1);
    assertThat(count("citadel_server_authentication_failure_count")).isZero();
  }

  @Test
  void responseChainVerifiesAgainstThePublishedRoot() throws Exception {
    // CA-10 with a plug-in intermediate: leaf, intermediate, root (cert-chain.pem), root.
    stop();
    CaKeyMaterial intermediate = TestPki.intermediate(root, "istiod-intermediate");
    start(new CaKeyMaterialHolder(intermediate));

    List<X509Certificate> certs =
        call("Bearer x", agentRequest()).getCertChainList().stream()
            .map(Pem::parseCertificate)
            .toList();

    assertThat(certs).hasSize(4);
    assertThat(certs.get(certs.size() - 1)).isEqualTo(root.signingCert());
    PKIXParameters params =
        new PKIXParameters(
            Set.of(new TrustAnchor(Pem.parseCertificate(root.rootBundlePem()), null)));
    params.setRevocationEnabled(false);
    params.setDate(Date.from(TestPki.NOW));
    CertPathValidator.getInstance("PKIX")
        .validate(
            CertificateFactory.getInstance("X.509").generateCertPath(certs.subList(0, 2)), params);
  }

  @Test
  void renewsWithAMeshClientCertificate() throws Exception {
    IstioCertificateResponse first = call("Bearer x", agentRequest());
    tls.set(new FakeSslSession(List.of(Pem.parseCertificate(first.getCertChain(0)))));

    IstioCertificateResponse renewed = call(null, agentRequest());

    assertThat(Pem.parseCertificate(renewed.getCertChain(0)).getSubjectAlternativeNames())
        .allSatisfy(san -> assertThat(san.get(1)).isEqualTo(SLEEP));
  }

  /** CA-01: every unauthenticated variant gets the same opaque answer and no certificate. */
  @Test
  void refusesEveryUnauthenticatedCaller() throws Exception {
    CaKeyMaterial foreignCa =
        new SelfSignedRootGenerator(TestPki.CLOCK, TestPki.RANDOM)
            .generate(TestPki.TRUST_DOMAIN, KeyAlgorithm.ECDSA_P256, Duration.ofDays(1));
    X509Certificate foreignLeaf =
        new WorkloadCertificateSigner(
                new CaKeyMaterialHolder(foreignCa),
                TtlPolicy.ISTIO_DEFAULTS,
                TestPki.CLOCK,
                TestPki.RANDOM)
            .sign(TestPki.csr(TestPki.ecKey()), List.of(SLEEP), Duration.ZERO)
            .leaf();
    record Variant(String name, String bearer, SSLSession session) {}
    List<Variant> variants =
        List.of(
            new Variant("no credentials", null, null),
            new Variant("garbage bearer token", "Bearer garbage", null),
            new Variant("not a bearer token", "x", null),
            new Variant(
                "client cert from a foreign CA", null, new FakeSslSession(List.of(foreignLeaf))),
            new Variant("TLS peer without verified chain", null, FakeSslSession.unverified()));

    for (Variant variant : variants) {
      tls.set(variant.session());
      assertThatThrownBy(() -> call(variant.bearer(), agentRequest()))
          .as(variant.name())
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                assertThat(e.getStatus().getDescription())
                    .isEqualTo("request authenticate failure");
              });
    }
    assertThat(count("citadel_server_authentication_failure_count")).isEqualTo(variants.size());
    assertThat(count("citadel_server_csr_count")).isEqualTo(variants.size());
    assertThat(count("citadel_server_success_cert_issuance_count")).isZero();
  }

  @Test
  void refusesImpersonation() {
    IstioCertificateRequest request =
        agentRequest().toBuilder()
            .setMetadata(
                Struct.newBuilder()
                    .putFields(
                        "ImpersonatedIdentity",
                        Value.newBuilder()
                            .setStringValue(TestPki.spiffe("istio-system", "istiod"))
                            .build()))
            .build();
    assertThatThrownBy(() -> call("Bearer x", request))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
              assertThat(e.getStatus().getDescription())
                  .isEqualTo("request impersonation authentication failure");
            });
    assertThat(count("citadel_server_success_cert_issuance_count")).isZero();
  }

  private static IstioCertificateRequest impersonating(String identity) {
    return agentRequest().toBuilder()
        .setMetadata(
            Struct.newBuilder()
                .putFields(
                    "ImpersonatedIdentity", Value.newBuilder().setStringValue(identity).build()))
        .build();
  }

  /** ztunnel on node-a with a token bound to its pod, under CA_TRUSTED_NODE_ACCOUNTS. */
  private void startWithNodeAuthorizer() throws Exception {
    stop();
    reviewer.withPodToken("zt", "istio-system", "ztunnel", "ztunnel-a", "uid-zt");
    FakePodIndex pods =
        new FakePodIndex()
            .pod("istio-system", "ztunnel-a", "uid-zt", "ztunnel", "node-a")
            .pod("default", "sleep-1", "uid-sleep", "sleep", "node-a")
            .pod("default", "httpbin-1", "uid-httpbin", "httpbin", "node-b");
    start(
        holder,
        new NodeAuthorizer(TrustedNodeAccounts.parse("istio-system/ztunnel"), "Kubernetes", pods));
  }

  @Test
  void trustedNodeProxyGetsThePodsIdentity() throws Exception {
    startWithNodeAuthorizer();

    IstioCertificateResponse response = call("Bearer zt", impersonating(SLEEP));

    X509Certificate leaf = Pem.parseCertificate(response.getCertChain(0));
    assertThat(leaf.getSubjectAlternativeNames())
        .hasSize(1)
        .allSatisfy(san -> assertThat(san.get(1)).isEqualTo(SLEEP));
    assertThat(count("citadel_server_success_cert_issuance_count")).isEqualTo(1);
    assertThat(count("citadel_server_authentication_failure_count")).isZero();
  }

  @Test
  void nodeAuthorizerRefusalsAreOpaque() throws Exception {
    startWithNodeAuthorizer();
    record Variant(String name, String bearer, String identity) {}
    List<Variant> variants =
        List.of(
            new Variant("pod on another node", "Bearer zt", TestPki.spiffe("default", "httpbin")),
            new Variant("no pod at all", "Bearer zt", TestPki.spiffe("default", "nobody")),
            new Variant("untrusted caller", "Bearer x", TestPki.spiffe("default", "sleep")),
            new Variant("not a SPIFFE ID", "Bearer zt", "default/sleep"));

    for (Variant variant : variants) {
      assertThatThrownBy(() -> call(variant.bearer(), impersonating(variant.identity())))
          .as(variant.name())
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                assertThat(e.getStatus().getDescription())
                    .isEqualTo("request impersonation authentication failure");
              });
    }
    assertThat(count("citadel_server_authentication_failure_count")).isEqualTo(variants.size());
    assertThat(count("citadel_server_success_cert_issuance_count")).isZero();
    // Without impersonation the proxy still gets its own identity.
    assertThat(
            Pem.parseCertificate(call("Bearer zt", agentRequest()).getCertChain(0))
                .getSubjectAlternativeNames())
        .allSatisfy(
            san -> assertThat(san.get(1)).isEqualTo(TestPki.spiffe("istio-system", "ztunnel")));
  }

  /** CA-06. */
  @Test
  void tamperedCsrIsInvalidArgument() {
    String csr = TestPki.csr(TestPki.ecKey(), SLEEP);
    int at = csr.indexOf('\n') + 200;
    String tampered =
        csr.substring(0, at) + (csr.charAt(at) == 'A' ? 'B' : 'A') + csr.substring(at + 1);

    assertThatThrownBy(() -> call("Bearer x", request(tampered, 0)))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    assertThat(signErrors("CSR_ERROR")).isEqualTo(1);
    assertThat(count("citadel_server_csr_parsing_err_count")).isEqualTo(1);
  }

  /** CA-07 through the wire. */
  @Test
  void ttlPolicyOnTheWire() {
    String csr = TestPki.csr(TestPki.ecKey(), SLEEP);
    X509Certificate defaulted =
        Pem.parseCertificate(call("Bearer x", request(csr, 0)).getCertChain(0));
    assertThat(defaulted.getNotAfter().toInstant())
        .isEqualTo(TestPki.NOW.plus(Duration.ofHours(24)));
    X509Certificate max =
        Pem.parseCertificate(call("Bearer x", request(csr, 90L * 86400)).getCertChain(0));
    assertThat(max.getNotAfter().toInstant()).isEqualTo(TestPki.NOW.plus(Duration.ofDays(90)));

    assertThatThrownBy(() -> call("Bearer x", request(csr, 90L * 86400 + 1)))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    assertThat(signErrors("TTL_ERROR")).isEqualTo(1);
  }

  /** CA-11: no key material, no certificate. */
  @Test
  void caNotReadyIsInternal() throws Exception {
    stop();
    start(new CaKeyMaterialHolder());

    assertThatThrownBy(() -> call("Bearer x", agentRequest()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL));
    assertThat(signErrors("CA_NOT_READY")).isEqualTo(1);
    assertThat(count("citadel_server_success_cert_issuance_count")).isZero();
  }

  @Test
  void statusMappingFollowsIstio() {
    assertThat(IstioCertificateService.statusOf(io.jistiod.citadel.ca.CaErrorType.CSR_ERROR))
        .isEqualTo(Status.INVALID_ARGUMENT);
    assertThat(IstioCertificateService.statusOf(io.jistiod.citadel.ca.CaErrorType.TTL_ERROR))
        .isEqualTo(Status.INVALID_ARGUMENT);
    assertThat(IstioCertificateService.statusOf(io.jistiod.citadel.ca.CaErrorType.CA_NOT_READY))
        .isEqualTo(Status.INTERNAL);
    assertThat(IstioCertificateService.statusOf(io.jistiod.citadel.ca.CaErrorType.CERT_GEN_ERROR))
        .isEqualTo(Status.INTERNAL);
  }
}

package io.jistiod.citadel.server.authn;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Metadata;
import io.jistiod.citadel.ca.TtlPolicy;
import io.jistiod.citadel.ca.WorkloadCertificateSigner;
import io.jistiod.citadel.pki.CaKeyMaterial;
import io.jistiod.citadel.pki.CaKeyMaterialHolder;
import io.jistiod.citadel.pki.KeyAlgorithm;
import io.jistiod.citadel.pki.SelfSignedRootGenerator;
import io.jistiod.citadel.server.AuthenticationResult;
import io.jistiod.citadel.server.CallInfo;
import io.jistiod.citadel.testing.FakeSslSession;
import io.jistiod.citadel.testing.TestPki;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClientCertAuthenticatorTest {
  private static final String ID = TestPki.spiffe("default", "sleep");

  private final CaKeyMaterial mesh = TestPki.selfSignedRoot();
  private final ClientCertAuthenticator authenticator =
      new ClientCertAuthenticator(new CaKeyMaterialHolder(mesh), TestPki.CLOCK);

  private static X509Certificate issue(CaKeyMaterial ca) throws Exception {
    return new WorkloadCertificateSigner(
            new CaKeyMaterialHolder(ca), TtlPolicy.ISTIO_DEFAULTS, TestPki.CLOCK, TestPki.RANDOM)
        .sign(TestPki.csr(TestPki.ecKey()), List.of(ID), Duration.ofHours(1))
        .leaf();
  }

  private AuthenticationResult authenticate(FakeSslSession session) {
    return authenticator.authenticate(new CallInfo(new Metadata(), session, null));
  }

  @Test
  void acceptsMeshCertificateAndTakesItsSpiffeId() throws Exception {
    AuthenticationResult result =
        authenticate(new FakeSslSession(List.of(issue(mesh), mesh.signingCert())));
    assertThat(result.caller()).isPresent();
    assertThat(result.caller().get().identities()).containsExactly(ID);
  }

  @Test
  void rejectsCertificateFromAForeignCa() throws Exception {
    CaKeyMaterial foreign =
        new SelfSignedRootGenerator(TestPki.CLOCK, TestPki.RANDOM)
            .generate(TestPki.TRUST_DOMAIN, KeyAlgorithm.ECDSA_P256, Duration.ofDays(10));
    AuthenticationResult result = authenticate(new FakeSslSession(List.of(issue(foreign))));
    assertThat(result.caller()).isEmpty();
    assertThat(result.failure()).hasValueSatisfying(r -> assertThat(r).contains("mesh roots"));
  }

  @Test
  void rejectsUnverifiedPeerAndPlaintext() {
    assertThat(authenticate(FakeSslSession.unverified()).caller()).isEmpty();
    assertThat(authenticate(null).caller()).isEmpty();
  }

  @Test
  void rejectsExpiredCertificate() throws Exception {
    X509Certificate leaf = issue(mesh);
    Clock later = Clock.fixed(TestPki.NOW.plus(Duration.ofHours(2)), ZoneOffset.UTC);
    var authenticator = new ClientCertAuthenticator(new CaKeyMaterialHolder(mesh), later);
    assertThat(
            authenticator
                .authenticate(new CallInfo(new Metadata(), new FakeSslSession(List.of(leaf)), null))
                .caller())
        .isEmpty();
  }

  @Test
  void rejectsTheRootPresentedAsClientCertificate() {
    assertThat(authenticate(new FakeSslSession(List.of(mesh.signingCert()))).caller()).isEmpty();
  }
}

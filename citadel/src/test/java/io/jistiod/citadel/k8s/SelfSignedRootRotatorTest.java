package io.jistiod.citadel.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.jistiod.citadel.ca.IssuedCertificate;
import io.jistiod.citadel.ca.TtlPolicy;
import io.jistiod.citadel.ca.WorkloadCertificateSigner;
import io.jistiod.citadel.pki.CaKeyMaterial;
import io.jistiod.citadel.pki.CaKeyMaterialHolder;
import io.jistiod.citadel.pki.KeyAlgorithm;
import io.jistiod.citadel.pki.Pem;
import io.jistiod.citadel.pki.SelfSignedRootGenerator;
import io.jistiod.citadel.testing.FakeTime;
import io.jistiod.citadel.testing.TestPki;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** CA-15 on a fake clock: no sleeps, the schedule runs when the test advances time. */
@EnableKubernetesMockClient(crud = true)
class SelfSignedRootRotatorTest {
  private static final String NS = "istio-system";
  private static final Duration ROOT_TTL = Duration.ofDays(100);

  KubernetesClient client;
  private FakeTime time;
  private SelfSignedRootGenerator generator;
  private IstioCaSecretStore store;
  private CaKeyMaterialHolder holder;
  private final List<CaKeyMaterial> published = new ArrayList<>();

  @BeforeEach
  void setUp() {
    time = new FakeTime(TestPki.NOW);
    generator = new SelfSignedRootGenerator(time, TestPki.RANDOM);
    store = new IstioCaSecretStore(client, NS);
    CaKeyMaterial initial =
        new SelfSignedCaProvisioner(
                store, generator, TestPki.TRUST_DOMAIN, KeyAlgorithm.ECDSA_P256, ROOT_TTL)
            .loadOrCreate();
    holder = new CaKeyMaterialHolder(initial);
    holder.addListener(published::add);
    published.clear();
  }

  private SelfSignedRootRotator rotator(Duration checkInterval) {
    return new SelfSignedRootRotator(
        store,
        holder,
        generator,
        ROOT_TTL,
        time,
        time,
        checkInterval,
        SelfSignedRootRotator.DEFAULT_GRACE_PERCENT);
  }

  private CaKeyMaterial current() {
    return holder.current().orElseThrow();
  }

  private X509Certificate secretCert(String key) {
    Secret secret = client.secrets().inNamespace(NS).withName("istio-ca-secret").get();
    return Pem.parseCertificate(
        new String(Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8));
  }

  @Test
  void rotatesWithLessThanTwentyPercentLeftReusingTheKey() throws Exception {
    CaKeyMaterial old = current();
    WorkloadCertificateSigner signer =
        new WorkloadCertificateSigner(holder, TtlPolicy.ISTIO_DEFAULTS, time, TestPki.RANDOM);
    KeyPair workloadKey = TestPki.ecKey();
    IssuedCertificate before =
        signer.sign(
            TestPki.csr(workloadKey),
            List.of(TestPki.spiffe("default", "sleep")),
            Duration.ofDays(90));
    SelfSignedRootRotator rotator = rotator(Duration.ofHours(1));

    time.advance(Duration.ofDays(79)); // 21% of life left
    assertThat(rotator.checkAndRotate()).isEqualTo(SelfSignedRootRotator.Outcome.UNCHANGED);
    assertThat(current()).isSameAs(old);

    time.advance(Duration.ofDays(2)); // 19% left
    assertThat(rotator.checkAndRotate()).isEqualTo(SelfSignedRootRotator.Outcome.ROTATED);

    CaKeyMaterial rotated = current();
    X509Certificate newRoot = rotated.signingCert();
    X509Certificate oldRoot = old.signingCert();
    assertThat(newRoot).isNotEqualTo(oldRoot);
    assertThat(newRoot.getPublicKey()).isEqualTo(oldRoot.getPublicKey());
    assertThat(rotated.signingKey()).isEqualTo(old.signingKey());
    assertThat(newRoot.getSubjectX500Principal()).isEqualTo(oldRoot.getSubjectX500Principal());
    assertThat(newRoot.getNotAfter().toInstant()).isEqualTo(time.instant().plus(ROOT_TTL));
    assertThat(rotated.rootBundle()).containsExactly(newRoot);
    assertThat(secretCert("ca-cert.pem")).isEqualTo(newRoot);
    assertThat(secretCert("root-cert.pem")).isEqualTo(newRoot);
    assertThat(published).containsExactly(rotated);

    // Issued before: verifies against the new root. Issued after: against the old one too, so
    // workloads that have not yet seen the new root keep trusting new peers.
    assertThat(verifies(before.leaf(), newRoot)).isTrue();
    IssuedCertificate after =
        signer.sign(
            TestPki.csr(workloadKey),
            List.of(TestPki.spiffe("default", "sleep")),
            Duration.ofHours(24));
    assertThat(verifies(after.leaf(), oldRoot)).isTrue();
    assertThat(verifies(after.leaf(), newRoot)).isTrue();

    // The next check finds a young root and leaves it alone.
    assertThat(rotator.checkAndRotate()).isEqualTo(SelfSignedRootRotator.Outcome.UNCHANGED);
    assertThat(current()).isSameAs(rotated);
  }

  @Test
  void scheduleChecksAfterTheJitterThenEveryInterval() {
    CaKeyMaterial old = current();
    // Checks at 10 min, then daily (hourly in production; fewer checks keep the test quick);
    // rotation is due 24 s before day 80.
    SelfSignedRootRotator rotator = rotator(Duration.ofDays(1));
    rotator.start(Duration.ofMinutes(10));
    assertThat(time.pending()).isEqualTo(1);

    time.advance(Duration.ofDays(80)); // last check at day 79 + 10 min
    assertThat(current()).isSameAs(old);
    time.advance(Duration.ofDays(1)); // check at day 80 + 10 min
    assertThat(current()).isNotSameAs(old);
    assertThat(current().signingCert().getPublicKey()).isEqualTo(old.signingCert().getPublicKey());
    assertThat(published).hasSize(1);

    rotator.close();
    assertThat(time.pending()).isZero();
  }

  @Test
  void adoptsARootAnotherReplicaWrote() {
    CaKeyMaterial old = current();
    // Another replica rotated and stored its root; this one still uses the old.
    CaKeyMaterial theirs = generator.renew(old, ROOT_TTL);
    String version = store.loadVersioned().orElseThrow().resourceVersion();
    assertThat(store.replace(theirs, version)).isTrue();

    assertThat(rotator(Duration.ofHours(1)).checkAndRotate())
        .isEqualTo(SelfSignedRootRotator.Outcome.ADOPTED);
    assertThat(current().signingCert()).isEqualTo(theirs.signingCert());
    assertThat(published).hasSize(1);
  }

  @Test
  void replaceRefusesAStaleVersion() {
    IstioCaSecretStore.Stored stored = store.loadVersioned().orElseThrow();
    CaKeyMaterial renewed = generator.renew(stored.material(), ROOT_TTL);
    assertThat(store.replace(renewed, stored.resourceVersion())).isTrue();

    CaKeyMaterial again = generator.renew(stored.material(), ROOT_TTL);
    assertThat(store.replace(again, stored.resourceVersion())).isFalse();
    assertThat(store.load().orElseThrow().signingCert()).isEqualTo(renewed.signingCert());
  }

  @Test
  void aMissingSecretFailsTheCheckAndChangesNothing() {
    CaKeyMaterial old = current();
    client.secrets().inNamespace(NS).withName("istio-ca-secret").delete();
    time.advance(Duration.ofDays(90));

    assertThat(rotator(Duration.ofHours(1)).checkAndRotate())
        .isEqualTo(SelfSignedRootRotator.Outcome.FAILED);
    assertThat(current()).isSameAs(old);
    assertThat(client.secrets().inNamespace(NS).withName("istio-ca-secret").get()).isNull();
  }

  private boolean verifies(X509Certificate leaf, X509Certificate root) {
    try {
      PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
      params.setRevocationEnabled(false);
      params.setDate(Date.from(time.instant()));
      CertPathValidator.getInstance("PKIX")
          .validate(
              CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf)), params);
      return true;
    } catch (Exception e) {
      return false;
    }
  }
}

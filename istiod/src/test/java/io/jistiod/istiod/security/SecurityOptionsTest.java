package io.jistiod.istiod.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jistiod.citadel.pki.KeyAlgorithm;
import io.jistiod.citadel.server.node.ServiceAccountName;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SecurityOptionsTest {
  @Test
  void istioDefaults() {
    SecurityOptions o = SecurityOptions.fromEnvironment(Map.<String, String>of()::get);
    assertThat(o.enabled()).isTrue();
    assertThat(o.secureGrpcAddr()).isEqualTo(":15012");
    assertThat(o.namespace()).isEqualTo("istio-system");
    assertThat(o.clusterId()).isEqualTo("Kubernetes");
    assertThat(o.revision()).isEqualTo("default");
    assertThat(o.rootCaDir()).isEqualTo(Path.of("./etc/cacerts"));
    assertThat(o.tokenAudiences()).containsExactly("istio-ca");
    assertThat(o.xdsIdentityCheck()).isTrue();
    assertThat(o.selfSignedCaTtl()).isEqualTo(Duration.ofDays(3650));
    assertThat(o.selfSignedKey()).isEqualTo(KeyAlgorithm.RSA_2048);
    assertThat(o.rootCheckInterval()).isEqualTo(Duration.ofHours(1));
    assertThat(o.rootGracePercent()).isEqualTo(20);
    assertThat(o.rootRotatorJitter()).isTrue();
    assertThat(o.workloadTtl().defaultTtl()).isEqualTo(Duration.ofHours(24));
    assertThat(o.workloadTtl().maxTtl()).isEqualTo(Duration.ofDays(90));
    assertThat(o.trustedNodeAccounts().isEmpty()).isTrue();
    assertThat(SecurityOptions.disabled().enabled()).isFalse();
  }

  @Test
  void istioEnvironmentVariables() {
    SecurityOptions o =
        SecurityOptions.fromEnvironment(
            Map.ofEntries(
                    Map.entry("POD_NAMESPACE", "mesh"),
                    Map.entry("CLUSTER_ID", "east"),
                    Map.entry("REVISION", "canary"),
                    Map.entry("ROOT_CA_DIR", "/etc/cacerts"),
                    Map.entry("ISTIOD_CUSTOM_HOST", "a.example.com, b.example.com"),
                    Map.entry("TOKEN_AUDIENCES", "istio-ca,other"),
                    Map.entry("PILOT_ENABLE_XDS_IDENTITY_CHECK", "false"),
                    Map.entry("CITADEL_SELF_SIGNED_CA_CERT_TTL", "87600h"),
                    Map.entry("CITADEL_SELF_SIGNED_CA_RSA_KEY_SIZE", "4096"),
                    Map.entry("CITADEL_SELF_SIGNED_ROOT_CERT_CHECK_INTERVAL", "30m"),
                    Map.entry("CITADEL_SELF_SIGNED_ROOT_CERT_GRACE_PERIOD_PERCENTILE", "30"),
                    Map.entry("CITADEL_ENABLE_JITTER_FOR_ROOT_CERT_ROTATOR", "false"),
                    Map.entry("DEFAULT_WORKLOAD_CERT_TTL", "12h"),
                    Map.entry("MAX_WORKLOAD_CERT_TTL", "48h"),
                    Map.entry("CA_TRUSTED_NODE_ACCOUNTS", "istio-system/ztunnel,bogus"))
                ::get);
    assertThat(o.namespace()).isEqualTo("mesh");
    assertThat(o.clusterId()).isEqualTo("east");
    assertThat(o.revision()).isEqualTo("canary");
    assertThat(o.rootCaDir()).isEqualTo(Path.of("/etc/cacerts"));
    assertThat(o.customHosts()).containsExactly("a.example.com", "b.example.com");
    assertThat(o.tokenAudiences()).containsExactly("istio-ca", "other");
    assertThat(o.xdsIdentityCheck()).isFalse();
    assertThat(o.selfSignedCaTtl()).isEqualTo(Duration.ofHours(87600));
    assertThat(o.selfSignedKey()).isEqualTo(KeyAlgorithm.rsa(4096));
    assertThat(o.rootCheckInterval()).isEqualTo(Duration.ofMinutes(30));
    assertThat(o.rootGracePercent()).isEqualTo(30);
    assertThat(o.rootRotatorJitter()).isFalse();
    assertThat(o.workloadTtl().defaultTtl()).isEqualTo(Duration.ofHours(12));
    assertThat(o.workloadTtl().maxTtl()).isEqualTo(Duration.ofHours(48));
    assertThat(o.trustedNodeAccounts().accounts())
        .containsExactly(new ServiceAccountName("istio-system", "ztunnel"));
    assertThat(o.trustedNodeAccounts().invalid()).containsExactly("bogus");
    // Kept by the with* copies.
    assertThat(o.withSecureGrpcAddr("127.0.0.1:0").withNamespace("x").trustedNodeAccounts())
        .isEqualTo(o.trustedNodeAccounts());
  }

  @Test
  void selfSignedRootCanBeEcdsa() {
    assertThat(
            SecurityOptions.fromEnvironment(
                    Map.of("JISTIOD_SELF_SIGNED_CA_KEY_ALGORITHM", "ECDSA")::get)
                .selfSignedKey())
        .isEqualTo(KeyAlgorithm.ECDSA_P256);
    assertThat(SecurityOptions.fromEnvironment(Map.<String, String>of()::get).selfSignedKey())
        .isEqualTo(KeyAlgorithm.RSA_2048);
    assertThatThrownBy(
            () ->
                SecurityOptions.fromEnvironment(
                    Map.of("JISTIOD_SELF_SIGNED_CA_KEY_ALGORITHM", "DSA")::get))
        .hasMessageContaining("JISTIOD_SELF_SIGNED_CA_KEY_ALGORITHM")
        .hasMessageContaining("RSA or ECDSA");
  }

  @Test
  void badValuesNameTheVariable() {
    assertThatThrownBy(
            () ->
                SecurityOptions.fromEnvironment(
                    Map.of("MAX_WORKLOAD_CERT_TTL", "ninety days")::get))
        .hasMessageContaining("MAX_WORKLOAD_CERT_TTL");
    assertThatThrownBy(
            () ->
                SecurityOptions.fromEnvironment(
                    Map.of("PILOT_ENABLE_XDS_IDENTITY_CHECK", "maybe")::get))
        .hasMessageContaining("PILOT_ENABLE_XDS_IDENTITY_CHECK");
  }

  @Test
  void tlsFilesComeInPairs() {
    SecurityOptions o = SecurityOptions.fromEnvironment(Map.<String, String>of()::get);
    assertThatThrownBy(() -> o.withFlags(":15012", "ns", "c", Path.of("tls.crt"), null, null))
        .hasMessageContaining("--tlsKeyFile");
    assertThat(o.withFlags("", "ns", "c", null, null, null).enabled()).isFalse();
    assertThat(List.of(o.withNamespace("x").namespace())).containsExactly("x");
  }
}

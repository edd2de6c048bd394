package io.jistiod.citadel.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.citadel.pki.CaKeyMaterial;
import io.jistiod.citadel.pki.CaKeyMaterialHolder;
import io.jistiod.citadel.testing.TestPki;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class CaExpiryMetricsTest {
  @Test
  void gaugesFollowTheCurrentRoot() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    CaKeyMaterialHolder holder = new CaKeyMaterialHolder();
    CaExpiryMetrics.register(registry, holder, TestPki.CLOCK);

    assertThat(gauge(registry, "citadel_server_root_cert_expiry_timestamp")).isNaN();

    CaKeyMaterial root = TestPki.rootExpiringIn(Duration.ofHours(5));
    holder.set(root);
    assertThat(gauge(registry, "citadel_server_root_cert_expiry_timestamp"))
        .isEqualTo(TestPki.NOW.plus(Duration.ofHours(5)).getEpochSecond());
    assertThat(gauge(registry, "citadel_server_root_cert_expiry_seconds"))
        .isEqualTo(Duration.ofHours(5).toSeconds());
    assertThat(registry.find("citadel_server_cert_chain_expiry_timestamp").gauge()).isNull();

    CaKeyMaterial intermediate = TestPki.intermediate(root, "ica");
    holder.set(intermediate);
    assertThat(gauge(registry, "citadel_server_cert_chain_expiry_timestamp"))
        .isEqualTo(intermediate.signingCert().getNotAfter().getTime() / 1000.0);
  }

  private static double gauge(SimpleMeterRegistry registry, String name) {
    return registry.get(name).gauge().value();
  }
}

package io.jistiod.istiod.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class ServingKeyManagerTest {
  private final Clock clock = Clock.fixed(TestCa.NOW, ZoneOffset.UTC);
  private final io.jistiod.citadel.pki.CaKeyMaterial ca = TestCa.root(clock);

  @Test
  void aHandshakeKeepsTheKeyAndChainOfTheAliasItChose() {
    ServingKeyManager keys = new ServingKeyManager();
    assertThat(keys.chooseEngineServerAlias("EC", null, null)).isNull();

    ServingCertificate first = TestCa.issue(ca, clock, "istiod.istio-system.svc");
    keys.set(first);
    String alias = keys.chooseEngineServerAlias("EC", null, null);

    ServingCertificate second = TestCa.issue(ca, clock, "istiod.istio-system.svc");
    keys.set(second); // swapped mid-handshake

    assertThat(keys.getPrivateKey(alias)).isEqualTo(first.key());
    assertThat(keys.getCertificateChain(alias)).containsExactly(first.leaf());
    String next = keys.chooseEngineServerAlias("EC", null, null);
    assertThat(next).isNotEqualTo(alias);
    assertThat(keys.getPrivateKey(next)).isEqualTo(second.key());
    assertThat(keys.getCertificateChain("unknown")).isNull();
  }
}

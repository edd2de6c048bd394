package io.jistiod.citadel.server.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** CA_TRUSTED_NODE_ACCOUNTS as istiod reads it. */
class TrustedNodeAccountsTest {
  @Test
  void parsesCommaSeparatedNamespaceSlashName() {
    TrustedNodeAccounts parsed = TrustedNodeAccounts.parse("istio-system/ztunnel,kube-system/zt");
    assertThat(parsed.accounts())
        .isEqualTo(
            Set.of(
                new ServiceAccountName("istio-system", "ztunnel"),
                new ServiceAccountName("kube-system", "zt")));
    assertThat(parsed.invalid()).isEmpty();
    assertThat(parsed.contains(new ServiceAccountName("istio-system", "ztunnel"))).isTrue();
    assertThat(parsed.contains(new ServiceAccountName("istio-system", "zt"))).isFalse();
  }

  @Test
  void emptyMeansNone() {
    assertThat(TrustedNodeAccounts.parse("")).isEqualTo(TrustedNodeAccounts.NONE);
    assertThat(TrustedNodeAccounts.parse(null).isEmpty()).isTrue();
  }

  @Test
  void entriesWithoutSlashAreIgnoredAndReported() {
    TrustedNodeAccounts parsed = TrustedNodeAccounts.parse("ztunnel,istio-system/ztunnel,");
    assertThat(parsed.accounts())
        .containsExactly(new ServiceAccountName("istio-system", "ztunnel"));
    assertThat(parsed.invalid()).isEqualTo(List.of("ztunnel", ""));
    assertThat(TrustedNodeAccounts.parse("ztunnel").isEmpty()).isTrue();
  }

  @Test
  void cutAtTheFirstSlashAndNothingTrimmed() {
    assertThat(TrustedNodeAccounts.parse("a/b/c, x/y").accounts())
        .isEqualTo(Set.of(new ServiceAccountName("a", "b/c"), new ServiceAccountName(" x", "y")));
  }
}

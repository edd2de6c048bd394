package io.jistiod.istiod;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The arguments Istio's istiod Helm chart (and ours, manifests/charts/istiod) gives {@code
 * discovery} are all accepted.
 */
class ChartFlagsTest {

  @Test
  void theChartsDiscoveryArgumentsParse() {
    Main.Discovery discovery = new Main.Discovery();
    new CommandLine(discovery)
        .parseArgs(
            "--monitoringAddr=:15014",
            "--log_output_level=default:info",
            "--log_as_json",
            "--domain",
            "cluster.local",
            "--cniNamespace=istio-system",
            "--keepaliveMaxServerConnectionAge",
            "30m",
            "--meshConfig",
            "/etc/istio/config/mesh");
    assertThat(discovery.monitoringAddr).isEqualTo(":15014");
    assertThat(discovery.logOutputLevel).isEqualTo("default:info");
    assertThat(discovery.logAsJson).isTrue();
    assertThat(discovery.domain).isEqualTo("cluster.local");
    assertThat(discovery.keepaliveMaxServerConnectionAge).isEqualTo("30m");
    assertThat(discovery.cniNamespace).isEqualTo("istio-system");
  }

  @Test
  void keepaliveDefaultsToIstios30m() {
    Main.Discovery discovery = new Main.Discovery();
    new CommandLine(discovery).parseArgs();
    assertThat(Main.goDuration("x", discovery.keepaliveMaxServerConnectionAge))
        .isEqualTo(Duration.ofMinutes(30));
  }

  @Test
  void goDurations() {
    assertThat(Main.goDuration("f", "1h30m")).isEqualTo(Duration.ofMinutes(90));
    assertThat(Main.goDuration("f", "500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(Main.goDuration("f", "1.5s")).isEqualTo(Duration.ofMillis(1500));
    assertThat(Main.goDuration("f", "0")).isEqualTo(Duration.ZERO);
    assertThatThrownBy(() -> Main.goDuration("--keepaliveMaxServerConnectionAge", "30"))
        .hasMessageContaining("--keepaliveMaxServerConnectionAge 30: not a duration");
    assertThatThrownBy(() -> Main.goDuration("f", "30mx")).hasMessageContaining("not a duration");
  }
}

package io.jistiod.pilot.envoy.golden;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jistiod.pilot.gatewayapi.GatewayApiOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A golden scenario's env.yaml: the flags in-process generation honours, and clear refusals. */
class ScenarioEnvTest {
  @TempDir Path dir;

  private ScenarioEnv load(String yaml) throws Exception {
    Path f = dir.resolve("env.yaml");
    Files.writeString(f, yaml);
    return ScenarioEnv.load(f);
  }

  @Test
  void noFileMeansIstiodsDefaults() throws Exception {
    ScenarioEnv env = ScenarioEnv.load(dir.resolve("env.yaml"));
    assertThat(env.alphaGatewayApi()).isFalse();
    assertThat(env.gatewayApiOptions(GatewayApiOptions.defaults("cluster.local")))
        .isEqualTo(GatewayApiOptions.defaults("cluster.local"));
  }

  @Test
  void theAlphaFlagTurnsOnTheAlphaKindsAsGoParsesIt() throws Exception {
    assertThat(load("PILOT_ENABLE_ALPHA_GATEWAY_API: \"true\"\n").alphaGatewayApi()).isTrue();
    assertThat(load("PILOT_ENABLE_ALPHA_GATEWAY_API: \"1\"\n").alphaGatewayApi()).isTrue();
    assertThat(load("PILOT_ENABLE_ALPHA_GATEWAY_API: \"False\"\n").alphaGatewayApi()).isFalse();
    assertThat(
            load("PILOT_ENABLE_ALPHA_GATEWAY_API: \"true\"\n")
                .gatewayApiOptions(GatewayApiOptions.defaults("cluster.local"))
                .alpha())
        .isTrue();
  }

  @Test
  void ambientIsAFlagItApplies() throws Exception {
    assertThat(load("PILOT_ENABLE_AMBIENT: \"true\"\n").ambient()).isTrue();
    assertThat(load("PILOT_ENABLE_GATEWAY_API_STATUS: \"false\"\n").ambient()).isFalse();
    assertThatThrownBy(() -> load("PILOT_ENABLE_AMBIENT: \"on\"\n"))
        .hasMessageContaining("\"on\" is not a boolean");
  }

  @Test
  void aFlagItCannotApplyOrAnUnquotedOrBadValueFailsNamingIt() {
    assertThatThrownBy(() -> load("PILOT_ENABLE_SIDECAR_LISTENING_HBONE: \"true\"\n"))
        .hasMessageContaining("env.yaml")
        .hasMessageContaining("PILOT_ENABLE_SIDECAR_LISTENING_HBONE")
        .hasMessageContaining("not a flag GoldenScenarioTest can apply");
    assertThatThrownBy(() -> load("PILOT_ENABLE_ALPHA_GATEWAY_API: true\n"))
        .hasMessageContaining("PILOT_ENABLE_ALPHA_GATEWAY_API")
        .hasMessageContaining("quoted string");
    assertThatThrownBy(() -> load("PILOT_ENABLE_ALPHA_GATEWAY_API: \"yes\"\n"))
        .hasMessageContaining("\"yes\" is not a boolean");
    assertThatThrownBy(() -> load("- a\n")).hasMessageContaining("expected a map");
  }
}

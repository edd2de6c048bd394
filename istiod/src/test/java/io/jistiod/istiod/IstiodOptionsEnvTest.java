package io.jistiod.istiod;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Environment variables given in the options are read in place of the process's. */
class IstiodOptionsEnvTest {
  @Test
  void givenVariablesWinAndOthersComeFromTheProcess() {
    IstiodOptions o =
        IstiodOptions.defaults(null)
            .withEnv(Map.of("PILOT_ENABLE_ALPHA_GATEWAY_API", "true", "PATH", "/nowhere"));
    assertThat(Main.envBool(o::getenv, "PILOT_ENABLE_ALPHA_GATEWAY_API", false)).isTrue();
    assertThat(o.getenv("PATH")).isEqualTo("/nowhere");
    assertThat(o.getenv("HOME")).isEqualTo(System.getenv("HOME"));
    assertThat(IstiodOptions.defaults(null).getenv("PATH")).isEqualTo(System.getenv("PATH"));
  }

  @Test
  void theOverridesSurviveTheOtherWithers() {
    IstiodOptions o =
        IstiodOptions.defaults(null)
            .withEnv(Map.of("A", "1"))
            .withEnv(Map.of("B", "2"))
            .withAddresses("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
            .withMeshConfigFile(null);
    assertThat(o.env()).containsEntry("A", "1").containsEntry("B", "2");
  }
}

package io.jistiod.pilot.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.galley.api.telemetry.v1alpha1.AccessLogging;
import io.jistiod.galley.api.telemetry.v1alpha1.ProviderRef;
import io.jistiod.galley.api.telemetry.v1alpha1.Telemetry;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.ConfigMeta;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.mesh.MeshConfigs;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The warnings for provider names that write no access log (istiod drops them silently). */
class TelemetryLoggingTest {
  @Test
  void unknownAndNonLoggingProvidersAreNamedWithWhereTheyAre() {
    Config t =
        new Config(
            new ConfigMeta(IstioKinds.TELEMETRY, "logs", "shop", Map.of(), Map.of(), "1", 0),
            Telemetry.newBuilder()
                .addAccessLogging(
                    AccessLogging.newBuilder()
                        .addProviders(ProviderRef.newBuilder().setName("ENVOY"))
                        .addProviders(ProviderRef.newBuilder().setName("typo"))
                        .addProviders(ProviderRef.newBuilder().setName("prometheus")))
                .build());
    var mesh = MeshConfigs.parse("defaultProviders: {accessLogging: [gone]}", "mesh.yaml");
    assertThat(TelemetryLogging.unknownProviders(mesh, List.of(t)))
        .containsExactly(
            "MeshConfig defaultProviders.accessLogging: provider \"gone\" is not defined in"
                + " MeshConfig extensionProviders; no access log for it",
            "Telemetry shop/logs accessLogging[0].providers: provider \"typo\" is not defined in"
                + " MeshConfig extensionProviders; no access log for it",
            "Telemetry shop/logs accessLogging[0].providers: provider \"prometheus\" (PROMETHEUS)"
                + " does not write access logs; ignored");
  }

  @Test
  void theBuiltInProvidersComeFirstAndAUserProviderReplacesOneInPlace() {
    var mesh =
        MeshConfigs.parse(
            """
            extensionProviders:
            - name: mine
              envoyFileAccessLog: {path: /a}
            - name: envoy
              envoyFileAccessLog: {path: /b}
            """,
            "mesh.yaml");
    assertThat(TelemetryProviders.effective(mesh))
        .extracting(p -> p.getName())
        .containsExactly("prometheus", "stackdriver", "envoy", "mine");
    assertThat(
            TelemetryProviders.find(mesh, "EnVoY").orElseThrow().getEnvoyFileAccessLog().getPath())
        .isEqualTo("/b");
  }
}

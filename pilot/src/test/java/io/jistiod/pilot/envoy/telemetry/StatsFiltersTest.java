package io.jistiod.pilot.envoy.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Duration;
import io.jistiod.galley.api.envoy.stats.MetricConfig;
import io.jistiod.galley.api.envoy.stats.PluginConfig;
import io.jistiod.galley.api.envoy.stats.Reporter;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig.ExtensionProvider;
import io.jistiod.pilot.telemetry.TelemetryMetrics.ListenerClass;
import io.jistiod.pilot.telemetry.TelemetryMetrics.MetricOverride;
import io.jistiod.pilot.telemetry.TelemetryMetrics.ModeMetrics;
import io.jistiod.pilot.telemetry.TelemetryMetrics.ProviderMetrics;
import io.jistiod.pilot.telemetry.TelemetryMetrics.TagOverride;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The istio.stats config istiod 1.27 derives from one provider's merged metrics. */
class StatsFiltersTest {
  private static final ExtensionProvider PROMETHEUS =
      ExtensionProvider.newBuilder()
          .setName("prometheus")
          .setPrometheus(ExtensionProvider.PrometheusMetricsProvider.getDefaultInstance())
          .build();

  private static ProviderMetrics metrics(ModeMetrics client, ModeMetrics server) {
    return new ProviderMetrics(PROMETHEUS, client, server, null);
  }

  private static final ModeMetrics NOTHING = new ModeMetrics(false, List.of());

  @Test
  void hostHeaderFallbackIsOffExceptOnTheOutboundSide() {
    var p = metrics(NOTHING, NOTHING);
    assertThat(StatsFilters.config(p, ListenerClass.SIDECAR_OUTBOUND, false))
        .contains(PluginConfig.getDefaultInstance());
    assertThat(StatsFilters.config(p, ListenerClass.SIDECAR_INBOUND, false))
        .contains(PluginConfig.newBuilder().setDisableHostHeaderFallback(true).build());
    assertThat(StatsFilters.config(p, ListenerClass.GATEWAY, false))
        .contains(PluginConfig.newBuilder().setDisableHostHeaderFallback(true).build());
  }

  @Test
  void aModeWithAllMetricsDisabledGetsNoFilter() {
    var p = metrics(new ModeMetrics(true, List.of()), NOTHING);
    assertThat(StatsFilters.config(p, ListenerClass.SIDECAR_OUTBOUND, false)).isEmpty();
    assertThat(StatsFilters.config(p, ListenerClass.GATEWAY, false)).isEmpty();
    assertThat(StatsFilters.config(p, ListenerClass.SIDECAR_INBOUND, false)).isPresent();
  }

  @Test
  void overridesBecomePrometheusMetricConfigs() {
    var server =
        new ModeMetrics(
            false,
            List.of(
                new MetricOverride(
                    "REQUEST_COUNT",
                    false,
                    List.of(
                        new TagOverride("request_protocol", true, ""),
                        new TagOverride("x", false, "request.host"))),
                new MetricOverride("TCP_SENT_BYTES", true, List.of()),
                new MetricOverride("my_metric", false, List.of())));
    var p =
        new ProviderMetrics(
            PROMETHEUS, NOTHING, server, Duration.newBuilder().setSeconds(7).build());
    PluginConfig cfg = StatsFilters.config(p, ListenerClass.SIDECAR_INBOUND, true).orElseThrow();
    assertThat(cfg.getReporter()).isEqualTo(Reporter.SERVER_GATEWAY);
    assertThat(cfg.getTcpReportingDuration().getSeconds()).isEqualTo(7);
    assertThat(cfg.getMetricsList())
        .containsExactly(
            MetricConfig.newBuilder()
                .setName("requests_total")
                .addTagsToRemove("request_protocol")
                .putDimensions("x", "request.host")
                .build(),
            MetricConfig.newBuilder().setName("tcp_sent_bytes_total").setDrop(true).build(),
            MetricConfig.newBuilder().setName("my_metric").build());
  }
}

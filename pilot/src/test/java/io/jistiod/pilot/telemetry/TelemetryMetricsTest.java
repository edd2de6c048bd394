package io.jistiod.pilot.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.BoolValue;
import com.google.protobuf.Duration;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.api.telemetry.v1alpha1.MetricSelector;
import io.jistiod.galley.api.telemetry.v1alpha1.MetricSelector.IstioMetric;
import io.jistiod.galley.api.telemetry.v1alpha1.Metrics;
import io.jistiod.galley.api.telemetry.v1alpha1.MetricsOverrides;
import io.jistiod.galley.api.telemetry.v1alpha1.MetricsOverrides.TagOverride.Operation;
import io.jistiod.galley.api.telemetry.v1alpha1.ProviderRef;
import io.jistiod.galley.api.telemetry.v1alpha1.WorkloadMode;
import io.jistiod.pilot.telemetry.TelemetryMetrics.MetricOverride;
import io.jistiod.pilot.telemetry.TelemetryMetrics.ModeMetrics;
import io.jistiod.pilot.telemetry.TelemetryMetrics.TagOverride;
import java.util.List;
import org.junit.jupiter.api.Test;

/** istiod 1.27's merge of the Telemetry API's metrics across root, namespace and workload. */
class TelemetryMetricsTest {
  private static final MeshConfig PROMETHEUS_DEFAULT =
      MeshConfig.newBuilder()
          .setDefaultProviders(MeshConfig.DefaultProviders.newBuilder().addMetrics("prometheus"))
          .build();

  private static Metrics.Builder metrics(String... providers) {
    Metrics.Builder b = Metrics.newBuilder();
    for (String p : providers) {
      b.addProviders(ProviderRef.newBuilder().setName(p));
    }
    return b;
  }

  private static MetricsOverrides.Builder override(IstioMetric m, WorkloadMode mode) {
    return MetricsOverrides.newBuilder()
        .setMatch(MetricSelector.newBuilder().setMetric(m).setMode(mode));
  }

  private static final ModeMetrics NOTHING = new ModeMetrics(false, List.of());
  private static final ModeMetrics ALL_OFF = new ModeMetrics(true, List.of());

  @Test
  void withoutTelemetryOnlyMeshDefaultProvidersGetMetrics() {
    // istiod's own default mesh config names no metrics provider: no stats filter at all
    assertThat(TelemetryMetrics.merge(List.of(), MeshConfig.getDefaultInstance())).isEmpty();
    var merged = TelemetryMetrics.merge(List.of(), PROMETHEUS_DEFAULT);
    assertThat(merged).containsOnlyKeys("prometheus");
    assertThat(merged.get("prometheus").client()).isEqualTo(NOTHING);
    assertThat(merged.get("prometheus").server()).isEqualTo(NOTHING);
    assertThat(merged.get("prometheus").reportingInterval()).isNull();
  }

  @Test
  void disablingAllMetricsForOneModeDropsOnlyThatMode() {
    var m =
        metrics()
            .addOverrides(
                override(IstioMetric.ALL_METRICS, WorkloadMode.CLIENT)
                    .setDisabled(BoolValue.of(true)))
            .build();
    var merged = TelemetryMetrics.merge(List.of(m), PROMETHEUS_DEFAULT).get("prometheus");
    assertThat(merged.client()).isEqualTo(ALL_OFF);
    assertThat(merged.server()).isEqualTo(NOTHING);
  }

  @Test
  void aLowerLevelOverrideTurnsADisabledModeBackOn() {
    var root =
        metrics()
            .addOverrides(
                MetricsOverrides.newBuilder().setDisabled(BoolValue.of(true))) // all, both modes
            .build();
    var workload =
        metrics()
            .addOverrides(
                override(IstioMetric.REQUEST_COUNT, WorkloadMode.SERVER)
                    .setDisabled(BoolValue.of(false)))
            .build();
    var merged = TelemetryMetrics.merge(List.of(root, workload), PROMETHEUS_DEFAULT);
    assertThat(merged.get("prometheus").client()).isEqualTo(ALL_OFF);
    assertThat(merged.get("prometheus").server())
        .isEqualTo(
            new ModeMetrics(false, List.of(new MetricOverride("REQUEST_COUNT", false, List.of()))));
  }

  @Test
  void tagOverridesAccumulateAndAllMetricsExpandsPerMetric() {
    var root =
        metrics("prometheus")
            .addOverrides(
                override(IstioMetric.ALL_METRICS, WorkloadMode.CLIENT_AND_SERVER)
                    .putTagOverrides(
                        "request_protocol",
                        MetricsOverrides.TagOverride.newBuilder()
                            .setOperation(Operation.REMOVE)
                            .build()))
            .setReportingInterval(Duration.newBuilder().setSeconds(15))
            .build();
    var ns =
        metrics()
            .addOverrides(
                override(IstioMetric.REQUEST_COUNT, WorkloadMode.CLIENT)
                    .putTagOverrides(
                        "destination_port",
                        MetricsOverrides.TagOverride.newBuilder()
                            .setValue("string(destination.port)")
                            .build()))
            .build();
    var merged =
        TelemetryMetrics.merge(List.of(root, ns), MeshConfig.getDefaultInstance())
            .get("prometheus");
    assertThat(merged.reportingInterval().getSeconds()).isEqualTo(15);
    assertThat(merged.server().overrides())
        .hasSize(TelemetryMetrics.ALL_METRICS.size())
        .allSatisfy(
            o ->
                assertThat(o.tags())
                    .containsExactly(new TagOverride("request_protocol", true, "")));
    assertThat(merged.client().overrides())
        .filteredOn(o -> o.name().equals("REQUEST_COUNT"))
        .singleElement()
        .satisfies(
            o ->
                assertThat(o.tags())
                    .containsExactly(
                        new TagOverride("destination_port", false, "string(destination.port)"),
                        new TagOverride("request_protocol", true, "")));
  }

  @Test
  void aLowerLevelNamingOtherProvidersTakesTheDefaultOutOfScope() {
    var root = metrics().build();
    var workload = metrics("custom").build();
    var merged = TelemetryMetrics.merge(List.of(root, workload), PROMETHEUS_DEFAULT);
    assertThat(merged).containsOnlyKeys("custom");
  }
}

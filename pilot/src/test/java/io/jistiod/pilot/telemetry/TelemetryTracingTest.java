package io.jistiod.pilot.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.BoolValue;
import com.google.protobuf.DoubleValue;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig.ExtensionProvider;
import io.jistiod.galley.api.telemetry.v1alpha1.ProviderRef;
import io.jistiod.galley.api.telemetry.v1alpha1.Tracing;
import io.jistiod.galley.api.telemetry.v1alpha1.WorkloadMode;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The merge of MeshConfig default tracing providers and the applicable Telemetry entries. */
class TelemetryTracingTest {
  private static final ExtensionProvider ZIPKIN =
      ExtensionProvider.newBuilder().setName("zipkin").build();
  private static final ExtensionProvider OTEL =
      ExtensionProvider.newBuilder().setName("otel").build();

  private static final Function<String, Optional<ExtensionProvider>> FIND =
      name ->
          switch (name) {
            case "zipkin" -> Optional.of(ZIPKIN);
            case "otel" -> Optional.of(OTEL);
            default -> Optional.empty();
          };

  private static Tracing.Builder entry(String... providers) {
    Tracing.Builder t = Tracing.newBuilder();
    for (String p : providers) {
      t.addProviders(ProviderRef.newBuilder().setName(p));
    }
    return t;
  }

  private static Tracing.CustomTag literal(String v) {
    return Tracing.CustomTag.newBuilder()
        .setLiteral(Tracing.Literal.newBuilder().setValue(v))
        .build();
  }

  @Test
  void nothingSaidMeansNoTelemetryTracing() {
    assertThat(TelemetryTracing.merge(List.of(), List.of(), FIND)).isEmpty();
  }

  @Test
  void theFirstDefaultProviderTracesBothSidesWithIstiodsDefaults() {
    var c = TelemetryTracing.merge(List.of(), List.of("zipkin", "otel"), FIND).orElseThrow();
    for (var s : List.of(c.client(), c.server())) {
      assertThat(s.provider()).isSameAs(ZIPKIN);
      assertThat(s.disabled()).isFalse();
      assertThat(s.randomSampling()).isNull();
      assertThat(s.customTags()).isNull();
      assertThat(s.useRequestIdForTraceSampling()).isTrue();
      assertThat(s.enableIstioTags()).isTrue();
    }
  }

  @Test
  void laterEntriesOverrideOnlyWhatTheySetAndOnlyOnTheirSide() {
    Tracing root =
        entry("zipkin")
            .setRandomSamplingPercentage(DoubleValue.of(10))
            .putCustomTags("team", literal("a"))
            .build();
    Tracing namespaceServer =
        entry()
            .setMatch(Tracing.TracingSelector.newBuilder().setMode(WorkloadMode.SERVER))
            .setDisableSpanReporting(BoolValue.of(true))
            .build();
    Tracing workloadClient =
        entry("otel")
            .setMatch(Tracing.TracingSelector.newBuilder().setMode(WorkloadMode.CLIENT))
            .putCustomTags("env", literal("prod"))
            .setUseRequestIdForTraceSampling(BoolValue.of(false))
            .setEnableIstioTags(BoolValue.of(false))
            .build();
    var c =
        TelemetryTracing.merge(List.of(root, namespaceServer, workloadClient), List.of(), FIND)
            .orElseThrow();
    assertThat(c.client().provider()).isSameAs(OTEL);
    assertThat(c.client().randomSampling()).isEqualTo(10.0);
    // the tag map is replaced whole, not merged key by key
    assertThat(c.client().customTags()).containsOnlyKeys("env");
    assertThat(c.client().useRequestIdForTraceSampling()).isFalse();
    assertThat(c.client().enableIstioTags()).isFalse();
    assertThat(c.client().disabled()).isFalse();

    assertThat(c.server().provider()).isSameAs(ZIPKIN);
    assertThat(c.server().disabled()).isTrue();
    assertThat(c.server().customTags()).isEqualTo(Map.of("team", literal("a")));
    assertThat(c.server().useRequestIdForTraceSampling()).isTrue();
    assertThat(c.side(WorkloadMode.SERVER)).isSameAs(c.server());
    assertThat(c.side(WorkloadMode.CLIENT)).isSameAs(c.client());
  }

  @Test
  void aSideWithoutAProviderOrWithAnUndefinedOneReportsNothing() {
    var noProvider =
        TelemetryTracing.merge(
                List.of(entry().setRandomSamplingPercentage(DoubleValue.of(5)).build()),
                List.of(),
                FIND)
            .orElseThrow();
    assertThat(noProvider.client().disabled()).isTrue();
    assertThat(noProvider.server().disabled()).isTrue();

    // an undefined first name replaces the default provider, as istiod takes the first name as is
    var undefined =
        TelemetryTracing.merge(List.of(entry("typo", "otel").build()), List.of("zipkin"), FIND)
            .orElseThrow();
    assertThat(undefined.client().provider()).isNull();
    assertThat(undefined.client().disabled()).isTrue();

    // disableSpanReporting: false cannot bring a provider-less side back
    var reenabled =
        TelemetryTracing.merge(
                List.of(entry().setDisableSpanReporting(BoolValue.of(false)).build()),
                List.of(),
                FIND)
            .orElseThrow();
    assertThat(reenabled.server().disabled()).isTrue();
  }
}

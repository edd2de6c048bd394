package io.jistiod.pilot.telemetry;

import static io.jistiod.galley.api.telemetry.v1alpha1.WorkloadMode.CLIENT;
import static io.jistiod.galley.api.telemetry.v1alpha1.WorkloadMode.SERVER;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.BoolValue;
import io.jistiod.galley.api.telemetry.v1alpha1.AccessLogging;
import io.jistiod.galley.api.telemetry.v1alpha1.ProviderRef;
import io.jistiod.galley.api.telemetry.v1alpha1.WorkloadMode;
import io.jistiod.pilot.telemetry.AccessLoggingMerge.ProviderSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** istiod 1.27's merge of access logging across root, namespace and workload Telemetries. */
class AccessLoggingMergeTest {
  private static AccessLogging.Builder logging(String... providers) {
    AccessLogging.Builder b = AccessLogging.newBuilder();
    for (String p : providers) {
      b.addProviders(ProviderRef.newBuilder().setName(p));
    }
    return b;
  }

  private static AccessLogging.Builder mode(AccessLogging.Builder b, WorkloadMode m) {
    return b.setMatch(AccessLogging.LogSelector.newBuilder().setMode(m));
  }

  private static AccessLogging.Builder disabled(AccessLogging.Builder b) {
    return b.setDisabled(BoolValue.of(true));
  }

  private static AccessLogging.Builder filter(AccessLogging.Builder b, String cel) {
    return b.setFilter(AccessLogging.Filter.newBuilder().setExpression(cel));
  }

  private static TelemetrySelection.Level level(AccessLogging.Builder... entries) {
    return new TelemetrySelection.Level(
        "ns/t", List.of(entries).stream().map(AccessLogging.Builder::build).toList());
  }

  private static final ProviderSpec ON = new ProviderSpec(false, null);
  private static final ProviderSpec OFF = new ProviderSpec(true, null);

  @Test
  void withoutTelemetryTheDefaultProvidersApply() {
    assertThat(AccessLoggingMerge.merge(List.of(), List.of("envoy", "otel"), CLIENT))
        .containsExactly(Map.entry("envoy", ON), Map.entry("otel", ON));
    assertThat(AccessLoggingMerge.merge(List.of(), List.of(), SERVER)).isEmpty();
  }

  @Test
  void aRootTelemetryWithoutProvidersUsesTheDefaults() {
    assertThat(AccessLoggingMerge.merge(List.of(level(logging())), List.of("envoy"), SERVER))
        .containsExactly(Map.entry("envoy", ON));
    // and with no default there is nothing to log with
    assertThat(AccessLoggingMerge.merge(List.of(level(logging())), List.of(), SERVER)).isEmpty();
  }

  @Test
  void aLowerLevelNamingProvidersReplacesTheSet() {
    var merged =
        AccessLoggingMerge.merge(
            List.of(level(logging("envoy")), level(logging("als"))), List.of(), CLIENT);
    assertThat(merged).containsExactly(Map.entry("als", ON));
  }

  @Test
  void disabledTurnsTheInheritedProvidersOffAndALowerLevelTurnsThemBackOn() {
    var root = level(logging("envoy"));
    var ns = level(disabled(logging()));
    assertThat(AccessLoggingMerge.merge(List.of(root, ns), List.of(), SERVER))
        .containsExactly(Map.entry("envoy", OFF));
    var workload = level(logging("envoy"));
    assertThat(AccessLoggingMerge.merge(List.of(root, ns, workload), List.of(), SERVER))
        .containsExactly(Map.entry("envoy", ON));
  }

  @Test
  void matchModesApplyToTheirSideOnly() {
    var root = level(logging("envoy"));
    var ns = level(mode(disabled(logging()), CLIENT));
    assertThat(AccessLoggingMerge.merge(List.of(root, ns), List.of(), CLIENT))
        .containsExactly(Map.entry("envoy", OFF));
    assertThat(AccessLoggingMerge.merge(List.of(root, ns), List.of(), SERVER))
        .containsExactly(Map.entry("envoy", ON));
    var both = level(mode(disabled(logging("envoy")), WorkloadMode.CLIENT_AND_SERVER));
    assertThat(AccessLoggingMerge.merge(List.of(root, both), List.of(), SERVER))
        .containsExactly(Map.entry("envoy", OFF));
  }

  @Test
  void aServerOnlyProviderIsNotLoggedOnTheClientSide() {
    var merged =
        AccessLoggingMerge.merge(List.of(level(mode(logging("envoy"), SERVER))), List.of(), CLIENT);
    assertThat(merged).isEmpty();
  }

  @Test
  void theFilterLastGivenWithAProviderNameIsKept() {
    var root = level(filter(logging("envoy"), "response.code >= 400"));
    assertThat(AccessLoggingMerge.merge(List.of(root), List.of(), CLIENT).get("envoy").filter())
        .isEqualTo(AccessLogging.Filter.newBuilder().setExpression("response.code >= 400").build());
    // a level that names no provider does not change the filter (istiod records filters by name)
    var ns = level(filter(logging(), "response.code >= 500"));
    assertThat(
            AccessLoggingMerge.merge(List.of(root, ns), List.of(), CLIENT)
                .get("envoy")
                .filter()
                .getExpression())
        .isEqualTo("response.code >= 400");
    // naming it again without a filter clears it
    var workload = level(logging("envoy"));
    assertThat(AccessLoggingMerge.merge(List.of(root, workload), List.of(), CLIENT))
        .containsExactly(Map.entry("envoy", ON));
  }

  @Test
  void severalProvidersInOneEntry() {
    var merged =
        AccessLoggingMerge.merge(
            List.of(level(logging("envoy", "otel")), level(disabled(logging("otel")))),
            List.of(),
            SERVER);
    // the workload level names only otel: envoy drops out of scope
    assertThat(merged).containsExactly(Map.entry("otel", OFF));
  }
}

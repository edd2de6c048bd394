package io.jistiod.istiod.autoregistration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Struct;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.jistiod.galley.api.meta.v1alpha1.IstioCondition;
import io.jistiod.galley.api.meta.v1alpha1.IstioStatus;
import io.jistiod.galley.api.networking.v1alpha3.WorkloadEntry;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.xds.StreamLifecycle;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Registration on connect, the disconnect stamp and the grace-period deletion, reconnects (here or
 * to another istiod), the periodic sweep, and health conditions; on an in-memory API server and a
 * clock the test moves.
 */
class WorkloadEntryControllerTest {
  private static final Duration GRACE = Duration.ofSeconds(10);
  private static final String ENTRY = "vm-ns/ratings-10.1.2.3-vm-net";

  private final FakeWorkloadEntryApi api = new FakeWorkloadEntryApi();
  private final ManualScheduler time = new ManualScheduler();
  private WorkloadEntryController istiodA;
  private WorkloadEntryController istiodB;
  private final Proxy vm =
      Vms.proxy(Vms.metadata("ratings", "10.1.2.3"), "10.1.2.3", new Locality("r1", "z1", ""));

  @BeforeEach
  void setUp() {
    api.addGroup(Vms.group("ratings"));
    WorkloadEntryController.Settings settings =
        new WorkloadEntryController.Settings(true, true, GRACE, true, Duration.ofMinutes(45));
    istiodA = new WorkloadEntryController("istiod-a", api, settings, time, time);
    istiodB = new WorkloadEntryController("istiod-b", api, settings, time, time);
  }

  private StreamLifecycle.Stream connect(WorkloadEntryController c, String id) {
    StreamLifecycle.Stream s = Vms.stream(id, vm, time.instant(), "vm-sa");
    c.connected(s);
    time.runDue();
    return s;
  }

  private EntryObject entry() {
    return api.entries.get(ENTRY);
  }

  private String stamp(Duration ago) {
    return WorkloadEntryAnnotations.format(time.instant().minus(ago));
  }

  @Test
  void connectCreatesTheEntryStampedWithThisIstiod() {
    Instant at = time.instant();
    connect(istiodA, "vm-1-1");
    EntryObject e = entry();
    assertThat(e.annotations())
        .isEqualTo(
            Vms.map(
                "istio.io/autoRegistrationGroup", "ratings",
                "example.com/owner", "team-a",
                "istio.io/workloadController", "istiod-a",
                "istio.io/connectedAt", "2026-01-02T03:04:05.123456789Z"));
    assertThat(WorkloadEntryAnnotations.parse(e.annotations().get("istio.io/connectedAt")))
        .hasValue(at);
    assertThat(e.spec().getAddress()).isEqualTo("10.1.2.3");
    assertThat(e.owner().uid()).isEqualTo("uid-ratings");
    assertThat(api.writes).containsExactly("create " + ENTRY);
  }

  @Test
  void disconnectStampsAndTheGracePeriodDeletes() {
    connect(istiodA, "vm-1-1");
    time.advance(Duration.ofSeconds(1));
    istiodA.disconnected("vm-1-1");
    time.runDue();
    assertThat(entry().annotations())
        .doesNotContainKey("istio.io/connectedAt")
        .containsEntry("istio.io/disconnectedAt", stamp(Duration.ZERO))
        .containsEntry("istio.io/workloadController", "istiod-a");
    time.advance(GRACE.minusMillis(1));
    assertThat(entry()).isNotNull();
    time.advance(Duration.ofMillis(1));
    assertThat(entry()).isNull();
    assertThat(api.writes)
        .containsExactly("create " + ENTRY, "annotate " + ENTRY, "delete " + ENTRY);
  }

  @Test
  void reconnectWithinTheGracePeriodKeepsTheEntry() {
    connect(istiodA, "vm-1-1");
    istiodA.disconnected("vm-1-1");
    time.runDue();
    time.advance(Duration.ofSeconds(3));
    connect(istiodA, "vm-1-2");
    assertThat(entry().annotations())
        .containsEntry("istio.io/connectedAt", stamp(Duration.ZERO))
        .doesNotContainKey("istio.io/disconnectedAt");
    time.advance(GRACE.multipliedBy(2));
    assertThat(entry()).isNotNull();
  }

  @Test
  void reconnectToAnotherIstiodTakesTheEntryOver() {
    connect(istiodA, "vm-1-1");
    time.advance(Duration.ofSeconds(1));
    connect(istiodB, "vm-1-7"); // the agent moved before A noticed its stream ended
    istiodA.disconnected("vm-1-1");
    time.runDue();
    time.advance(GRACE.multipliedBy(2));
    assertThat(entry().annotations())
        .containsEntry("istio.io/workloadController", "istiod-b")
        .containsEntry("istio.io/connectedAt", stamp(GRACE.multipliedBy(2)))
        .doesNotContainKey("istio.io/disconnectedAt");
    // B's own disconnect is the one that counts
    istiodB.disconnected("vm-1-7");
    time.runDue();
    time.advance(GRACE);
    assertThat(entry()).isNull();
  }

  @Test
  void aSecondStreamOfTheSameVmKeepsItConnected() {
    connect(istiodA, "vm-1-1");
    connect(istiodA, "vm-1-2");
    istiodA.disconnected("vm-1-1");
    time.runDue();
    time.advance(GRACE.multipliedBy(2));
    assertThat(entry().annotations()).containsKey("istio.io/connectedAt");
    istiodA.disconnected("vm-1-2");
    time.runDue();
    time.advance(GRACE);
    assertThat(entry()).isNull();
  }

  @Test
  void aMissingGroupRefusesTheStream() {
    Proxy other = Vms.proxy(Vms.metadata("nope", "10.1.2.3"), "10.1.2.3", Locality.UNKNOWN);
    assertThatThrownBy(() -> istiodA.connected(Vms.stream("x-1", other, time.instant(), "vm-sa")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
              assertThat(e.getStatus().getDescription())
                  .isEqualTo(
                      "auto-registration WorkloadEntry of vm-1.vm-ns failed: cannot find"
                          + " WorkloadGroup vm-ns/nope");
            });
    assertThat(api.entries).isEmpty();
    istiodA.disconnected("x-1"); // never tracked: nothing to do
    time.runDue();
    assertThat(api.writes).isEmpty();
  }

  @Test
  void identityMustBeVerifiedAndMatchTheTemplate() {
    StreamLifecycle.Stream anonymous =
        new StreamLifecycle.Stream("a-1", vm, true, time.instant(), Optional.empty());
    assertThatThrownBy(() -> istiodA.connected(anonymous))
        .hasMessageContaining("registration of WorkloadEntry requires a verified identity");
    assertThatThrownBy(() -> istiodA.connected(Vms.stream("a-2", vm, time.instant(), "other")))
        .hasMessageContaining(
            "registration of WorkloadEntry service account mismatch: \"other\" vs \"vm-sa\"");
    assertThat(api.entries).isEmpty();
    WorkloadEntryController lenient =
        new WorkloadEntryController(
            "istiod-c",
            api,
            new WorkloadEntryController.Settings(true, true, GRACE, false, Duration.ofMinutes(45)),
            time,
            time);
    lenient.connected(anonymous);
    assertThat(entry()).isNotNull();
  }

  @Test
  void autoRegistrationOffLeavesVmsAlone() {
    WorkloadEntryController off =
        new WorkloadEntryController(
            "istiod-c",
            api,
            new WorkloadEntryController.Settings(false, true, GRACE, true, Duration.ofMinutes(45)),
            time,
            time);
    off.connected(Vms.stream("vm-1-1", vm, time.instant(), "vm-sa"));
    assertThat(api.entries).isEmpty();
  }

  @Test
  void healthReportsBecomeTheHealthyCondition() {
    connect(istiodA, "vm-1-1");
    istiodA.healthReported("vm-1-1", false, "connection refused");
    time.runDue();
    IstioCondition down = entry().status().getConditions(0);
    assertThat(down.getType()).isEqualTo("Healthy");
    assertThat(down.getStatus()).isEqualTo("False");
    assertThat(down.getMessage()).isEqualTo("connection refused");
    assertThat(down.getLastProbeTime()).isEqualTo(down.getLastTransitionTime());
    time.advance(Duration.ofSeconds(2));
    istiodA.healthReported("vm-1-1", true, "");
    time.runDue();
    assertThat(entry().status().getConditionsList()).hasSize(1);
    IstioCondition up = entry().status().getConditions(0);
    assertThat(up.getStatus()).isEqualTo("True");
    assertThat(up.getMessage()).isEmpty();
    assertThat(com.google.protobuf.util.Timestamps.toString(up.getLastProbeTime()))
        .isEqualTo("2026-01-02T03:04:07.123456789Z");
  }

  @Test
  void anOlderHealthReportDoesNotOverwriteANewerOne() {
    connect(istiodA, "vm-1-1");
    EntryObject e = entry();
    IstioCondition newer =
        IstioCondition.newBuilder()
            .setType("Healthy")
            .setStatus("True")
            .setLastProbeTime(com.google.protobuf.util.Timestamps.fromSeconds(4_000_000_000L))
            .build();
    api.put(e.withStatus(IstioStatus.newBuilder().addConditions(newer).build()));
    istiodA.healthReported("vm-1-1", false, "down");
    time.runDue();
    assertThat(entry().status().getConditionsList()).containsExactly(newer);
  }

  @Test
  void onlyTheControllingIstiodWritesHealth() {
    connect(istiodA, "vm-1-1");
    time.advance(Duration.ofSeconds(1));
    connect(istiodB, "vm-1-7");
    istiodA.healthReported("vm-1-1", false, "stale stream");
    time.runDue();
    assertThat(entry().status()).isNull();
  }

  @Test
  void aHealthCheckedEntryIsControlledAndLosesItsConditionAfterTheGracePeriod() {
    api.put(
        new EntryObject(
            "vm-ns",
            "db",
            Map.of(),
            Map.of("proxy.istio.io/health-checks-enabled", "true"),
            null,
            WorkloadEntry.newBuilder().setAddress("10.1.2.3").setServiceAccount("vm-sa").build(),
            null,
            ""));
    Struct.Builder m = Vms.metadata("", "10.1.2.3").putFields("WORKLOAD_ENTRY", Vms.str("db"));
    m.removeFields("AUTO_REGISTER_GROUP");
    Proxy db = Vms.proxy(m, "10.1.2.3", Locality.UNKNOWN);
    istiodA.connected(Vms.stream("db-1", db, time.instant(), "vm-sa"));
    assertThat(api.entries.get("vm-ns/db").annotations())
        .containsEntry("istio.io/workloadController", "istiod-a")
        .containsKey("istio.io/connectedAt");
    istiodA.healthReported("db-1", true, "");
    time.runDue();
    assertThat(api.entries.get("vm-ns/db").status().getConditionsCount()).isEqualTo(1);
    istiodA.disconnected("db-1");
    time.runDue();
    time.advance(GRACE);
    EntryObject after = api.entries.get("vm-ns/db");
    assertThat(after).isNotNull();
    assertThat(after.status().getConditionsList()).isEmpty();
    assertThat(after.annotations()).containsKey("istio.io/disconnectedAt");

    Struct.Builder missing = m.clone().putFields("WORKLOAD_ENTRY", Vms.str("nope"));
    assertThatThrownBy(
            () ->
                istiodA.connected(
                    Vms.stream(
                        "db-2",
                        Vms.proxy(missing, "10.1.2.3", Locality.UNKNOWN),
                        time.instant(),
                        "vm-sa")))
        .hasMessageContaining("WorkloadEntry vm-ns/nope is not found");
  }

  @Test
  void theSweepRemovesEntriesWhoseIstiodWentAway() {
    istiodA.startPeriodicCleanup();
    time.advance(GRACE.multipliedBy(10).minusMillis(1));
    // stamps as of the first sweep
    Map<String, String> group = Map.of("istio.io/autoRegistrationGroup", "ratings");
    api.put(entry("gone", with(group, "istio.io/disconnectedAt", stamp(GRACE.plusSeconds(1)))));
    api.put(entry("recent", with(group, "istio.io/disconnectedAt", stamp(Duration.ofSeconds(1)))));
    api.put(entry("stale", with(group, "istio.io/connectedAt", stamp(Duration.ofMinutes(46)))));
    api.put(entry("live", with(group, "istio.io/connectedAt", stamp(Duration.ofMinutes(44)))));
    api.put(entry("manual", Map.of("istio.io/disconnectedAt", stamp(Duration.ofHours(1)))));
    time.runDue();
    assertThat(api.entries).hasSize(5);
    time.advance(Duration.ofMillis(1));
    assertThat(api.entries.keySet()).containsExactly("vm-ns/live", "vm-ns/manual", "vm-ns/recent");
    time.advance(GRACE.multipliedBy(10)); // again, every ten grace periods
    assertThat(api.entries.keySet()).containsExactly("vm-ns/manual");
  }

  private static Map<String, String> with(Map<String, String> m, String k, String v) {
    Map<String, String> out = new java.util.HashMap<>(m);
    out.put(k, v);
    return out;
  }

  private static EntryObject entry(String name, Map<String, String> annotations) {
    return new EntryObject(
        "vm-ns",
        name,
        Map.of(),
        annotations,
        null,
        WorkloadEntry.newBuilder().setAddress("10.0.0.1").build(),
        null,
        "");
  }
}

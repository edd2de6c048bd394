package io.jistiod.istiod.autoregistration;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.jistiod.galley.api.networking.v1alpha3.WorkloadEntry;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Proxy;
import org.junit.jupiter.api.Test;

/** The WorkloadEntry built from a WorkloadGroup and a connecting VM, field by field. */
class AutoRegisteredEntriesTest {

  @Test
  void everyFieldFromTemplateGroupAndProxy() {
    Proxy p =
        Vms.proxy(Vms.metadata("ratings", "10.1.2.3,10.1.2.4"), "10.9.9.9", locality("r1", "z1"));
    EntryObject e =
        AutoRegisteredEntries.fromGroup("ratings-10.1.2.3-vm-net", p, true, Vms.group("ratings"));

    assertThat(e.namespace()).isEqualTo("vm-ns");
    assertThat(e.name()).isEqualTo("ratings-10.1.2.3-vm-net");
    // template < group metadata < proxy; the agent's istio-locality label is dropped
    assertThat(e.labels())
        .isEqualTo(Vms.map("app", "ratings", "team", "a", "tier", "backend", "version", "v2"));
    assertThat(e.annotations())
        .isEqualTo(
            Vms.map("istio.io/autoRegistrationGroup", "ratings", "example.com/owner", "team-a"));
    assertThat(e.owner())
        .isEqualTo(
            new EntryObject.Owner(
                "networking.istio.io/v1", "WorkloadGroup", "ratings", "uid-ratings"));
    assertThat(e.spec())
        .isEqualTo(
            WorkloadEntry.newBuilder()
                .setAddress("10.1.2.3") // the first instance IP
                .putAllLabels(e.labels())
                .setNetwork("vm-net") // the proxy's over the template's
                .setLocality("r1/z1") // the node's over the template's
                .setWeight(3)
                .setServiceAccount("vm-sa")
                .putPorts("http", 8080)
                .build());
    assertThat(e.status()).isNull();
    assertThat(e.resourceVersion()).isEmpty();
  }

  @Test
  void withoutNetworkLabelsOrLocalityTheTemplateStays() {
    Struct.Builder m = Vms.metadata("ratings", "10.1.2.3");
    m.removeFields("NETWORK").removeFields("LABELS");
    Proxy p = Vms.proxy(m, "10.1.2.3", Locality.UNKNOWN);
    EntryObject e = AutoRegisteredEntries.fromGroup("n", p, false, Vms.group("ratings"));
    assertThat(e.spec().getNetwork()).isEqualTo("template-net");
    assertThat(e.spec().getLocality()).isEqualTo("template/locality");
    assertThat(e.labels()).isEqualTo(Vms.map("app", "from-group", "team", "a", "tier", "backend"));
  }

  @Test
  void anEmptyNodeLocalityStillReplacesTheTemplates() {
    Proxy p = Vms.proxy(Vms.metadata("g", "10.1.2.3"), "10.1.2.3", Locality.UNKNOWN);
    assertThat(AutoRegisteredEntries.fromGroup("n", p, true, Vms.group("g")).spec().getLocality())
        .isEmpty();
    Proxy full = Vms.proxy(Vms.metadata("g", "10.1.2.3"), "10.1.2.3", locality("r", "z", "s"));
    assertThat(
            AutoRegisteredEntries.fromGroup("n", full, true, Vms.group("g")).spec().getLocality())
        .isEqualTo("r/z/s");
    Proxy regionOnly = Vms.proxy(Vms.metadata("g", "10.1.2.3"), "10.1.2.3", locality("r", "", "s"));
    assertThat(
            AutoRegisteredEntries.fromGroup("n", regionOnly, true, Vms.group("g"))
                .spec()
                .getLocality())
        .isEqualTo("r");
  }

  @Test
  void aReadinessProbeInTheProxyConfigEnablesHealthChecks() {
    Struct.Builder m = Vms.metadata("g", "10.1.2.3");
    m.putFields(
        "PROXY_CONFIG",
        Value.newBuilder()
            .setStructValue(
                Struct.newBuilder()
                    .putFields(
                        "readinessProbe",
                        Value.newBuilder()
                            .setStructValue(
                                Struct.newBuilder().putFields("periodSeconds", Vms.str("5")))
                            .build()))
            .build());
    EntryObject e =
        AutoRegisteredEntries.fromGroup(
            "n", Vms.proxy(m, "10.1.2.3", Locality.UNKNOWN), false, Vms.group("g"));
    assertThat(e.annotations()).containsEntry("proxy.istio.io/health-checks-enabled", "true");
  }

  @Test
  void namesJoinGroupIpAndNetworkAndKeepTheirEnd() {
    Proxy v6 = Vms.proxy(Vms.metadata("g", "fd00::1"), "fd00::1", Locality.UNKNOWN);
    assertThat(AutoRegisteredEntries.name(v6, "g")).hasValue("g-fd00--1-vm-net");
    Struct.Builder m = Vms.metadata("g", "10.0.0.1");
    m.removeFields("NETWORK");
    assertThat(AutoRegisteredEntries.name(Vms.proxy(m, "10.0.0.1", Locality.UNKNOWN), "g"))
        .hasValue("g-10.0.0.1");
    String longGroup = "x".repeat(300);
    String name =
        AutoRegisteredEntries.name(
                Vms.proxy(Vms.metadata(longGroup, "10.0.0.1"), "10.0.0.1", Locality.UNKNOWN),
                longGroup)
            .orElseThrow();
    assertThat(name).hasSize(253).endsWith("x-10.0.0.1-vm-net");
    Struct.Builder noNs = Vms.metadata("g", "10.0.0.1");
    noNs.removeFields("NAMESPACE");
    assertThat(AutoRegisteredEntries.name(Vms.proxy(noNs, "10.0.0.1", Locality.UNKNOWN), "g"))
        .isEmpty();
  }

  @Test
  void stampsAreGoRfc3339NanoInUtc() {
    assertThat(WorkloadEntryAnnotations.format(java.time.Instant.parse("2026-01-02T03:04:05.120Z")))
        .isEqualTo("2026-01-02T03:04:05.12Z");
    assertThat(WorkloadEntryAnnotations.format(java.time.Instant.parse("2026-01-02T03:04:05Z")))
        .isEqualTo("2026-01-02T03:04:05Z");
    assertThat(WorkloadEntryAnnotations.parse("2026-01-02T04:04:05.000000001+01:00"))
        .hasValue(java.time.Instant.parse("2026-01-02T03:04:05.000000001Z"));
    assertThat(WorkloadEntryAnnotations.parse("yesterday")).isEmpty();
  }

  private static Locality locality(String r, String z) {
    return new Locality(r, z, "");
  }

  private static Locality locality(String r, String z, String s) {
    return new Locality(r, z, s);
  }
}

package io.jistiod.galley.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.galley.api.meta.v1alpha1.IstioCondition;
import io.jistiod.galley.api.meta.v1alpha1.IstioStatus;
import io.jistiod.galley.api.networking.v1alpha3.ServiceEntry;
import io.jistiod.galley.api.networking.v1alpha3.WorkloadEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A WorkloadEntry's status (its health) is content: a status-only update is heard. Other kinds'
 * status is not.
 */
class ConfigStatusContentTest {

  private static Config entry(String health) {
    ConfigMeta meta =
        new ConfigMeta(IstioKinds.WORKLOAD_ENTRY, "vm", "ns", Map.of(), Map.of(), "1", 0);
    IstioStatus status =
        health == null
            ? null
            : IstioStatus.newBuilder()
                .addConditions(IstioCondition.newBuilder().setType("Healthy").setStatus(health))
                .build();
    return new Config(meta, WorkloadEntry.newBuilder().setAddress("10.0.0.1").build(), status);
  }

  @Test
  void aWorkloadEntryHealthChangeIsHeard() {
    MemoryConfigStore store = new MemoryConfigStore();
    List<String> heard = new ArrayList<>();
    store.addHandler(e -> heard.add(e.type() + " " + e.current().status()));
    store.put(entry(null));
    store.put(entry(null));
    store.put(entry("False"));
    store.put(entry("False"));
    store.put(entry("True"));
    assertThat(heard).hasSize(3);
  }

  @Test
  void otherKindsStatusIsNotContent() {
    ConfigMeta meta =
        new ConfigMeta(IstioKinds.SERVICE_ENTRY, "se", "ns", Map.of(), Map.of(), "1", 0);
    Config a = new Config(meta, ServiceEntry.newBuilder().addHosts("a").build());
    assertThat(a.sameContent(new Config(meta, a.spec()))).isTrue();
    assertThat(entry("True").sameContent(entry("False"))).isFalse();
    assertThat(entry("True").sameContent(entry("True"))).isTrue();
  }
}

package io.jistiod.pilot.push;

import static io.jistiod.pilot.push.PushFixture.destinationRule;
import static io.jistiod.pilot.push.PushFixture.push;
import static io.jistiod.pilot.push.PushFixture.service;
import static io.jistiod.pilot.push.PushFixture.virtualService;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class PushIndexTest {
  private static PushIndex.Inputs inputs(PushContext push) {
    PushIndex idx = push.pushIndex();
    return new PushIndex.Inputs(
        push.domainSuffix(),
        push.meshConfig(),
        new TreeMap<>(idx.services().byHost()),
        idx.virtualServices().all(),
        idx.destinationRules().all(),
        List.of());
  }

  private static PushContext sample() {
    return push(
        service("web", "app"),
        virtualService("web", "app", List.of("web.app.svc.cluster.local"), List.of()),
        destinationRule("web", "app", "web.app.svc.cluster.local"));
  }

  @Test
  void aPartWhoseInputsDidNotChangeIsReused() {
    PushContext push = sample();
    PushIndex previous = push.pushIndex();
    PushIndex next =
        PushIndex.update(previous, EnumSet.of(IndexInput.DESTINATION_RULE), inputs(push));
    assertThat(next.services()).isSameAs(previous.services());
    assertThat(next.virtualServices()).isSameAs(previous.virtualServices());
    assertThat(next.sidecars()).isSameAs(previous.sidecars());
    assertThat(next.destinationRules()).isNotSameAs(previous.destinationRules());
  }

  @Test
  void newServicesMeanNewSidecarScopes() {
    PushContext push = sample();
    PushIndex previous = push.pushIndex();
    PushIndex next = PushIndex.update(previous, EnumSet.of(IndexInput.SERVICES), inputs(push));
    assertThat(next.services()).isNotSameAs(previous.services());
    assertThat(next.sidecars()).isNotSameAs(previous.sidecars());
    assertThat(next.virtualServices()).isSameAs(previous.virtualServices());
  }

  @Test
  void meshConfigRebuildsEveryPart() {
    PushContext push = sample();
    PushIndex previous = push.pushIndex();
    PushIndex next = PushIndex.update(previous, EnumSet.of(IndexInput.MESH_CONFIG), inputs(push));
    assertThat(next.services()).isNotSameAs(previous.services());
    assertThat(next.virtualServices()).isNotSameAs(previous.virtualServices());
    assertThat(next.destinationRules()).isNotSameAs(previous.destinationRules());
    assertThat(next.sidecars()).isNotSameAs(previous.sidecars());
  }

  @Test
  void kindsMapToTheInputsTheyTouch() {
    assertThat(IndexInput.forKind("VirtualService")).containsExactly(IndexInput.VIRTUAL_SERVICE);
    assertThat(IndexInput.forKind("ServiceEntry")).containsExactly(IndexInput.SERVICES);
    assertThat(IndexInput.forKind("AuthorizationPolicy")).isEmpty();
    // an unknown kind rebuilds everything rather than risk a stale part
    assertThat(IndexInput.forKind("SomethingNew")).isEqualTo(Set.of(IndexInput.values()));
  }
}

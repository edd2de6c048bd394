package io.jistiod.pilot.gatewayapi;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.galley.api.gateway.v1.Condition;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Conditions are set as istiod sets them, so an unchanged status is written back unchanged. */
class ConditionsTest {
  private static Condition condition(String type, String status, String reason, String message) {
    return Condition.newBuilder()
        .setType(type)
        .setStatus(status)
        .setReason(reason)
        .setMessage(message)
        .setObservedGeneration(2)
        .setLastTransitionTime("2020-01-01T00:00:00Z")
        .build();
  }

  @Test
  void setInTypeOrderReplacingInPlaceAndKeepingWhatDidNotChange() {
    List<Condition> existing =
        List.of(
            condition("Other", "True", "Mine", "another controller's"),
            condition("ResolvedRefs", "True", "OldReason", "All references resolved"),
            condition("Accepted", "True", "Accepted", "Route was valid"));
    Map<String, Conditions.Want> wanted = new LinkedHashMap<>();
    wanted.put("ResolvedRefs", Conditions.Want.ok("ResolvedRefs", "All references resolved"));
    wanted.put(
        "Accepted",
        Conditions.Want.ok("Accepted", "Route was valid")
            .failing(new StatusError("NotAllowedByListeners", "nope")));
    wanted.put("Programmed", Conditions.Want.okWhenFalse("NoConflicts", "fine"));
    List<Condition> out = Conditions.apply(2, existing, wanted, "2025-01-01T00:00:00Z");

    assertThat(out)
        .extracting(Condition::getType)
        .containsExactly("Other", "ResolvedRefs", "Accepted", "Programmed");
    // Same status, message and generation: left exactly as it was, old reason and all.
    assertThat(out.get(1)).isEqualTo(existing.get(1));
    // Status changed: new reason, message and transition time.
    assertThat(out.get(2).getStatus()).isEqualTo("False");
    assertThat(out.get(2).getReason()).isEqualTo("NotAllowedByListeners");
    assertThat(out.get(2).getLastTransitionTime()).isEqualTo("2025-01-01T00:00:00Z");
    // A condition whose good state is False.
    assertThat(out.get(3).getStatus()).isEqualTo("False");
    assertThat(out.get(3).getObservedGeneration()).isEqualTo(2);
  }

  @Test
  void sameStatusWithNewMessageKeepsTheTransitionTime() {
    List<Condition> existing = List.of(condition("Accepted", "True", "Accepted", "old"));
    List<Condition> out =
        Conditions.apply(
            3, existing, Map.of("Accepted", Conditions.Want.ok("Accepted", "new")), "later");
    assertThat(out.get(0).getMessage()).isEqualTo("new");
    assertThat(out.get(0).getObservedGeneration()).isEqualTo(3);
    assertThat(out.get(0).getLastTransitionTime()).isEqualTo("2020-01-01T00:00:00Z");
  }
}

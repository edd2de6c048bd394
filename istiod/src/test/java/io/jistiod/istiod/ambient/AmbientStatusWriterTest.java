package io.jistiod.istiod.ambient;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jistiod.pilot.ambient.AmbientStatus;
import io.jistiod.pilot.ambient.AmbientStatus.Report;
import io.jistiod.pilot.ambient.AmbientStatus.StatusCondition;
import io.jistiod.pilot.ambient.AmbientStatus.Target;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What the ambient status writer applies, and when it leaves an object alone. */
class AmbientStatusWriterTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC);

  /** An API server of one object per key, recording each apply. */
  private static final class FakeApi implements AmbientStatusWriter.StatusApi {
    final Map<String, Map<String, JsonNode>> objects = new HashMap<>();
    final List<String> applied = new ArrayList<>();

    @Override
    public Optional<Map<String, JsonNode>> conditions(Report r) {
      return Optional.ofNullable(objects.get(r.namespace() + "/" + r.name()));
    }

    @Override
    public void apply(Report r, ObjectNode body) {
      applied.add(r.writer() + " " + body);
    }
  }

  private static final StatusCondition ACCEPTED =
      new StatusCondition("ZtunnelAccepted", true, "Accepted", "attached to ztunnel", 3);

  private static Report policy(StatusCondition c) {
    return new Report(
        "istio-ambient-ztunnel-policy",
        Target.AUTHORIZATION_POLICY,
        "shop",
        "allow",
        "ZtunnelAccepted",
        c);
  }

  private static Report service(StatusCondition c) {
    return new Report(
        "istio-ambient-service", Target.SERVICE, "shop", "reviews", "istio.io/WaypointBound", c);
  }

  private static JsonNode json(String s) throws Exception {
    return JSON.readTree(s);
  }

  @Test
  void appliesTheConditionAsIstiodMarshalsIt() throws Exception {
    FakeApi api = new FakeApi();
    api.objects.put("shop/allow", Map.of());
    try (AmbientStatusWriter w = new AmbientStatusWriter(api, CLOCK)) {
      w.write(policy(ACCEPTED));
    }
    assertThat(api.applied)
        .containsExactly(
            "istio-ambient-ztunnel-policy "
                + "{\"kind\":\"AuthorizationPolicy\",\"apiVersion\":\"security.istio.io/v1\","
                + "\"metadata\":{\"name\":\"allow\"},\"status\":{\"conditions\":[{"
                + "\"type\":\"ZtunnelAccepted\",\"status\":\"True\","
                + "\"lastTransitionTime\":\"2026-01-02T03:04:05Z\",\"reason\":\"Accepted\","
                + "\"message\":\"attached to ztunnel\",\"observedGeneration\":\"3\"}]}}");
  }

  @Test
  void aConditionAlreadyLiveIsNotWrittenAgain() throws Exception {
    FakeApi api = new FakeApi();
    api.objects.put(
        "shop/allow",
        Map.of(
            "ZtunnelAccepted",
            json(
                "{\"type\":\"ZtunnelAccepted\",\"status\":\"True\",\"reason\":\"Accepted\","
                    + "\"message\":\"attached to ztunnel\",\"observedGeneration\":\"3\","
                    + "\"lastTransitionTime\":\"2025-01-01T00:00:00Z\"}")));
    try (AmbientStatusWriter w = new AmbientStatusWriter(api, CLOCK)) {
      w.write(policy(ACCEPTED));
      // a newer generation is a change
      w.write(
          policy(
              new StatusCondition("ZtunnelAccepted", true, "Accepted", "attached to ztunnel", 4)));
    }
    assertThat(api.applied).hasSize(1);
    assertThat(api.applied.get(0)).contains("\"observedGeneration\":\"4\"");
  }

  @Test
  void noConditionPrunesTheOneWrittenBeforeAndOnlyThat() throws Exception {
    FakeApi api = new FakeApi();
    api.objects.put(
        "shop/reviews",
        Map.of(
            "istio.io/WaypointBound",
            json("{\"type\":\"istio.io/WaypointBound\",\"status\":\"True\"}")));
    try (AmbientStatusWriter w = new AmbientStatusWriter(api, CLOCK)) {
      w.write(service(null));
      api.objects.put("shop/reviews", Map.of()); // pruned
      w.write(service(null));
    }
    assertThat(api.applied)
        .containsExactly(
            "istio-ambient-service {\"kind\":\"Service\",\"apiVersion\":\"v1\","
                + "\"metadata\":{\"name\":\"reviews\"},\"status\":{\"conditions\":[]}}");
  }

  @Test
  void aServiceConditionHasNoGenerationAndAGoneObjectIsSkipped() {
    FakeApi api = new FakeApi();
    try (AmbientStatusWriter w = new AmbientStatusWriter(api, CLOCK)) {
      w.write(
          service(
              new StatusCondition(
                  "istio.io/WaypointBound", false, "WaypointIsNotReady", "waypoint x", 0)));
      assertThat(api.applied).isEmpty(); // no such object
      api.objects.put("shop/reviews", Map.of());
      w.write(
          service(
              new StatusCondition(
                  "istio.io/WaypointBound", false, "WaypointIsNotReady", "waypoint x", 0)));
    }
    assertThat(api.applied).hasSize(1);
    assertThat(api.applied.get(0))
        .contains("\"status\":\"False\"")
        .doesNotContain("observedGeneration");
  }

  @Test
  void onlyTheLeaderWritesAndOnlyWhatChanged() throws Exception {
    FakeApi api = new FakeApi();
    api.objects.put("shop/allow", Map.of());
    AmbientStatus status = new AmbientStatus(List.of(policy(ACCEPTED)));
    try (AmbientStatusWriter w = new AmbientStatusWriter(api, CLOCK, false)) {
      w.accept(status);
      assertThat(w.queued()).isZero(); // not leading: nothing queued, nothing written
      AutoCloseable lease = w.lead();
      assertThat(w.queued()).isEqualTo(1); // the last status, checked against the live object
      w.drain();
      assertThat(api.applied).hasSize(1);
      w.accept(status);
      assertThat(w.queued()).isZero(); // unchanged since written
      lease.close();
      w.accept(
          new AmbientStatus(
              List.of(
                  policy(
                      new StatusCondition(
                          "ZtunnelAccepted", true, "Accepted", "attached to ztunnel", 4)))));
      assertThat(w.queued()).isZero(); // lost the lease: nothing more
      w.lead();
      assertThat(w.queued()).isEqualTo(1);
      w.drain();
    }
    assertThat(api.applied).hasSize(2);
    assertThat(api.applied.get(1)).contains("\"observedGeneration\":\"4\"");
  }
}

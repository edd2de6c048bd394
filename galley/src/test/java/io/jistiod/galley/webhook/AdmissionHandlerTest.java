package io.jistiod.galley.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jistiod.galley.analysis.Analysis;
import io.jistiod.galley.api.networking.v1alpha3.VirtualService;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.config.MemoryConfigStore;
import io.jistiod.galley.validation.ConfigValidator;
import io.jistiod.galley.validation.NetworkingValidators;
import io.jistiod.galley.validation.ValidationMessage;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AdmissionHandlerTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Rules that do not move while the real ones are written: host "bad" errs, "warn" warns. */
  private static final ConfigValidator FAKE_RULES =
      config -> {
        List<ValidationMessage> out = new ArrayList<>();
        if (config.spec() instanceof VirtualService vs) {
          for (int i = 0; i < vs.getHostsCount(); i++) {
            String where = "spec.hosts[" + i + "]";
            if (vs.getHosts(i).equals("bad")) {
              out.add(ValidationMessage.error(where, "bad host"));
            } else if (vs.getHosts(i).equals("warn")) {
              out.add(ValidationMessage.warning(where, "this host warns"));
            }
          }
          if (vs.getHttpCount() == 0) {
            out.add(ValidationMessage.error("spec.http", "no routes"));
          }
        }
        return out;
      };

  private final MeterRegistry registry = new SimpleMeterRegistry();
  private final AdmissionHandler handler =
      new AdmissionHandler(
          new ConfigAdmission(IstioKinds.ALL, FAKE_RULES), new WebhookMetrics(registry));

  static String vs(String host) {
    return """
        {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
         "metadata": {"name": "reviews", "namespace": "ns1"},
         "spec": {"hosts": ["%s"], "http": [{"route": [{"destination": {"host": "reviews"}}]}]}}
        """
        .formatted(host);
  }

  static String review(String apiVersion, String operation, String object) {
    return """
        {"apiVersion": "%s", "kind": "AdmissionReview",
         "request": {"uid": "uid-42", "operation": "%s",
           "kind": {"group": "networking.istio.io", "version": "v1", "kind": "VirtualService"},
           "resource": {"group": "networking.istio.io", "version": "v1",
                        "resource": "virtualservices"},
           "name": "reviews", "namespace": "ns1", "object": %s}}
        """
        .formatted(apiVersion, operation, object);
  }

  private JsonNode answer(String body) throws Exception {
    return JSON.readTree(handler.handle(body.getBytes(StandardCharsets.UTF_8)));
  }

  static Stream<Arguments> cases() {
    String v1 = "admission.k8s.io/v1";
    String v1beta1 = "admission.k8s.io/v1beta1";
    return Stream.of(
        Arguments.of("valid v1", review(v1, "CREATE", vs("reviews")), true, null),
        Arguments.of("valid v1beta1", review(v1beta1, "UPDATE", vs("reviews")), true, null),
        Arguments.of(
            "invalid v1beta1 names the field",
            review(v1beta1, "CREATE", vs("bad")),
            false,
            "configuration is invalid: spec.hosts[0]: bad host"),
        Arguments.of("DELETE allowed", review(v1, "DELETE", "null"), true, null),
        Arguments.of("CONNECT allowed", review(v1, "CONNECT", vs("bad")), true, null),
        Arguments.of(
            "always-reject annotation",
            review(
                v1,
                "CREATE",
                """
                {"apiVersion": "networking.istio.io/v1", "kind": "Gateway",
                 "metadata": {"name": "invalid-gateway", "namespace": "istio-system",
                   "labels": {"istio.io/rev": "default"},
                   "annotations": {"internal.istio.io/webhook-always-reject": "true"}},
                 "spec": {}}
                """),
            false,
            "configuration is invalid: \"internal.istio.io/webhook-always-reject\" annotation"
                + " found, rejecting"),
        Arguments.of(
            "unknown kind in an Istio group",
            review(
                v1,
                "CREATE",
                """
                {"apiVersion": "networking.istio.io/v1", "kind": "Teleporter",
                 "metadata": {"name": "x", "namespace": "ns1"}, "spec": {}}
                """),
            false,
            "unrecognized type networking.istio.io/v1, Kind=Teleporter"),
        Arguments.of(
            "a version this istiod does not know is validated like the others",
            review(v1, "CREATE", vs("bad").replace("/v1\"", "/v2\"")),
            false,
            "configuration is invalid: spec.hosts[0]: bad host"),
        Arguments.of(
            "unknown top-level field",
            review(v1, "CREATE", vs("reviews").replaceFirst("\\{", "{\"extra\": 1, ")),
            false,
            "unknown field \"extra\" on VirtualService resource ns1/reviews"),
        Arguments.of(
            "spec that does not convert",
            review(v1, "CREATE", vs("reviews").replace("[\"reviews\"]", "7")),
            false,
            "error decoding configuration: spec.hosts"),
        Arguments.of("garbage object", review(v1, "CREATE", "[1, 2]"), false, "cannot decode"),
        Arguments.of(
            "mistyped metadata",
            review(
                v1,
                "CREATE",
                """
                {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
                 "metadata": ["reviews"], "spec": {}}
                """),
            false,
            "cannot decode configuration: metadata: expected an object"),
        Arguments.of("no object", review(v1, "CREATE", "null"), false, "cannot decode"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void answersLikeIstio(String name, String body, boolean allowed, String message)
      throws Exception {
    JsonNode out = answer(body);
    JsonNode in = JSON.readTree(body);
    assertThat(out.path("kind").asText()).isEqualTo("AdmissionReview");
    assertThat(out.path("apiVersion").asText()).isEqualTo(in.path("apiVersion").asText());
    assertThat(out.path("response").path("uid").asText()).isEqualTo("uid-42");
    assertThat(out.path("response").path("allowed").asBoolean())
        .as(out.toString())
        .isEqualTo(allowed);
    if (message != null) {
      assertThat(out.path("response").path("status").path("message").asText()).startsWith(message);
    } else {
      assertThat(out.path("response").has("status")).isFalse();
    }
  }

  @Test
  void warningsOfAnAllowedObjectArePassedThrough() throws Exception {
    JsonNode out = answer(review("admission.k8s.io/v1", "CREATE", vs("warn")));
    assertThat(out.path("response").path("allowed").asBoolean()).isTrue();
    assertThat(out.path("response").path("warnings").toString())
        .isEqualTo("[\"spec.hosts[0]: this host warns\"]");
  }

  @Test
  void analyzerFindingsAreWarningsOfAnAllowedObjectNeverDenials() throws Exception {
    MemoryConfigStore store = new MemoryConfigStore();
    store.markSynced();
    AdmissionHandler analyzing =
        new AdmissionHandler(
            new ConfigAdmission(
                IstioKinds.ALL,
                FAKE_RULES,
                new Analysis(Analysis.all(), store, null, "cluster.local", "istio-system")),
            new WebhookMetrics(new SimpleMeterRegistry()));
    String routeToSubset =
        """
        {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
         "metadata": {"name": "reviews", "namespace": "ns1"},
         "spec": {"hosts": ["warn"],
                  "http": [{"route": [{"destination": {"host": "reviews", "subset": "v9"}}]}]}}
        """;
    JsonNode out =
        JSON.readTree(
            analyzing.handle(
                review("admission.k8s.io/v1", "CREATE", routeToSubset)
                    .getBytes(StandardCharsets.UTF_8)));
    assertThat(out.path("response").path("allowed").asBoolean()).isTrue();
    assertThat(out.path("response").has("status")).isFalse();
    assertThat(out.path("response").path("warnings"))
        .extracting(JsonNode::asText)
        .containsExactly(
            "spec.hosts[0]: this host warns",
            "IST0101 (VirtualService ns1/reviews) spec.http[0].route[0].destination.subset:"
                + " Referenced host+subset in destinationrule not found: \"reviews+v9\"");
    // The same object without an analysis (istiod validate) has only the validator's warning.
    assertThat(
            answer(review("admission.k8s.io/v1", "CREATE", routeToSubset))
                .path("response")
                .path("warnings"))
        .hasSize(1);
  }

  @Test
  void everyErrorIsListedWithItsField() throws Exception {
    String object =
        vs("bad")
            .replace(
                "\"http\": [{\"route\": [{\"destination\": " + "{\"host\": \"reviews\"}}]}]",
                "\"http\": []");
    JsonNode out = answer(review("admission.k8s.io/v1", "CREATE", object));
    assertThat(out.path("response").path("status").path("message").asText())
        .isEqualTo("configuration is invalid: spec.hosts[0]: bad host; spec.http: no routes");
  }

  @Test
  void bodiesThatAreNoReviewAreDeniedWithAReason() throws Exception {
    assertThat(answer("{not json").path("response").path("status").path("message").asText())
        .startsWith("could not decode body");
    assertThat(
            answer("{\"apiVersion\": \"v1\", \"kind\": \"Pod\"}")
                .path("response")
                .path("status")
                .path("message")
                .asText())
        .startsWith("could not decode body: unsupported kind");
    JsonNode noRequest =
        answer("{\"apiVersion\": \"admission.k8s.io/v1\", \"kind\": \"AdmissionReview\"}");
    assertThat(noRequest.path("response").path("allowed").asBoolean()).isFalse();
    assertThat(noRequest.path("apiVersion").asText()).isEqualTo("admission.k8s.io/v1");
  }

  @Test
  void deeplyNestedInputIsDeniedNotThrown() throws Exception {
    String deep = "[".repeat(5000) + "]".repeat(5000);
    JsonNode out = answer(review("admission.k8s.io/v1", "CREATE", deep));
    assertThat(out.path("response").path("allowed").asBoolean()).isFalse();
    String deepSpec =
        vs("reviews")
            .replace(
                "\"http\": [",
                "\"x\": " + "{\"a\": ".repeat(3000) + "1" + "}".repeat(3000) + ", \"http\": [");
    out = answer(review("admission.k8s.io/v1", "CREATE", deepSpec));
    assertThat(out.path("response").path("allowed").asBoolean()).isFalse();
  }

  @Test
  void countsLikeIstio() throws Exception {
    answer(review("admission.k8s.io/v1", "CREATE", vs("reviews")));
    answer(review("admission.k8s.io/v1", "CREATE", vs("bad")));
    answer(review("admission.k8s.io/v1", "DELETE", "null"));
    answer(
        review("admission.k8s.io/v1", "CREATE", vs("bad"))
            .replace("\"uid\"", "\"dryRun\": true, \"uid\""));
    assertThat(
            registry
                .get("galley_validation_passed")
                .tag("group", "networking.istio.io")
                .tag("version", "v1")
                .tag("resource", "virtualservices")
                .counter()
                .count())
        .isEqualTo(1.0);
    assertThat(
            registry
                .get("galley_validation_failed")
                .tag("reason", "invalid_resource")
                .tag("resource", "virtualservices")
                .counter()
                .count())
        .isEqualTo(1.0);
    assertThat(
            registry
                .get("galley_validation_failed")
                .tag("reason", "unsupported_operation")
                .counter()
                .count())
        .isEqualTo(1.0);
  }

  @Test
  void countersIstiosDashboardQueriesExistAtZeroFromStart() {
    io.micrometer.core.instrument.simple.SimpleMeterRegistry fresh =
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    new WebhookMetrics(fresh);
    for (var kind : IstioKinds.ALL) {
      assertThat(
              fresh
                  .get("galley_validation_passed")
                  .tag("group", kind.group())
                  .tag("version", kind.versions().get(0))
                  .tag("resource", kind.plural())
                  .counter()
                  .count())
          .isZero();
      assertThat(
              fresh
                  .get("galley_validation_failed")
                  .tag("resource", kind.plural())
                  .tag("reason", "invalid_resource")
                  .counter()
                  .count())
          .isZero();
    }
  }

  @Test
  void theRealRulesDenyAnInvalidVirtualServiceNamingTheField() throws Exception {
    AdmissionHandler real =
        new AdmissionHandler(
            new ConfigAdmission(IstioKinds.ALL, NetworkingValidators.forKinds()),
            WebhookMetrics.NONE);
    String negativeWeight =
        """
        {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
         "metadata": {"name": "reviews", "namespace": "ns1"},
         "spec": {"hosts": ["reviews"],
                  "http": [{"route": [{"destination": {"host": "reviews"}, "weight": -1}]}]}}
        """;
    JsonNode out =
        JSON.readTree(
            real.handle(
                review("admission.k8s.io/v1", "CREATE", negativeWeight)
                    .getBytes(StandardCharsets.UTF_8)));
    assertThat(out.path("response").path("allowed").asBoolean()).isFalse();
    assertThat(out.path("response").path("status").path("message").asText())
        .startsWith("configuration is invalid: ")
        .contains("spec.http[0].route[0].weight");
    JsonNode ok =
        JSON.readTree(
            real.handle(
                review("admission.k8s.io/v1", "CREATE", vs("reviews"))
                    .getBytes(StandardCharsets.UTF_8)));
    assertThat(ok.path("response").path("allowed").asBoolean()).as(ok.toString()).isTrue();
  }
}

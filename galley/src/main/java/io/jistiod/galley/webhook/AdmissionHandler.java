package io.jistiod.galley.webhook;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jistiod.galley.validation.Deadline;
import java.io.IOException;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The validation webhook without HTTP: an {@code AdmissionReview} in, an {@code AdmissionReview}
 * out, as Istio's {@code /validate} handler answers. Both {@code admission.k8s.io/v1} and {@code
 * v1beta1} reviews are read; the answer has the review's apiVersion and kind and echoes {@code
 * request.uid}.
 *
 * <p>CREATE and UPDATE are validated by {@link ConfigAdmission}; every other operation is allowed.
 * A denial carries Istio's message in {@code response.status.message} and no code (the API server
 * reports a denial without a code as 400); warnings go to {@code response.warnings}.
 *
 * <p>Thread-safe: handles concurrent requests.
 */
public final class AdmissionHandler {
  private static final Logger log = LoggerFactory.getLogger(AdmissionHandler.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String V1 = "admission.k8s.io/v1";
  private static final String V1BETA1 = "admission.k8s.io/v1beta1";

  private final ConfigAdmission admission;
  private final WebhookMetrics metrics;

  public AdmissionHandler(ConfigAdmission admission, WebhookMetrics metrics) {
    this.admission = Objects.requireNonNull(admission, "admission");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
  }

  public WebhookMetrics metrics() {
    return metrics;
  }

  /**
   * Answers the AdmissionReview in {@code body} (JSON) with an AdmissionReview (JSON), without a
   * deadline.
   */
  public byte[] handle(byte[] body) {
    return answer(body, null);
  }

  /**
   * Answers like {@link #handle(byte[])}, on the caller's thread, but gives up at {@code
   * deadlineNanos} ({@link System#nanoTime()} terms): validation and analysis check the deadline at
   * their loop points and stop there, so no work goes on after the answer. An object whose
   * validation did not finish in time is denied with "validation did not finish within N ms" and
   * counted in {@code galley_validation_failed} (reason {@value Verdict#TIMEOUT}), never in {@code
   * galley_validation_passed}.
   */
  public byte[] handle(byte[] body, long deadlineNanos) {
    long budgetMillis = Math.max(0, (deadlineNanos - System.nanoTime()) / 1_000_000);
    return Deadline.within(
        deadlineNanos,
        () -> {
          try {
            return answer(body, null);
          } catch (TimedOut t) {
            return write(
                t.apiVersion,
                t.uid,
                Verdict.deny(
                    Verdict.TIMEOUT, "validation did not finish within " + budgetMillis + " ms"));
          }
        });
  }

  /** Where the deadline struck: enough of the review to answer it. */
  private static final class TimedOut extends RuntimeException {
    final String apiVersion;
    final String uid;

    TimedOut(String apiVersion, String uid) {
      super("timed out", null, false, false);
      this.apiVersion = apiVersion;
      this.uid = uid;
    }
  }

  /**
   * Denies the object of the AdmissionReview in {@code body} with {@code message}, without looking
   * at it: for a request the server could not finish in time.
   */
  public byte[] deny(byte[] body, String message) {
    return answer(body, Objects.requireNonNull(message, "message"));
  }

  private byte[] answer(byte[] body, String denial) {
    JsonNode review;
    try {
      review = JSON.readTree(body);
    } catch (IOException e) {
      return write(V1, "", Verdict.deny("", "could not decode body: " + oneLine(e)));
    }
    if (review == null || !review.isObject()) {
      return write(V1, "", Verdict.deny("", "could not decode body: expected an AdmissionReview"));
    }
    String apiVersion = review.path("apiVersion").asText("");
    String kind = review.path("kind").asText("");
    if (!kind.equals("AdmissionReview") || !(apiVersion.equals(V1) || apiVersion.equals(V1BETA1))) {
      return write(
          V1,
          "",
          Verdict.deny(
              "",
              "could not decode body: unsupported kind \""
                  + kind
                  + "\" in version \""
                  + apiVersion
                  + "\" (expected: AdmissionReview in "
                  + V1
                  + " or "
                  + V1BETA1
                  + ")"));
    }
    JsonNode request = review.path("request");
    if (!request.isObject()) {
      return write(
          apiVersion, "", Verdict.deny("", "could not decode object: the review has no request"));
    }
    String uid = request.path("uid").asText("");
    if (denial != null) {
      return write(apiVersion, uid, Verdict.deny("", denial));
    }
    try {
      return write(apiVersion, uid, review(request));
    } catch (Deadline.Exceeded e) {
      throw new TimedOut(apiVersion, uid);
    }
  }

  /** The verdict on one {@code AdmissionRequest}; counts it in Istio's metrics. */
  public Verdict review(JsonNode request) {
    JsonNode resource = request.path("resource");
    String group = resource.path("group").asText("");
    String version = resource.path("version").asText("");
    String plural = resource.path("resource").asText("");
    boolean dryRun = request.path("dryRun").asBoolean(false);
    String operation = request.path("operation").asText("");

    Verdict verdict;
    if (!operation.equals("CREATE") && !operation.equals("UPDATE")) {
      log.warn("Unsupported webhook operation {}{}", operation, dryRun ? " (dry run)" : "");
      verdict = Verdict.allow(List.of());
      if (!dryRun) {
        metrics.failed(group, version, plural, Verdict.UNSUPPORTED_OPERATION);
      }
      return verdict;
    }
    try {
      verdict =
          admission.check(
              request.get("object"),
              request.path("namespace").asText(""),
              request.path("name").asText(""));
    } catch (Deadline.Exceeded e) {
      // Counted here, once, as a failure; the caller answers with the denial.
      if (!dryRun) {
        metrics.failed(group, version, plural, Verdict.TIMEOUT);
      }
      throw e;
    }
    if (verdict.allowed()) {
      metrics.passed(group, version, plural);
      return verdict;
    }
    if (!dryRun) {
      metrics.failed(group, version, plural, verdict.reason());
    }
    if (!isAlwaysReject(request.path("object"))) {
      // Our own readiness check is denied on purpose; everything else is worth a line.
      log.info(
          "{} {} {}/{}: {}{}",
          operation,
          request.path("kind").path("kind").asText(plural),
          request.path("namespace").asText(""),
          request.path("name").asText(""),
          verdict.message(),
          dryRun ? " (dry run)" : "");
    }
    return verdict;
  }

  private static boolean isAlwaysReject(JsonNode object) {
    return object.path("metadata").path("annotations").has(ConfigAdmission.ALWAYS_REJECT);
  }

  private static byte[] write(String apiVersion, String uid, Verdict verdict) {
    ObjectNode out = JSON.createObjectNode();
    out.put("kind", "AdmissionReview");
    out.put("apiVersion", apiVersion);
    ObjectNode response = out.putObject("response");
    response.put("uid", uid);
    response.put("allowed", verdict.allowed());
    if (!verdict.allowed()) {
      ObjectNode status = response.putObject("status");
      status.putObject("metadata");
      status.put("message", verdict.message());
    }
    if (!verdict.warnings().isEmpty()) {
      ArrayNode warnings = response.putArray("warnings");
      verdict.warnings().forEach(warnings::add);
    }
    try {
      return JSON.writeValueAsBytes(out);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write an AdmissionReview", e);
    }
  }

  private static String oneLine(IOException e) {
    String m = e.getMessage() == null ? e.toString() : e.getMessage();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}

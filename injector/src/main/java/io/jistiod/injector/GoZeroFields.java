package io.jistiod.injector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * The fields k8s.io/api's Go types always marshal, even empty (struct fields without a pointer:
 * {@code creationTimestamp: null}, {@code resources: {}}, {@code status: {}}, the status counters
 * without omitempty), added to an object's JSON so it prints as {@code istioctl kube-inject} prints
 * the typed object.
 */
final class GoZeroFields {
  private GoZeroFields() {}

  static void add(ObjectNode obj) {
    String kind = obj.path("kind").asText("");
    if (kind.equals("List")) {
      PodJson.object(obj, "metadata"); // ListMeta, a struct: always printed
      return;
    }
    meta(obj);
    ObjectNode spec = PodJson.object(obj, "spec");
    switch (kind) {
      case "Pod" -> {
        podSpec(spec);
        status(obj);
      }
      case "Deployment" -> {
        PodJson.object(spec, "strategy");
        template(spec);
        status(obj);
      }
      case "StatefulSet" -> {
        PodJson.object(spec, "updateStrategy");
        template(spec);
        ObjectNode s = status(obj);
        zero(s, "replicas", "availableReplicas");
      }
      case "DaemonSet" -> {
        PodJson.object(spec, "updateStrategy");
        template(spec);
        ObjectNode s = status(obj);
        zero(
            s,
            "currentNumberScheduled",
            "numberMisscheduled",
            "desiredNumberScheduled",
            "numberReady");
      }
      case "ReplicaSet", "ReplicationController" -> {
        template(spec);
        zero(status(obj), "replicas");
      }
      case "Job" -> {
        template(spec);
        status(obj);
      }
      case "CronJob" -> {
        ObjectNode jobTemplate = PodJson.object(spec, "jobTemplate");
        meta(jobTemplate);
        template(PodJson.object(jobTemplate, "spec"));
        status(obj);
      }
      default -> {}
    }
  }

  private static void meta(ObjectNode owner) {
    ObjectNode m = PodJson.object(owner, "metadata");
    if (!m.has("creationTimestamp")) {
      m.putNull("creationTimestamp");
    }
  }

  private static void template(ObjectNode spec) {
    ObjectNode t = PodJson.object(spec, "template");
    meta(t);
    podSpec(PodJson.object(t, "spec"));
  }

  private static void podSpec(ObjectNode spec) {
    if (!spec.has("containers")) {
      spec.putNull("containers");
    }
    for (String field : List.of("containers", "initContainers")) {
      for (JsonNode c : spec.path(field)) {
        if (c instanceof ObjectNode o && !o.has("resources")) {
          o.putObject("resources");
        }
      }
    }
  }

  private static ObjectNode status(ObjectNode obj) {
    return PodJson.object(obj, "status");
  }

  private static void zero(ObjectNode status, String... fields) {
    for (String f : fields) {
      if (!status.has(f)) {
        status.put(f, 0);
      }
    }
  }
}

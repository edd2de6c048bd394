package io.jistiod.pilot.ambient;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The name of the workload a pod belongs to, guessed from its controller as Istio guesses it: a
 * Deployment's pods are named after the Deployment (their ReplicaSet's name less the template
 * hash), a CronJob's after the CronJob, others after their controller, and a pod with no controller
 * after itself. The {@code service.istio.io/workload-name} label overrides all of that.
 */
final class WorkloadNames {
  static final String WORKLOAD_NAME_LABEL = "service.istio.io/workload-name";

  /** A Job a CronJob made: its name ends in the schedule's timestamp (8 to 10 digits). */
  private static final Pattern CRONJOB_JOB = Pattern.compile("(.+)-\\d{8,10}$");

  private WorkloadNames() {}

  static String of(Pod pod) {
    Map<String, String> labels = labels(pod);
    String override = labels.get(WORKLOAD_NAME_LABEL);
    if (override != null) {
      return override;
    }
    String name = pod.getMetadata().getName();
    String generateName = pod.getMetadata().getGenerateName();
    if (generateName == null || generateName.isEmpty()) {
      return name;
    }
    OwnerReference controller = null;
    if (pod.getMetadata().getOwnerReferences() != null) {
      for (OwnerReference ref : pod.getMetadata().getOwnerReferences()) {
        if (Boolean.TRUE.equals(ref.getController())) {
          controller = ref;
          break;
        }
      }
    }
    if (controller == null) {
      return name;
    }
    String owner = controller.getName() == null ? "" : controller.getName();
    String kind = controller.getKind() == null ? "" : controller.getKind();
    String out = owner;
    if (kind.equals("ReplicaSet")) {
      String hash = labels.getOrDefault("pod-template-hash", "");
      String rolloutHash = labels.getOrDefault("rollouts-pod-template-hash", "");
      if (!hash.isEmpty() && owner.endsWith(hash)) {
        out = trimSuffix(owner, "-" + hash);
      } else if (!rolloutHash.isEmpty() && owner.endsWith(rolloutHash)) {
        out = trimSuffix(owner, "-" + rolloutHash);
      }
    } else if (kind.equals("ReplicationController") && labels.containsKey("deploymentconfig")) {
      out = labels.get("deploymentconfig");
    } else if (kind.equals("Job")) {
      Matcher m = CRONJOB_JOB.matcher(owner);
      if (m.matches()) {
        out = m.group(1);
      }
    }
    return out.isEmpty() ? name : out;
  }

  private static String trimSuffix(String s, String suffix) {
    return s.endsWith(suffix) ? s.substring(0, s.length() - suffix.length()) : s;
  }

  static Map<String, String> labels(Pod pod) {
    Map<String, String> l = pod.getMetadata().getLabels();
    return l == null ? Map.of() : l;
  }
}

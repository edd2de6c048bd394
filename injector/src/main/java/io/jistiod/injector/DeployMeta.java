package io.jistiod.injector;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The workload a pod belongs to, as istiod guesses it from the pod's controller reference
 * (kube.GetDeployMetaFromPod): a ReplicaSet named after the pod-template-hash is a Deployment, a
 * Job named with a timestamp suffix a CronJob, and so on.
 *
 * @param kind the TypeMeta kind ({@code Pod} without a controller)
 */
public record DeployMeta(String namespace, String name, String kind, String apiVersion) {
  private static final Pattern CRON_JOB_NAME = Pattern.compile("(.+)-\\d{8,10}$");

  public static DeployMeta fromPod(JsonNode pod) {
    JsonNode meta = pod.path("metadata");
    String name = meta.path("name").asText("");
    String namespace = meta.path("namespace").asText("");
    String kind = "Pod";
    String apiVersion = "v1";
    if (meta.path("generateName").asText("").isEmpty()) {
      return new DeployMeta(namespace, name, kind, apiVersion);
    }
    JsonNode controller = null;
    for (JsonNode ref : meta.path("ownerReferences")) {
      if (ref.path("controller").asBoolean(false)) {
        controller = ref;
        break;
      }
    }
    if (controller == null) {
      return new DeployMeta(namespace, name, kind, apiVersion);
    }
    apiVersion = controller.path("apiVersion").asText("");
    kind = controller.path("kind").asText("");
    name = controller.path("name").asText("");
    JsonNode labels = meta.path("labels");
    String hash = labels.path("pod-template-hash").asText("");
    String rolloutHash = labels.path("rollouts-pod-template-hash").asText("");
    if (kind.equals("ReplicaSet") && !hash.isEmpty() && name.endsWith(hash)) {
      name = trimSuffix(name, "-" + hash);
      kind = "Deployment";
    } else if (kind.equals("ReplicaSet") && !rolloutHash.isEmpty() && name.endsWith(rolloutHash)) {
      name = trimSuffix(name, "-" + rolloutHash);
      kind = "Rollout";
      apiVersion = "v1alpha1";
    } else if (kind.equals("ReplicationController")
        && !labels.path("deploymentconfig").asText("").isEmpty()) {
      name = labels.path("deploymentconfig").asText();
      kind = "DeploymentConfig";
    } else if (kind.equals("Job")) {
      Matcher m = CRON_JOB_NAME.matcher(name);
      if (m.matches()) {
        name = m.group(1);
        kind = "CronJob";
        apiVersion = "batch/v1";
      }
    }
    if (name.isEmpty()) {
      name = meta.path("name").asText("");
    }
    return new DeployMeta(namespace, name, kind, apiVersion);
  }

  private static String trimSuffix(String s, String suffix) {
    return s.endsWith(suffix) ? s.substring(0, s.length() - suffix.length()) : s;
  }
}

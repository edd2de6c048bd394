package io.jistiod.injector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * A container's JSON in the order encoding/json writes k8s.io/api's Container (its struct field
 * order) with {@code resources} always present, for the {@code proxy.istio.io/overrides}
 * annotation, which istiod writes with json.Marshal.
 */
final class GoContainerJson {
  private static final List<String> CONTAINER =
      List.of(
          "name",
          "image",
          "command",
          "args",
          "workingDir",
          "ports",
          "envFrom",
          "env",
          "resources",
          "resizePolicy",
          "restartPolicy",
          "volumeMounts",
          "volumeDevices",
          "livenessProbe",
          "readinessProbe",
          "startupProbe",
          "lifecycle",
          "terminationMessagePath",
          "terminationMessagePolicy",
          "imagePullPolicy",
          "securityContext",
          "stdin",
          "stdinOnce",
          "tty");
  private static final List<String> SECURITY_CONTEXT =
      List.of(
          "capabilities",
          "privileged",
          "seLinuxOptions",
          "windowsOptions",
          "runAsUser",
          "runAsGroup",
          "runAsNonRoot",
          "readOnlyRootFilesystem",
          "allowPrivilegeEscalation",
          "procMount",
          "seccompProfile",
          "appArmorProfile");
  private static final List<String> PROBE =
      List.of(
          "exec",
          "httpGet",
          "tcpSocket",
          "grpc",
          "initialDelaySeconds",
          "timeoutSeconds",
          "periodSeconds",
          "successThreshold",
          "failureThreshold",
          "terminationGracePeriodSeconds");
  private static final List<String> HTTP_GET =
      List.of("path", "port", "host", "scheme", "httpHeaders");
  private static final List<String> PORT =
      List.of("name", "hostPort", "containerPort", "protocol", "hostIP");
  private static final List<String> ENV = List.of("name", "value", "valueFrom");
  private static final List<String> MOUNT =
      List.of(
          "name",
          "readOnly",
          "recursiveReadOnly",
          "mountPath",
          "subPath",
          "mountPropagation",
          "subPathExpr");

  private GoContainerJson() {}

  static ObjectNode container(JsonNode c) {
    ObjectNode o = order(c, CONTAINER);
    if (!o.has("resources")) {
      ObjectNode withResources = JsonNodeFactory.instance.objectNode();
      for (String k : CONTAINER) {
        if (k.equals("resources")) {
          withResources.putObject("resources");
        } else if (o.has(k)) {
          withResources.set(k, o.get(k));
        }
      }
      o.fieldNames()
          .forEachRemaining(
              k -> {
                if (!withResources.has(k)) {
                  withResources.set(k, o.get(k));
                }
              });
      return nested(withResources);
    }
    return nested(o);
  }

  private static ObjectNode nested(ObjectNode o) {
    if (o.get("securityContext") instanceof ObjectNode sc) {
      o.set("securityContext", order(sc, SECURITY_CONTEXT));
    }
    for (String p : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
      if (o.get(p) instanceof ObjectNode probe) {
        ObjectNode ordered = order(probe, PROBE);
        if (ordered.get("httpGet") instanceof ObjectNode h) {
          ordered.set("httpGet", order(h, HTTP_GET));
        }
        o.set(p, ordered);
      }
    }
    list(o, "ports", PORT);
    list(o, "env", ENV);
    list(o, "volumeMounts", MOUNT);
    return o;
  }

  private static void list(ObjectNode o, String field, List<String> keys) {
    if (o.get(field) instanceof com.fasterxml.jackson.databind.node.ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        a.set(i, order(a.get(i), keys));
      }
    }
  }

  /** {@code n}'s fields in {@code keys}' order, any others after them as they were. */
  private static ObjectNode order(JsonNode n, List<String> keys) {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    for (String k : keys) {
      if (n.has(k)) {
        out.set(k, n.get(k));
      }
    }
    n.fieldNames()
        .forEachRemaining(
            k -> {
              if (!out.has(k)) {
                out.set(k, n.get(k));
              }
            });
    return out;
  }
}

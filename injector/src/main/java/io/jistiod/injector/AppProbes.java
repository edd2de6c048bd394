package io.jistiod.injector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The app probe rewrite (pkg/kube/inject/app_probe.go): the application's HTTP, TCP and gRPC probes
 * and lifecycle hooks are pointed at the agent's status port ({@code /app-health/C/readyz}, ...),
 * and the originals go to the proxy in {@code ISTIO_KUBE_APP_PROBERS}, so that the kubelet's
 * plain-text probes survive strict mTLS.
 */
final class AppProbes {
  static final String ENV = "ISTIO_KUBE_APP_PROBERS";
  static final String REWRITE_ANNOTATION = "sidecar.istio.io/rewriteAppHTTPProbers";
  static final String STATUS_PORT_ANNOTATION = "status.sidecar.istio.io/port";

  private AppProbes() {}

  static boolean shouldRewrite(JsonNode annotations, boolean valuesSetting) {
    JsonNode v = annotations.get(REWRITE_ANNOTATION);
    if (v != null) {
      Boolean b = GoBool.parse(v.asText());
      if (b != null) {
        return b;
      }
    }
    return valuesSetting;
  }

  private static String[] urls(String container) {
    return new String[] {
      "/app-health/" + container + "/readyz",
      "/app-health/" + container + "/livez",
      "/app-health/" + container + "/startupz",
      "/app-lifecycle/" + container + "/prestopz",
      "/app-lifecycle/" + container + "/poststartz"
    };
  }

  /**
   * The JSON of {@code ISTIO_KUBE_APP_PROBERS} for the pod, or "" when there is nothing to take
   * over. Named ports are resolved to numbers, in the pod too (as istiod's shared pointers do).
   */
  static String dump(ObjectNode pod, int statusPort) {
    Map<String, ObjectNode> out = new TreeMap<>();
    List<ObjectNode> all = new ArrayList<>(PodJson.containers(pod, "initContainers"));
    all.addAll(PodJson.containers(pod, "containers"));
    for (ObjectNode c : all) {
      String name = c.path("name").asText("");
      if (name.equals(PodJson.PROXY)) {
        continue;
      }
      String[] u = urls(name);
      Map<String, Integer> ports = new HashMap<>();
      for (JsonNode p : c.path("ports")) {
        if (!p.path("name").asText("").isEmpty()) {
          ports.put(p.path("name").asText(), p.path("containerPort").asInt());
        }
      }
      put(out, u[0], resolve(prober(c.get("readinessProbe"), true), ports, statusPort));
      put(out, u[1], resolve(prober(c.get("livenessProbe"), true), ports, statusPort));
      put(out, u[2], resolve(prober(c.get("startupProbe"), true), ports, statusPort));
      JsonNode lifecycle = c.path("lifecycle");
      put(out, u[3], resolve(prober(lifecycle.get("preStop"), false), ports, statusPort));
      put(out, u[4], resolve(prober(lifecycle.get("postStart"), false), ports, statusPort));
    }
    if (out.isEmpty()) {
      return "";
    }
    ObjectNode json = JsonNodeFactory.instance.objectNode();
    out.forEach(json::set);
    return json.toString();
  }

  private static void put(Map<String, ObjectNode> out, String url, ObjectNode prober) {
    if (prober != null) {
      out.put(url, prober);
    }
  }

  /** Istio's internal Prober: httpGet | tcpSocket | grpc, and the probe's timeout. */
  private static ObjectNode prober(JsonNode probe, boolean withTimeout) {
    if (probe == null || !probe.isObject()) {
      return null;
    }
    ObjectNode p = JsonNodeFactory.instance.objectNode();
    if (probe.get("httpGet") instanceof ObjectNode h) {
      p.set("httpGet", goHttpGet(h));
    } else if (probe.get("tcpSocket") instanceof ObjectNode t) {
      ObjectNode tcp = p.putObject("tcpSocket");
      tcp.set("port", t.path("port"));
      copyIfSet(t, tcp, "host");
    } else if (probe.get("grpc") instanceof ObjectNode g) {
      ObjectNode grpc = p.putObject("grpc");
      grpc.put("port", g.path("port").asInt(0));
      // GRPCAction.Service is a *string without omitempty: null when unset.
      grpc.set("service", g.has("service") ? g.get("service") : grpc.nullNode());
    } else {
      return null;
    }
    int timeout = probe.path("timeoutSeconds").asInt(0);
    if (withTimeout && timeout != 0) {
      p.put("timeoutSeconds", timeout);
    }
    return p;
  }

  /** HTTPGetAction in Go's field order (path, port, host, scheme, httpHeaders). */
  private static ObjectNode goHttpGet(ObjectNode h) {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    copyIfSet(h, o, "path");
    o.set("port", h.has("port") ? h.get("port") : IntNode.valueOf(0));
    copyIfSet(h, o, "host");
    copyIfSet(h, o, "scheme");
    if (h.path("httpHeaders").size() > 0) {
      o.set("httpHeaders", h.get("httpHeaders"));
    }
    return o;
  }

  private static void copyIfSet(JsonNode from, ObjectNode to, String field) {
    JsonNode v = from.get(field);
    if (v != null && !v.isNull() && !(v.isTextual() && v.asText().isEmpty())) {
      to.set(field, v);
    }
  }

  private static ObjectNode resolve(ObjectNode p, Map<String, Integer> ports, int target) {
    if (p == null) {
      return null;
    }
    if (p.has("grpc")) {
      return p;
    }
    ObjectNode action = (ObjectNode) (p.has("httpGet") ? p.get("httpGet") : p.get("tcpSocket"));
    JsonNode port = action.path("port");
    if (port.isTextual()) {
      Integer n = ports.get(port.asText());
      if (n == null) {
        return null;
      }
      action.put("port", n);
    } else if (port.asInt() == target) {
      return null; // already rewritten
    }
    return p;
  }

  /** Points every probe and lifecycle hook of the app containers at the status port. */
  static void rewrite(ObjectNode pod, int defaultStatusPort) {
    int statusPort = defaultStatusPort;
    String annotated = PodJson.annotation(pod, STATUS_PORT_ANNOTATION);
    if (annotated != null) {
      try {
        statusPort = Integer.parseInt(annotated);
      } catch (NumberFormatException e) {
        statusPort = 0; // as strconv.Atoi's zero on error
      }
    }
    List<ObjectNode> all = new ArrayList<>(PodJson.containers(pod, "containers"));
    all.addAll(PodJson.containers(pod, "initContainers"));
    for (ObjectNode c : all) {
      String name = c.path("name").asText("");
      if (name.equals(PodJson.PROXY)) {
        continue;
      }
      String[] u = urls(name);
      convert(c, "readinessProbe", u[0], statusPort, true);
      convert(c, "livenessProbe", u[1], statusPort, true);
      convert(c, "startupProbe", u[2], statusPort, true);
      if (c.get("lifecycle") instanceof ObjectNode lifecycle) {
        convert(lifecycle, "preStop", u[3], statusPort, false);
        convert(lifecycle, "postStart", u[4], statusPort, false);
      }
    }
  }

  private static void convert(ObjectNode owner, String field, String url, int port, boolean grpc) {
    if (!(owner.get(field) instanceof ObjectNode probe)) {
      return;
    }
    if (probe.get("httpGet") instanceof ObjectNode h) {
      rewriteAction(h, url, port);
    } else if (probe.get("tcpSocket") instanceof ObjectNode) {
      probe.remove("tcpSocket");
      rewriteAction(probe.putObject("httpGet"), url, port);
    } else if (grpc && probe.get("grpc") instanceof ObjectNode) {
      probe.remove("grpc");
      rewriteAction(probe.putObject("httpGet"), url, port);
    }
  }

  private static void rewriteAction(ObjectNode action, String url, int port) {
    action.put("port", port);
    action.put("path", url);
    if ("HTTPS".equals(action.path("scheme").asText())) {
      action.put("scheme", "HTTP");
    }
  }

  /** Adds the probers to the proxy's env, merged with an earlier injection's. */
  static void addEnv(ObjectNode sidecar, boolean previouslyInjected, String probers) {
    var env = PodJson.array(sidecar, "env");
    if (previouslyInjected) {
      for (int i = 0; i < env.size(); i++) {
        if (ENV.equals(env.get(i).path("name").asText())) {
          try {
            ObjectNode merged = (ObjectNode) PodJson.MAPPER.readTree(probers);
            JsonNode existing = PodJson.MAPPER.readTree(env.get(i).path("value").asText());
            existing.fields().forEachRemaining(e -> merged.set(e.getKey(), e.getValue()));
            Map<String, JsonNode> sorted = new TreeMap<>();
            merged.fields().forEachRemaining(e -> sorted.put(e.getKey(), e.getValue()));
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            sorted.forEach(out::set);
            ObjectNode e = JsonNodeFactory.instance.objectNode();
            e.put("name", ENV);
            e.put("value", out.toString());
            env.set(i, e);
          } catch (Exception ex) {
            // istiod logs and keeps the env as it was
          }
          return;
        }
      }
    }
    env.addObject().put("name", ENV).put("value", probers);
  }
}

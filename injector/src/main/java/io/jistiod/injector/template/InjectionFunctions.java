package io.jistiod.injector.template;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Duration;
import com.google.protobuf.Message;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The functions istiod gives injection templates: sprig's text functions with Istio's own
 * (pkg/kube/inject/template.go) added on top, Istio's winning where names clash ({@code indent},
 * {@code contains}, {@code omit}, {@code env}), as istiod registers them.
 */
public final class InjectionFunctions {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String PROXY_CONTAINER = "istio-proxy";

  private InjectionFunctions() {}

  /** Everything a template can call in istiod, with the environment of this process. */
  public static Map<String, GoFunction> all() {
    return all(System::getenv, ProxyConfigCleaner::clean);
  }

  /**
   * As {@link #all()}, with {@code env} reading {@code environment} and {@code protoToJSON}
   * applying {@code cleanProxyConfig} ({@link #all()} drops the ProxyConfig fields equal to Istio's
   * mesh.DefaultProxyConfig, as Istio does).
   */
  public static Map<String, GoFunction> all(
      java.util.function.Function<String, String> environment,
      UnaryOperator<Message> cleanProxyConfig) {
    Map<String, GoFunction> m = new HashMap<>(SprigFunctions.all(environment));
    m.putAll(istio(environment, cleanProxyConfig));
    return m;
  }

  /** Only Istio's own functions (template.go's InjectionFuncmap). */
  static Map<String, GoFunction> istio(
      java.util.function.Function<String, String> environment,
      UnaryOperator<Message> cleanProxyConfig) {
    Map<String, GoFunction> m = new LinkedHashMap<>();
    m.put(
        "formatDuration",
        ArityFunction.sig("*durationpb.Duration", a -> GoDuration.format((Duration) a.get(0))));
    m.put(
        "isset",
        ArityFunction.sig(
            "map[string]string, string",
            a -> a.get(0) != null && ((Map<?, ?>) a.get(0)).containsKey(a.get(1))));
    m.put(
        "excludeInboundPort",
        ArityFunction.sig(
            "interface {}, string", a -> excludeInboundPort(a.get(0), (String) a.get(1))));
    m.put(
        "includeInboundPorts",
        ArityFunction.sig("[]v1.Container", a -> containerPorts(a.get(0), c -> true)));
    m.put(
        "applicationPorts",
        ArityFunction.sig(
            "[]v1.Container",
            a -> containerPorts(a.get(0), c -> !PROXY_CONTAINER.equals(c.getName()))));
    m.put("kubevirtInterfaces", ArityFunction.sig("string", a -> a.get(0)));
    m.put("excludeInterfaces", ArityFunction.sig("string", a -> a.get(0)));
    m.put(
        "annotation",
        ArityFunction.sig(
            "v1.ObjectMeta, string, interface {}",
            a -> {
              Map<String, String> ann = ((ObjectMeta) a.get(0)).getAnnotations();
              if (ann != null && ann.containsKey((String) a.get(1))) {
                return ann.get((String) a.get(1));
              }
              return GoFmt.sprint(java.util.Collections.singletonList(a.get(2)));
            }));
    m.put(
        "valueOrDefault",
        ArityFunction.sig(
            "interface {}, interface {}",
            a -> "".equals(a.get(0)) || a.get(0) == null ? a.get(1) : a.get(0)));
    m.put(
        "toJSON",
        ArityFunction.sig(
            "map[string]string", a -> a.get(0) == null ? "{}" : GoJson.marshal(a.get(0))));
    m.put("fromJSON", ArityFunction.sig("string", a -> fromJson((String) a.get(0), "{}")));
    m.put("structToJSON", ArityFunction.sig("interface {}", a -> structToJson(a.get(0))));
    m.put(
        "protoToJSON",
        ArityFunction.sig(
            "protoreflect.ProtoMessage",
            a -> {
              Message msg = (Message) a.get(0);
              if (msg == null) {
                return "{}";
              }
              return ProtoJson.toJson(cleanProxyConfig.apply(msg));
            }));
    m.put("toYaml", ArityFunction.sig("interface {}", a -> toYaml(a.get(0))));
    m.put("indent", ArityFunction.sig("int, string", a -> indent(a)));
    m.put(
        "directory",
        ArityFunction.sig(
            "string",
            a -> {
              String p = (String) a.get(0);
              return p.substring(0, p.lastIndexOf('/') + 1);
            }));
    m.put(
        "contains",
        ArityFunction.sig("string, string", a -> ((String) a.get(1)).contains((String) a.get(0))));
    m.put("toLower", ArityFunction.sig("string", a -> GoStrings.toLower((String) a.get(0))));
    m.put(
        "appendMultusNetwork",
        ArityFunction.sig(
            "string, string", a -> MultusNetworks.append((String) a.get(0), (String) a.get(1))));
    m.put(
        "env",
        ArityFunction.sig(
            "string, string",
            a -> {
              String v = environment.apply((String) a.get(0));
              return v == null || v.isEmpty() ? a.get(1) : v;
            }));
    m.put(
        "omit",
        ArityFunction.sig(
            "map[string]string, string...",
            a -> {
              Map<Object, Object> res = new LinkedHashMap<>();
              Map<?, ?> dict = (Map<?, ?>) a.get(0);
              List<Object> keys = a.subList(1, a.size());
              if (dict != null) {
                dict.forEach(
                    (k, v) -> {
                      if (!keys.contains(k)) {
                        res.put(k, v);
                      }
                    });
              }
              return new TypedMap(res, "");
            }));
    m.put(
        "strdict",
        ArityFunction.sig(
            "string...",
            a -> {
              Map<Object, Object> d = new LinkedHashMap<>();
              for (int i = 0; i < a.size(); i += 2) {
                d.put(a.get(i), i + 1 < a.size() ? a.get(i + 1) : "");
              }
              return new TypedMap(d, "");
            }));
    m.put(
        "toJsonMap",
        ArityFunction.sig(
            "map[string]string...",
            a -> {
              Object merged = mergeMaps(a);
              return GoJson.marshal(merged);
            }));
    m.put("mergeMaps", ArityFunction.sig("map[string]string...", InjectionFunctions::mergeMaps));
    return m;
  }

  static Object mergeMaps(List<Object> maps) {
    if (maps.isEmpty()) {
      return null;
    }
    Map<Object, Object> res = new LinkedHashMap<>();
    for (Object o : maps) {
      if (o != null) {
        res.putAll((Map<?, ?>) o);
      }
    }
    return new TypedMap(res, "");
  }

  static String indent(List<Object> a) {
    int spaces = (int) GoTypes.toLong(a.get(0));
    String[] lines = ((String) a.get(1)).split("\n", -1);
    String pad = " ".repeat(Math.max(spaces, 0));
    StringBuilder b = new StringBuilder(lines[0]);
    for (int i = 1; i < lines.length; i++) {
      b.append('\n').append(pad).append(lines[i]);
    }
    return b.toString();
  }

  static String toYaml(Object v) {
    try {
      return GoYaml.marshal(v);
    } catch (RuntimeException e) {
      return "";
    }
  }

  static String structToJson(Object v) {
    if (v == null) {
      return "{}";
    }
    try {
      return GoJson.marshal(v);
    } catch (RuntimeException e) {
      return "{}";
    }
  }

  /** encoding/json into interface{}; {@code onError} when the text is not JSON. */
  static Object fromJson(String text, Object onError) {
    try {
      com.fasterxml.jackson.core.JsonParser p = MAPPER.createParser(text);
      com.fasterxml.jackson.databind.JsonNode n = MAPPER.readTree(p);
      if (n == null || p.nextToken() != null) {
        return onError;
      }
      return GoValues.fromJson(n);
    } catch (Exception e) {
      return onError;
    }
  }

  private static String excludeInboundPort(Object port, String excluded) {
    String portStr = GoFmt.sprint(java.util.Collections.singletonList(port)).strip();
    if (portStr.isEmpty() || portStr.equals("0")) {
      return excluded;
    }
    List<String> out = new ArrayList<>();
    for (String p : excluded.split(",", -1)) {
      if (p.equals(portStr)) {
        return excluded;
      }
      p = p.strip();
      if (!p.isEmpty()) {
        out.add(p);
      }
    }
    out.add(portStr);
    return String.join(",", out);
  }

  private static String containerPorts(
      Object containers, java.util.function.Predicate<Container> include) {
    List<String> parts = new ArrayList<>();
    if (containers != null) {
      for (Object o : (List<?>) containers) {
        Container c = (Container) o;
        if (!include.test(c) || c.getPorts() == null) {
          continue;
        }
        for (ContainerPort p : c.getPorts()) {
          if ("UDP".equals(p.getProtocol()) || "SCTP".equals(p.getProtocol())) {
            continue;
          }
          parts.add(String.valueOf(p.getContainerPort() == null ? 0 : p.getContainerPort()));
        }
      }
    }
    return String.join(",", parts);
  }
}

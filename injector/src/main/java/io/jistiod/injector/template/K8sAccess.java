package io.jistiod.injector.template;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Quantity;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A fabric8 Kubernetes model seen as its k8s.io/api Go struct: fields by Go name (the JSON name
 * capitalized, with Kubernetes' initialisms), Go zero values for unset fields, nil for the fields
 * Go declares as pointers, and the fields of the embedded ObjectMeta/TypeMeta promoted.
 */
final class K8sAccess {
  private static final Map<String, String> INITIALISMS =
      Map.ofEntries(
          Map.entry("httpGet", "HTTPGet"),
          Map.entry("tcpSocket", "TCPSocket"),
          Map.entry("grpc", "GRPC"),
          Map.entry("uid", "UID"),
          Map.entry("fsGroup", "FSGroup"),
          Map.entry("fsGroupChangePolicy", "FSGroupChangePolicy"),
          Map.entry("dnsPolicy", "DNSPolicy"),
          Map.entry("dnsConfig", "DNSConfig"),
          Map.entry("apiVersion", "APIVersion"),
          Map.entry("apiGroup", "APIGroup"),
          Map.entry("seLinuxOptions", "SELinuxOptions"),
          Map.entry("seLinuxChangePolicy", "SELinuxChangePolicy"),
          Map.entry("podIP", "PodIP"),
          Map.entry("podIPs", "PodIPs"),
          Map.entry("hostIP", "HostIP"),
          Map.entry("hostIPs", "HostIPs"),
          Map.entry("hostPID", "HostPID"),
          Map.entry("hostIPC", "HostIPC"),
          Map.entry("ip", "IP"),
          Map.entry("clusterIP", "ClusterIP"),
          Map.entry("clusterIPs", "ClusterIPs"),
          Map.entry("externalIPs", "ExternalIPs"),
          Map.entry("loadBalancerIP", "LoadBalancerIP"),
          Map.entry("downwardAPI", "DownwardAPI"),
          Map.entry("httpHeaders", "HTTPHeaders"),
          Map.entry("tty", "TTY"),
          Map.entry("os", "OS"),
          Map.entry("csi", "CSI"),
          Map.entry("nfs", "NFS"),
          Map.entry("iscsi", "ISCSI"),
          Map.entry("rbd", "RBD"),
          Map.entry("cephfs", "CephFS"),
          Map.entry("fc", "FC"),
          Map.entry("setHostnameAsFQDN", "SetHostnameAsFQDN"),
          Map.entry("gmsaCredentialSpec", "GMSACredentialSpec"),
          Map.entry("gmsaCredentialSpecName", "GMSACredentialSpecName"),
          Map.entry("targetWWNs", "TargetWWNs"),
          Map.entry("wwids", "WWIDs"),
          Map.entry("iqn", "IQN"));

  /** Struct fields Go declares by value (not pointer): an unset one reads as the zero struct. */
  private static final Set<String> VALUE_STRUCTS =
      Set.of("ObjectMeta", "ListMeta", "Spec", "Status", "Template", "Container.Resources");

  /** Scalar fields Go declares as pointers: unset reads as nil, not the zero value. */
  private static final Set<String> POINTER_SCALARS =
      Set.of(
          "RunAsUser",
          "RunAsGroup",
          "RunAsNonRoot",
          "Privileged",
          "AllowPrivilegeEscalation",
          "ReadOnlyRootFilesystem",
          "ProcMount",
          "FSGroup",
          "FSGroupChangePolicy",
          "SupplementalGroupsPolicy",
          "TerminationGracePeriodSeconds",
          "ActiveDeadlineSeconds",
          "AutomountServiceAccountToken",
          "ShareProcessNamespace",
          "EnableServiceLinks",
          "HostUsers",
          "Priority",
          "PreemptionPolicy",
          "RuntimeClassName",
          "SetHostnameAsFQDN",
          "DefaultMode",
          "Optional",
          "Replicas",
          "ExpirationSeconds",
          "SizeLimit",
          "MountPropagation",
          "RecursiveReadOnly",
          "RevisionHistoryLimit",
          "ProgressDeadlineSeconds",
          "Container.RestartPolicy",
          "KeyToPath.Mode",
          "HostProcess",
          "RunAsUserName",
          "LocalhostProfile",
          "GMSACredentialSpec",
          "GMSACredentialSpecName",
          "SELinuxChangePolicy",
          "MinDomains",
          "NodeAffinityPolicy",
          "NodeTaintsPolicy",
          "TolerationSeconds",
          // Gateway templates: a Service's ports, a Gateway's addresses and listeners.
          "ServicePort.AppProtocol",
          "GatewayAddress.Type",
          "Listener.Hostname",
          "SubPathExpr.unused");

  record Prop(String goName, Method getter) {}

  private static final Map<Class<?>, Map<String, Prop>> PROPS = new ConcurrentHashMap<>();

  private K8sAccess() {}

  static boolean isModel(Object o) {
    return o instanceof io.fabric8.kubernetes.api.model.KubernetesResource
        && !(o instanceof IntOrString)
        && !(o instanceof Quantity);
  }

  /** Types that templates reach as struct values rather than pointers (ObjectMeta, PodSpec). */
  static boolean isValueType(Class<?> c) {
    return Set.of("ObjectMeta", "PodSpec", "PodStatus", "ResourceRequirements", "PodTemplateSpec")
        .contains(c.getSimpleName());
  }

  static String goName(Class<?> owner, String json) {
    if (json.equals("metadata")) {
      return owner.getSimpleName().endsWith("List") ? "ListMeta" : "ObjectMeta";
    }
    String special = INITIALISMS.get(json);
    if (special != null) {
      return special;
    }
    return json.isEmpty() ? json : Character.toUpperCase(json.charAt(0)) + json.substring(1);
  }

  static String typeName(Class<?> c) {
    String pkg = c.getPackageName();
    String goPkg = pkg.endsWith(".apps") ? "v1" : pkg.endsWith(".model") ? "v1" : "v1";
    return goPkg + "." + c.getSimpleName();
  }

  static Map<String, Prop> props(Class<?> c) {
    return PROPS.computeIfAbsent(
        c,
        k -> {
          Map<String, Prop> m = new LinkedHashMap<>();
          for (Class<?> cl = k; cl != null && cl != Object.class; cl = cl.getSuperclass()) {
            for (Field f : cl.getDeclaredFields()) {
              JsonProperty jp = f.getAnnotation(JsonProperty.class);
              if (jp == null) {
                continue;
              }
              String json = jp.value().isEmpty() ? f.getName() : jp.value();
              Method g = getter(k, f.getName());
              if (g != null) {
                m.putIfAbsent(goName(k, json), new Prop(goName(k, json), g));
              }
            }
          }
          return m;
        });
  }

  private static Method getter(Class<?> c, String field) {
    String base = field.startsWith("_") ? field.substring(1) : field;
    String cap = Character.toUpperCase(base.charAt(0)) + base.substring(1);
    for (String n : List.of("get" + cap, "is" + cap)) {
      try {
        return c.getMethod(n);
      } catch (NoSuchMethodException e) {
        // next
      }
    }
    return null;
  }

  /** Whether the Go struct has field {@code name} (directly or promoted from ObjectMeta). */
  static boolean hasField(Class<?> c, String name) {
    Map<String, Prop> p = props(c);
    if (p.containsKey(name) || (name.equals("TypeMeta") && p.containsKey("Kind"))) {
      return true;
    }
    Prop meta = p.get("ObjectMeta");
    return meta != null && props(meta.getter().getReturnType()).containsKey(name);
  }

  /** The Go value of field {@code name}; call only when {@link #hasField} is true. */
  static Object field(Object model, String name) throws ReflectiveOperationException {
    Class<?> c = model.getClass();
    Map<String, Prop> p = props(c);
    if (name.equals("TypeMeta") && !p.containsKey("TypeMeta")) {
      Map<String, Object> tm = new LinkedHashMap<>();
      tm.put("Kind", field(model, "Kind"));
      tm.put("APIVersion", field(model, "APIVersion"));
      return new GoStruct(tm);
    }
    Prop prop = p.get(name);
    if (prop == null) {
      Object meta = field(model, "ObjectMeta");
      return field(meta, name);
    }
    Object v = prop.getter().invoke(model);
    return toGo(c, prop, v);
  }

  private static Object toGo(Class<?> owner, Prop prop, Object v)
      throws ReflectiveOperationException {
    Class<?> t = prop.getter().getReturnType();
    String qualified = owner.getSimpleName() + "." + prop.goName();
    boolean pointer =
        POINTER_SCALARS.contains(prop.goName()) || POINTER_SCALARS.contains(qualified);
    if (v == null) {
      if (t == String.class) {
        return pointer ? new GoNil("*string", null) : "";
      }
      if (t == Integer.class || t == Long.class) {
        return pointer ? new GoNil(t == Integer.class ? "*int32" : "*int64", null) : 0L;
      }
      if (t == Boolean.class) {
        return pointer ? new GoNil("*bool", null) : false;
      }
      if (List.class.isAssignableFrom(t)) {
        return List.of();
      }
      if (Map.class.isAssignableFrom(t)) {
        return new TypedMap(
            new LinkedHashMap<>(), mapElemZero(prop.getter().getGenericReturnType()));
      }
      if (t == IntOrString.class) {
        return 0L;
      }
      if (t == Quantity.class) {
        return pointer ? new GoNil("*resource.Quantity", null) : "0";
      }
      if (VALUE_STRUCTS.contains(prop.goName()) || VALUE_STRUCTS.contains(qualified)) {
        return t.getDeclaredConstructor().newInstance();
      }
      return new GoNil("*" + typeName(t), t);
    }
    Object plain = plain(v, prop.getter().getGenericReturnType());
    if (pointer
        && (t == String.class || t == Integer.class || t == Long.class || t == Boolean.class)) {
      String type =
          t == String.class
              ? "*string"
              : t == Integer.class ? "*int32" : t == Long.class ? "*int64" : "*bool";
      return new GoPtr(plain, type);
    }
    return plain;
  }

  private static Object plain(Object v, Type declared) {
    if (v instanceof Integer i) {
      return i.longValue();
    }
    if (v instanceof IntOrString ios) {
      return ios.getIntVal() != null ? (Object) ios.getIntVal().longValue() : ios.getStrVal();
    }
    if (v instanceof Quantity q) {
      return q.toString();
    }
    if (v instanceof Map<?, ?> m) {
      Map<Object, Object> out = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        out.put(e.getKey(), plain(e.getValue(), null));
      }
      return new TypedMap(out, mapElemZero(declared));
    }
    if (v instanceof List<?> l) {
      List<Object> out = new ArrayList<>();
      for (Object e : l) {
        out.add(plain(e, null));
      }
      return out;
    }
    return v;
  }

  private static Object mapElemZero(Type t) {
    if (t instanceof ParameterizedType pt && pt.getActualTypeArguments().length == 2) {
      Type e = pt.getActualTypeArguments()[1];
      if (e == String.class) {
        return "";
      }
      if (e == Quantity.class) {
        return "0";
      }
    }
    return null;
  }
}

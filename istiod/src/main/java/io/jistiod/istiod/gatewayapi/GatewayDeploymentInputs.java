package io.jistiod.istiod.gatewayapi;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayAddress;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayInfrastructure;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Listener;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ListenerBuilder;
import io.jistiod.injector.GatewayTemplateInput;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * What istiod's deployment controller works out of a Gateway before rendering its template: the
 * names, the Service's ports and type, the labels and annotations of the generated objects, the
 * proxy's ids, and whether the Gateway is to be deployed at all. Pure functions of the objects.
 */
final class GatewayDeploymentInputs {
  static final String GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name";
  static final String NAME_OVERRIDE = "gateway.istio.io/name-override";
  static final String SERVICE_ACCOUNT = "gateway.istio.io/service-account";
  static final String SERVICE_TYPE = "networking.istio.io/service-type";
  static final String CONTROLLER_VERSION = "gateway.istio.io/controller-version";
  static final String DATAPLANE_MODE = "istio.io/dataplane-mode";
  static final String NETWORK = "topology.istio.io/network";

  /** Larger wins; istiod 1.18 and later write 5. */
  static final int CONTROLLER_VERSION_VALUE = 5;

  private static final String UID_RANGE = "openshift.io/sa.scc.uid-range";
  private static final String SUPPLEMENTAL_GROUPS = "openshift.io/sa.scc.supplemental-groups";
  private static final long DEFAULT_PROXY_ID = 1337;

  private GatewayDeploymentInputs() {}

  /** A GatewayClass's part in deployment: its template, Service type and naming. */
  record ClassInfo(
      String controller,
      String template,
      String defaultServiceType,
      boolean disableNameSuffix,
      String controllerLabel) {}

  /** Settings that are the same for every Gateway. */
  record Settings(
      String clusterId,
      int kubeVersion,
      String revision,
      boolean nativeSidecars,
      String compliancePolicy,
      boolean copyLabelsAnnotations,
      boolean ambientWaypoints) {}

  /** The template input for {@code gw} of class {@code info}, in namespace {@code ns}. */
  static GatewayTemplateInput input(Gateway gw, ClassInfo info, Namespace ns, Settings settings) {
    return input(gw, info, ns, settings, List.of(), "");
  }

  /**
   * The template input, the Service also exposing {@code fromListenerSets}: the listeners of the
   * XListenerSets attached to the Gateway ({@link #listenerSetListeners}).
   *
   * @param meshNetwork the injection values' {@code global.network} ("" for none)
   */
  static GatewayTemplateInput input(
      Gateway gw,
      ClassInfo info,
      Namespace ns,
      Settings settings,
      List<Listener> fromListenerSets,
      String meshNetwork) {
    String className = gw.getSpec().getGatewayClassName();
    String defaultName =
        info.disableNameSuffix()
            ? gw.getMetadata().getName()
            : gw.getMetadata().getName() + "-" + className;
    Map<String, String> annotations = orEmpty(gw.getMetadata().getAnnotations());
    String serviceType = annotations.getOrDefault(SERVICE_TYPE, info.defaultServiceType());
    long[] ids = proxyIds(ns);
    Map<String, String> labels = infrastructure(gw, true, settings.copyLabelsAnnotations());
    overrideLabels(gw, labels, settings, meshNetwork);
    return new GatewayTemplateInput(
        gw,
        nonEmpty(annotations.get(NAME_OVERRIDE), defaultName),
        nonEmpty(annotations.get(SERVICE_ACCOUNT), defaultName),
        servicePorts(gw, fromListenerSets),
        serviceType,
        settings.clusterId(),
        settings.kubeVersion(),
        settings.revision(),
        settings.nativeSidecars(),
        ids[0],
        ids[1],
        settings.compliancePolicy(),
        labels,
        infrastructure(gw, false, settings.copyLabelsAnnotations()),
        GATEWAY_NAME_LABEL,
        // the class is only known (and deployed) while ambient multi-network is on
        BuiltinClasses.EAST_WEST_CONTROLLER.equals(info.controller()),
        info.controllerLabel());
  }

  /**
   * What istiod adds to the infrastructure labels, going by the class's name as it does (any class
   * whose name has "waypoint" or "east-west" in it): with ambient waypoints on, other gateways'
   * pods are kept out of ztunnel's capture unless a dataplane-mode label says otherwise; waypoints
   * and east-west gateways join the mesh's network unless the Gateway's own labels name one.
   */
  static void overrideLabels(
      Gateway gw, Map<String, String> labels, Settings settings, String meshNetwork) {
    String className = gw.getSpec().getGatewayClassName();
    boolean waypoint = className.contains("waypoint");
    boolean eastWest = className.contains("east-west");
    Map<String, String> own = orEmpty(gw.getMetadata().getLabels());
    if (settings.ambientWaypoints()
        && !waypoint
        && !eastWest
        && !own.containsKey(DATAPLANE_MODE)
        && !labels.containsKey(DATAPLANE_MODE)) {
      labels.put(DATAPLANE_MODE, "none");
    }
    if ((waypoint || eastWest)
        && meshNetwork != null
        && !meshNetwork.isEmpty()
        && !own.containsKey(NETWORK)) {
      labels.put(NETWORK, meshNetwork);
    }
  }

  /**
   * Whether the Gateway asks to be deployed: no address, or one IP address (a request for that IP);
   * a Hostname address or several addresses point at a deployment of the user's own.
   */
  static boolean isManaged(Gateway gw) {
    List<GatewayAddress> addresses = gw.getSpec().getAddresses();
    if (addresses == null || addresses.isEmpty()) {
      return true;
    }
    if (addresses.size() > 1) {
      return false;
    }
    String type = addresses.get(0).getType();
    return type == null || type.equals("IPAddress");
  }

  /** How the controller version annotation decides. */
  enum Ownership {
    /** No version or an older one: manage it and write ours. */
    TAKE_OVER,
    /** Our version already: manage it, write nothing. */
    OURS,
    /** A newer controller (or one we cannot read) owns it. */
    NOT_OURS
  }

  static Ownership ownership(Gateway gw) {
    String current = orEmpty(gw.getMetadata().getAnnotations()).get(CONTROLLER_VERSION);
    if (current == null) {
      return Ownership.TAKE_OVER;
    }
    int n;
    try {
      n = Integer.parseInt(current);
    } catch (NumberFormatException e) {
      return Ownership.NOT_OURS;
    }
    if (n > CONTROLLER_VERSION_VALUE) {
      return Ownership.NOT_OURS;
    }
    return n == CONTROLLER_VERSION_VALUE ? Ownership.OURS : Ownership.TAKE_OVER;
  }

  static List<ServicePort> servicePorts(Gateway gw) {
    return servicePorts(gw, List.of());
  }

  /**
   * The Service's ports: the status port 15021, then one per distinct listener port (the Gateway's
   * listeners, then those of its attached XListenerSets), named after the listener (dots become
   * dashes, at most 63 characters), appProtocol the lower-cased protocol.
   */
  static List<ServicePort> servicePorts(Gateway gw, List<Listener> fromListenerSets) {
    List<ServicePort> ports = new ArrayList<>();
    ports.add(port("status-port", 15021, "tcp"));
    Set<Integer> seen = new HashSet<>();
    List<Listener> listeners =
        new ArrayList<>(
            gw.getSpec().getListeners() == null ? List.of() : gw.getSpec().getListeners());
    listeners.addAll(fromListenerSets);
    for (int i = 0; i < listeners.size(); i++) {
      Listener l = listeners.get(i);
      int number = l.getPort() == null ? 0 : l.getPort();
      if (!seen.add(number)) {
        continue;
      }
      String protocol = l.getProtocol() == null ? "" : l.getProtocol();
      String name = l.getName() == null ? "" : l.getName().replace('.', '-');
      if (name.length() > 63) {
        name = name.substring(0, 63);
      }
      if (name.isEmpty()) {
        name = protocol.toLowerCase(Locale.ROOT) + "-" + i;
      }
      ports.add(port(name, number, protocol.toLowerCase(Locale.ROOT)));
    }
    return ports;
  }

  /**
   * The listeners the Gateway takes from XListenerSets naming it as parent (as istiod's deployment
   * controller: only sets of namespaces its {@code spec.allowedListeners} admit; their listeners as
   * written, an unset port staying 0), sets in namespace/name order.
   *
   * @param sets the XListenerSets whose parentRef names the Gateway
   * @param namespaces Namespace lookup, for an allowedListeners label selector
   */
  static List<Listener> listenerSetListeners(
      Gateway gw,
      List<GenericKubernetesResource> sets,
      Function<String, Optional<Namespace>> namespaces) {
    List<GenericKubernetesResource> sorted = new ArrayList<>(sets);
    sorted.sort(
        Comparator.comparing((GenericKubernetesResource s) -> s.getMetadata().getNamespace())
            .thenComparing(s -> s.getMetadata().getName()));
    List<Listener> out = new ArrayList<>();
    for (GenericKubernetesResource set : sorted) {
      if (!allowsListenersFrom(gw, set.getMetadata().getNamespace(), namespaces)) {
        continue;
      }
      Object spec = set.getAdditionalProperties().get("spec");
      Object listeners = spec instanceof Map<?, ?> m ? m.get("listeners") : null;
      if (!(listeners instanceof List<?> list)) {
        continue;
      }
      for (Object entry : list) {
        if (entry instanceof Map<?, ?> l) {
          out.add(
              new ListenerBuilder()
                  .withName(l.get("name") instanceof String n ? n : null)
                  .withPort(l.get("port") instanceof Number n ? n.intValue() : 0)
                  .withProtocol(l.get("protocol") instanceof String p ? p : null)
                  .build());
        }
      }
    }
    return out;
  }

  /**
   * Whether the Gateway's {@code spec.allowedListeners} admit XListenerSets of {@code namespace}
   * ({@code namespaceAcceptedByAllowListeners}): none unless set; All, Same, or by label selector
   * on the Namespace (which must exist).
   */
  static boolean allowsListenersFrom(
      Gateway gw, String namespace, Function<String, Optional<Namespace>> namespaces) {
    // The fabric8 model predates allowedListeners: it is kept with the unknown fields.
    Object allowed = gw.getSpec().getAdditionalProperties().get("allowedListeners");
    Object from = allowed instanceof Map<?, ?> a ? a.get("namespaces") : null;
    if (!(from instanceof Map<?, ?> f)) {
      return false;
    }
    if (f.get("from") != null) {
      return switch (String.valueOf(f.get("from"))) {
        case "All" -> true;
        case "Same" -> namespace.equals(gw.getMetadata().getNamespace());
        default -> false;
      };
    }
    if (!(f.get("selector") instanceof Map<?, ?> selector)) {
      return false;
    }
    Optional<Namespace> ns = namespaces.apply(namespace);
    if (ns.isEmpty()) {
      return false;
    }
    Map<String, String> labels = new HashMap<>(orEmpty(ns.get().getMetadata().getLabels()));
    labels.putIfAbsent("kubernetes.io/metadata.name", namespace);
    return selects(selector, labels);
  }

  /** Kubernetes label selector semantics (matchLabels and matchExpressions, all must hold). */
  private static boolean selects(Map<?, ?> selector, Map<String, String> labels) {
    if (selector.get("matchLabels") instanceof Map<?, ?> match) {
      for (Map.Entry<?, ?> e : match.entrySet()) {
        if (!String.valueOf(e.getValue()).equals(labels.get(String.valueOf(e.getKey())))) {
          return false;
        }
      }
    }
    if (selector.get("matchExpressions") instanceof List<?> expressions) {
      for (Object o : expressions) {
        if (!(o instanceof Map<?, ?> e)) {
          return false;
        }
        String key = String.valueOf(e.get("key"));
        List<String> values = new ArrayList<>();
        if (e.get("values") instanceof List<?> vs) {
          vs.forEach(v -> values.add(String.valueOf(v)));
        }
        boolean has = labels.containsKey(key);
        boolean ok =
            switch (String.valueOf(e.get("operator"))) {
              case "In" -> has && values.contains(labels.get(key));
              case "NotIn" -> !has || !values.contains(labels.get(key));
              case "Exists" -> has;
              case "DoesNotExist" -> !has;
              default -> false; // an invalid selector selects nothing
            };
        if (!ok) {
          return false;
        }
      }
    }
    return true;
  }

  private static ServicePort port(String name, int number, String appProtocol) {
    return new ServicePortBuilder()
        .withName(name)
        .withPort(number)
        .withAppProtocol(appProtocol)
        .build();
  }

  /**
   * Labels (or annotations) of the generated objects: {@code spec.infrastructure}'s when it has
   * them (without keys under gateway.networking.k8s.io/), else the Gateway's own unless copying is
   * off (PILOT_ENABLE_GATEWAY_API_COPY_LABELS_ANNOTATIONS=false).
   */
  static Map<String, String> infrastructure(Gateway gw, boolean labels, boolean copy) {
    GatewayInfrastructure infra = gw.getSpec().getInfrastructure();
    Map<String, String> fromInfra =
        infra == null ? null : labels ? infra.getLabels() : infra.getAnnotations();
    if (fromInfra != null) {
      Map<String, String> out = new LinkedHashMap<>();
      fromInfra.forEach(
          (k, v) -> {
            if (!k.startsWith("gateway.networking.k8s.io/")) {
              out.put(k, v);
            }
          });
      return out;
    }
    if (!copy) {
      return new LinkedHashMap<>();
    }
    Map<String, String> own =
        labels ? gw.getMetadata().getLabels() : gw.getMetadata().getAnnotations();
    return own == null ? new LinkedHashMap<>() : new LinkedHashMap<>(own);
  }

  /**
   * The proxy's user and group ids: 1337, or on OpenShift the top of the namespace's preallocated
   * UID range and of its first supplemental group block (which falls back to the UID range), as
   * istiod reads them.
   */
  static long[] proxyIds(Namespace ns) {
    long uid = DEFAULT_PROXY_ID;
    long gid = DEFAULT_PROXY_ID;
    if (ns == null || ns.getMetadata() == null) {
      return new long[] {uid, gid};
    }
    Map<String, String> a = orEmpty(ns.getMetadata().getAnnotations());
    Optional<long[]> uids = block(a.get(UID_RANGE));
    if (uids.isPresent()) {
      uid = uids.get()[1];
    }
    String groups =
        a.containsKey(SUPPLEMENTAL_GROUPS) ? a.get(SUPPLEMENTAL_GROUPS) : a.get(UID_RANGE);
    if (groups != null && !groups.isEmpty()) {
      Optional<long[]> first = Optional.empty();
      boolean ok = true;
      for (String segment : groups.split(",", -1)) {
        Optional<long[]> b = block(segment);
        if (b.isEmpty()) {
          ok = false;
          break;
        }
        if (first.isEmpty()) {
          first = b;
        }
      }
      if (ok && first.isPresent()) {
        gid = first.get()[1];
      }
    }
    return new long[] {uid, gid};
  }

  /** OpenShift's "start/size" or "start-end" block as {start, end}; empty when malformed. */
  static Optional<long[]> block(String in) {
    if (in == null || in.isEmpty()) {
      return Optional.empty();
    }
    try {
      if (in.contains("/")) {
        String[] p = in.split("/", 2);
        long start = parseUint32(p[0]);
        long size = parseUint32(p[1]);
        return Optional.of(new long[] {start, (start + size - 1) & 0xFFFFFFFFL});
      }
      String[] p = in.split("-", 2);
      if (p.length != 2) {
        return Optional.empty();
      }
      return Optional.of(new long[] {parseUint32(p[0]), parseUint32(p[1])});
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static long parseUint32(String s) {
    long v = Long.parseLong(s.trim());
    if (v < 0 || v > 0xFFFFFFFFL) {
      throw new NumberFormatException(s);
    }
    return v;
  }

  private static String nonEmpty(String v, String fallback) {
    return v == null || v.isEmpty() ? fallback : v;
  }

  private static Map<String, String> orEmpty(Map<String, String> m) {
    return m == null ? Map.of() : m;
  }
}

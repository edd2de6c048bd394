package io.jistiod.istiod.gatewayapi;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayAddress;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayInfrastructure;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Listener;
import io.jistiod.injector.GatewayTemplateInput;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

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
    String className = gw.getSpec().getGatewayClassName();
    String defaultName =
        info.disableNameSuffix()
            ? gw.getMetadata().getName()
            : gw.getMetadata().getName() + "-" + className;
    Map<String, String> annotations = orEmpty(gw.getMetadata().getAnnotations());
    String serviceType = annotations.getOrDefault(SERVICE_TYPE, info.defaultServiceType());
    long[] ids = proxyIds(ns);
    Map<String, String> labels = infrastructure(gw, true, settings.copyLabelsAnnotations());
    boolean waypoint = className.contains("waypoint");
    boolean eastWest = className.contains("east-west");
    if (settings.ambientWaypoints()
        && !waypoint
        && !eastWest
        && !orEmpty(gw.getMetadata().getLabels()).containsKey(DATAPLANE_MODE)
        && !labels.containsKey(DATAPLANE_MODE)) {
      // as istiod with ambient on: a gateway's own pods are never captured by ztunnel
      labels.put(DATAPLANE_MODE, "none");
    }
    return new GatewayTemplateInput(
        gw,
        nonEmpty(annotations.get(NAME_OVERRIDE), defaultName),
        nonEmpty(annotations.get(SERVICE_ACCOUNT), defaultName),
        servicePorts(gw),
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
        false,
        info.controllerLabel());
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

  /**
   * The Service's ports: the status port 15021, then one per distinct listener port, named after
   * the listener (dots become dashes, at most 63 characters), appProtocol the lower-cased protocol.
   */
  static List<ServicePort> servicePorts(Gateway gw) {
    List<ServicePort> ports = new ArrayList<>();
    ports.add(port("status-port", 15021, "tcp"));
    Set<Integer> seen = new HashSet<>();
    List<Listener> listeners =
        gw.getSpec().getListeners() == null ? List.of() : gw.getSpec().getListeners();
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

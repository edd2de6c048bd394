package io.jistiod.pilot.ambient;

import io.fabric8.kubernetes.api.model.Service;
import io.jistiod.galley.api.gateway.v1.GatewayClassSpec;
import io.jistiod.galley.api.security.v1beta1.AuthorizationPolicy;
import io.jistiod.galley.api.security.v1beta1.Condition;
import io.jistiod.galley.api.security.v1beta1.Operation;
import io.jistiod.galley.api.security.v1beta1.Rule;
import io.jistiod.galley.api.security.v1beta1.Source;
import io.jistiod.galley.api.type.v1beta1.PolicyTargetReference;
import io.jistiod.galley.config.Config;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The status conditions istiod 1.27 writes in ambient mode, computed from one snapshot of the
 * ambient inputs and the AuthorizationPolicies. Three writers, each its own field manager, each
 * owning one condition type:
 *
 * <ul>
 *   <li>{@code istio-ambient-service}: {@code istio.io/WaypointBound} on every Service (not
 *       ExternalName) and every ServiceEntry that makes services: true when it uses a waypoint,
 *       false when the waypoint it asks for cannot be used, absent (removed) otherwise;
 *   <li>{@code istio-ambient-ztunnel-policy}: {@code ZtunnelAccepted} on every AuthorizationPolicy
 *       ztunnel is sent (not in dry-run, no targetRefs), false for actions ztunnel lacks, true with
 *       a warning when it has HTTP attributes;
 *   <li>{@code istio-ambient-waypoint-policy}: {@code WaypointAccepted} on every
 *       AuthorizationPolicy with targetRefs: whether each target is bound to a waypoint, flattened
 *       into one condition.
 * </ul>
 *
 * <p>An object with no report keeps whatever status it has (istiod does not clear a condition when
 * its object leaves the writer's collection, e.g. a policy put in dry-run).
 */
public record AmbientStatus(List<Report> reports) {
  private static final Logger log = LoggerFactory.getLogger(AmbientStatus.class);

  public static final String SERVICE_WRITER = "istio-ambient-service";
  public static final String ZTUNNEL_POLICY_WRITER = "istio-ambient-ztunnel-policy";
  public static final String WAYPOINT_POLICY_WRITER = "istio-ambient-waypoint-policy";

  public static final String WAYPOINT_BOUND = "istio.io/WaypointBound";
  public static final String ZTUNNEL_ACCEPTED = "ZtunnelAccepted";
  public static final String WAYPOINT_ACCEPTED = "WaypointAccepted";

  static final String INGRESS_USE_WAYPOINT = "istio.io/ingress-use-waypoint";
  static final String MESH_CONTROLLER = "istio.io/mesh-controller";

  public static final AmbientStatus EMPTY = new AmbientStatus(List.of());

  public AmbientStatus {
    reports = List.copyOf(reports);
  }

  /** The kinds status is written to. */
  public enum Target {
    SERVICE("v1", "Service", "services"),
    SERVICE_ENTRY("networking.istio.io/v1", "ServiceEntry", "serviceentries"),
    AUTHORIZATION_POLICY("security.istio.io/v1", "AuthorizationPolicy", "authorizationpolicies");

    private final String apiVersion;
    private final String kind;
    private final String plural;

    Target(String apiVersion, String kind, String plural) {
      this.apiVersion = apiVersion;
      this.kind = kind;
      this.plural = plural;
    }

    public String apiVersion() {
      return apiVersion;
    }

    public String kind() {
      return kind;
    }

    public String plural() {
      return plural;
    }
  }

  /**
   * One condition as istiod writes it.
   *
   * @param observedGeneration 0 when istiod leaves it out (service conditions)
   */
  public record StatusCondition(
      String type, boolean status, String reason, String message, long observedGeneration) {
    public StatusCondition {
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(message, "message");
    }
  }

  /**
   * What one writer wants on one object.
   *
   * @param writer the field manager (istiod's reporter name)
   * @param type the condition type this writer owns on the object
   * @param condition the condition; null: the writer's condition is to be removed
   */
  public record Report(
      String writer,
      Target target,
      String namespace,
      String name,
      String type,
      StatusCondition condition) {
    public Report {
      Objects.requireNonNull(writer, "writer");
      Objects.requireNonNull(target, "target");
      Objects.requireNonNull(namespace, "namespace");
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(type, "type");
    }

    /** {@code writer|Kind|namespace/name}: one queue entry per writer and object. */
    public String key() {
      return writer + "|" + target.kind() + "|" + namespace + "/" + name;
    }
  }

  /**
   * The reports for {@code in} (with its config) and the AuthorizationPolicies {@code policies}. An
   * object that cannot be read is logged and left out; the others are reported regardless.
   */
  public static AmbientStatus of(AmbientInputs in, List<Config> policies, String rootNamespace) {
    Waypoints waypoints = Waypoints.of(in.gateways(), in.gatewayClasses(), in.network());
    List<Report> out = new ArrayList<>();
    Map<String, Map<String, String>> serviceLabels = new HashMap<>();
    for (Service s : in.services()) {
      String ns = s.getMetadata().getNamespace();
      String name = s.getMetadata().getName();
      Map<String, String> labels =
          s.getMetadata().getLabels() == null ? Map.of() : s.getMetadata().getLabels();
      serviceLabels.put(ns + "/" + name, labels);
      if (s.getSpec() != null && "ExternalName".equals(s.getSpec().getType())) {
        continue; // no workload API service, hence no status
      }
      out.add(
          serviceReport(
              Target.SERVICE,
              ns,
              name,
              labels,
              waypoints.bindService(ns, labels, in.namespaceLabels())));
    }
    Map<String, Map<String, String>> entryLabels = new HashMap<>();
    for (Config c : in.serviceEntries()) {
      Map<String, String> labels = EntryAddresses.labels(c);
      entryLabels.put(c.namespace() + "/" + c.name(), labels);
      try {
        if (EntryAddresses.services(c, in.network(), null).isEmpty()) {
          continue; // istiod makes no service of it, so writes nothing on it
        }
      } catch (RuntimeException e) {
        log.warn("ServiceEntry {}/{}: no status: {}", c.namespace(), c.name(), e.toString());
        continue;
      }
      out.add(
          serviceReport(
              Target.SERVICE_ENTRY,
              c.namespace(),
              c.name(),
              labels,
              waypoints.bindService(c.namespace(), labels, in.namespaceLabels())));
    }
    Map<String, Config> classes = new HashMap<>();
    for (Config c : in.gatewayClasses()) {
      classes.put(c.name(), c);
    }
    Lookups lookups =
        new Lookups(waypoints, serviceLabels, entryLabels, classes, in.namespaceLabels());
    for (Config c : policies) {
      try {
        AuthorizationPolicy pol = c.spec(AuthorizationPolicy.class);
        Report r =
            targetRefs(pol).isEmpty()
                ? ztunnelReport(c, pol, rootNamespace)
                : waypointReport(c, pol, rootNamespace, lookups);
        if (r != null) {
          out.add(r);
        }
      } catch (RuntimeException e) {
        log.warn("AuthorizationPolicy {}/{}: no status: {}", c.namespace(), c.name(), e.toString());
      }
    }
    return new AmbientStatus(out);
  }

  private record Lookups(
      Waypoints waypoints,
      Map<String, Map<String, String>> services,
      Map<String, Map<String, String>> serviceEntries,
      Map<String, Config> classes,
      Map<String, Map<String, String>> namespaceLabels) {}

  // --- istio.io/WaypointBound ---

  static Report serviceReport(
      Target target, String ns, String name, Map<String, String> labels, Waypoints.Binding b) {
    StatusCondition c = null;
    if (b.waypoint() != null) {
      StringBuilder msg =
          new StringBuilder("Successfully attached to waypoint ")
              .append(b.waypoint().namespace())
              .append('/')
              .append(b.waypoint().name());
      String ingress = labels.get(INGRESS_USE_WAYPOINT);
      if (ingress != null && ingress.equalsIgnoreCase("true")) {
        msg.append(". Ingress traffic will traverse the waypoint");
      } else if (ingress != null) {
        msg.append(
            ". Ingress traffic is not using the waypoint, set the istio.io/ingress-use-waypoint"
                + " label to true if desired.");
      }
      c = new StatusCondition(WAYPOINT_BOUND, true, WAYPOINT_ACCEPTED, msg.toString(), 0);
    } else if (b.failed()) {
      c = new StatusCondition(WAYPOINT_BOUND, false, b.reason(), b.message(), 0);
    }
    return new Report(SERVICE_WRITER, target, ns, name, WAYPOINT_BOUND, c);
  }

  // --- ZtunnelAccepted ---

  private static final String HTTP_RULE =
      "ztunnel does not support HTTP attributes (found: %s). "
          + "In ambient mode you must use a waypoint proxy to enforce HTTP rules. %s";
  private static final String HTTP_DENY =
      "DENY policy with HTTP attributes is enforced without the HTTP rules. "
          + "This will be more restrictive than requested.";
  private static final String HTTP_ALLOW =
      "Within an ALLOW policy, rules matching HTTP attributes are omitted. "
          + "This will be more restrictive than requested.";

  /** The L4 {@code when} keys; any other is an HTTP attribute. */
  private static final Set<String> L4_KEYS =
      Set.of(
          "source.ip",
          "source.namespace",
          "source.principal",
          "destination.ip",
          "destination.port");

  /** ZtunnelAccepted for a policy without targetRefs; null for one in dry-run (none is sent). */
  static Report ztunnelReport(Config c, AuthorizationPolicy pol, String rootNamespace) {
    String dryRun = c.meta().annotations().get(ZtunnelPolicies.DRY_RUN_ANNOTATION);
    if (dryRun != null && ZtunnelPolicies.parseBool(dryRun)) {
      return null;
    }
    long gen = c.meta().generation();
    StatusCondition cond;
    switch (pol.getAction()) {
      case ALLOW, DENY -> {
        Set<String> http = httpAttributes(pol);
        if (http.isEmpty()) {
          cond =
              new StatusCondition(ZTUNNEL_ACCEPTED, true, "Accepted", "attached to ztunnel", gen);
        } else {
          String boilerplate =
              pol.getAction() == AuthorizationPolicy.Action.DENY ? HTTP_DENY : HTTP_ALLOW;
          cond =
              new StatusCondition(
                  ZTUNNEL_ACCEPTED,
                  true,
                  "UnsupportedValue",
                  HTTP_RULE.formatted(String.join(", ", http), boilerplate),
                  gen);
        }
      }
      default ->
          cond =
              new StatusCondition(
                  ZTUNNEL_ACCEPTED,
                  false,
                  "UnsupportedValue",
                  "ztunnel does not support the " + pol.getAction().name() + " action",
                  gen);
    }
    return new Report(
        ZTUNNEL_POLICY_WRITER,
        Target.AUTHORIZATION_POLICY,
        c.namespace(),
        c.name(),
        ZTUNNEL_ACCEPTED,
        cond);
  }

  /** The HTTP attributes the policy's rules use, by their field (or {@code when} key) name. */
  static Set<String> httpAttributes(AuthorizationPolicy pol) {
    Set<String> out = new TreeSet<>();
    for (Rule rule : pol.getRulesList()) {
      for (Rule.To to : rule.getToList()) {
        Operation op = to.getOperation();
        add(out, op.getHostsCount(), "hosts");
        add(out, op.getNotHostsCount(), "notHosts");
        add(out, op.getMethodsCount(), "methods");
        add(out, op.getNotMethodsCount(), "notMethods");
        add(out, op.getPathsCount(), "paths");
        add(out, op.getNotPathsCount(), "notPaths");
      }
      for (Rule.From from : rule.getFromList()) {
        Source s = from.getSource();
        add(out, s.getRemoteIpBlocksCount(), "remoteIpBlocks");
        add(out, s.getNotRemoteIpBlocksCount(), "notRemoteIpBlocks");
        add(out, s.getRequestPrincipalsCount(), "requestPrincipals");
        add(out, s.getNotRequestPrincipalsCount(), "notRequestPrincipals");
      }
      for (Condition when : rule.getWhenList()) {
        if (!L4_KEYS.contains(when.getKey())) {
          out.add(when.getKey());
        }
      }
    }
    return out;
  }

  private static void add(Set<String> out, int count, String name) {
    if (count > 0) {
      out.add(name);
    }
  }

  // --- WaypointAccepted ---

  static List<PolicyTargetReference> targetRefs(AuthorizationPolicy pol) {
    if (pol.getTargetRefsCount() > 0) {
      return pol.getTargetRefsList();
    }
    return pol.hasTargetRef() ? List.of(pol.getTargetRef()) : List.of();
  }

  /** One target's binding, as istiod keeps it before flattening. */
  record TargetBinding(String ancestor, boolean bound, String reason, String message) {}

  private static Report waypointReport(
      Config c, AuthorizationPolicy pol, String rootNamespace, Lookups at) {
    List<TargetBinding> bindings = new ArrayList<>();
    for (PolicyTargetReference t : targetRefs(pol)) {
      bindings.add(bind(c.namespace(), t, rootNamespace, at));
    }
    return new Report(
        WAYPOINT_POLICY_WRITER,
        Target.AUTHORIZATION_POLICY,
        c.namespace(),
        c.name(),
        WAYPOINT_ACCEPTED,
        flatten(bindings, c.meta().generation()));
  }

  private static TargetBinding bind(
      String policyNamespace, PolicyTargetReference t, String rootNamespace, Lookups at) {
    String ns = t.getNamespace().isEmpty() ? policyNamespace : t.getNamespace();
    String key = ns + "/" + t.getName();
    String group = t.getGroup().isEmpty() ? "core" : t.getGroup();
    String ancestor = t.getKind() + "." + group + ":" + key;
    switch (t.getKind()) {
      case "GatewayClass" -> {
        if (!ns.equals(rootNamespace)) {
          return new TargetBinding(
              ancestor,
              false,
              "Invalid",
              "AuthorizationPolicy must be in the root namespace `"
                  + rootNamespace
                  + "` when referencing a GatewayClass");
        }
        Config cls = at.classes().get(t.getName());
        if (cls == null) {
          return new TargetBinding(ancestor, false, "TargetNotFound", "not bound");
        }
        if (!cls.spec(GatewayClassSpec.class).getControllerName().equals(MESH_CONTROLLER)) {
          return new TargetBinding(
              ancestor,
              false,
              "Invalid",
              "GatewayClass must use controller name `" + MESH_CONTROLLER + "` for waypoints");
        }
        return new TargetBinding(ancestor, true, "Accepted", "bound to " + cls.name());
      }
      case "Gateway" -> {
        return at.waypoints().contains(key)
            ? new TargetBinding(ancestor, true, "Accepted", "bound to " + key)
            : new TargetBinding(ancestor, false, "TargetNotFound", "not bound");
      }
      case "Service", "ServiceEntry" -> {
        String kind = t.getKind();
        Map<String, String> labels =
            (kind.equals("Service") ? at.services() : at.serviceEntries()).get(key);
        if (labels == null) {
          return new TargetBinding(
              ancestor, false, "TargetNotFound", kind + " " + key + " was not found");
        }
        Waypoints.Waypoint w =
            at.waypoints().bindService(ns, labels, at.namespaceLabels()).waypoint();
        if (w == null) {
          return new TargetBinding(
              ancestor,
              false,
              "AncestorNotBound",
              kind + " " + key + " is not bound to a waypoint");
        }
        return new TargetBinding(
            ancestor, true, "Accepted", "bound to " + w.namespace() + "/" + w.name());
      }
      default -> {
        return new TargetBinding(ancestor, false, "unknown", "not bound");
      }
    }
  }

  /**
   * One condition for all targets, as istiod condenses them: a single target's own; else true if
   * any is bound (Accepted, PartiallyInvalid when some are not), listing the unbound ones.
   */
  static StatusCondition flatten(List<TargetBinding> bindings, long generation) {
    if (bindings.size() == 1) {
      TargetBinding b = bindings.get(0);
      return new StatusCondition(WAYPOINT_ACCEPTED, b.bound(), b.reason(), b.message(), generation);
    }
    boolean any = false;
    List<String> unbound = new ArrayList<>();
    for (TargetBinding b : bindings) {
      if (b.bound()) {
        any = true;
      } else {
        unbound.add(b.ancestor());
      }
    }
    String reason = any ? (unbound.isEmpty() ? "Accepted" : "PartiallyInvalid") : "Invalid";
    String message = unbound.isEmpty() ? "" : "Invalid targetRefs: " + String.join(", ", unbound);
    return new StatusCondition(WAYPOINT_ACCEPTED, any, reason, message, generation);
  }
}

package io.jistiod.galley.crd;

import static io.jistiod.galley.crd.OpenApiSchemas.sorted;

import io.jistiod.galley.config.ConfigKind;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What Istio 1.27's CRDs carry beyond the proto messages (Istio keeps these as markers in its proto
 * comments, which our descriptors do not carry): metadata labels, printer columns, which kinds
 * require a spec, fields also accepted under their proto name, and lists keyed by a field.
 */
final class IstioCrdConventions {
  private IstioCrdConventions() {}

  /** Kinds whose objects must have a spec ({@code required: [spec]} at the top). */
  static final Set<String> SPEC_REQUIRED =
      Set.of("ServiceEntry", "WorkloadEntry", "WorkloadGroup", "WasmPlugin", "TrafficExtension");

  /** Fields Istio also accepts under their proto (snake_case) name. */
  static final Map<String, String> ALT_NAMES =
      Map.of(
          "istio.networking.v1alpha3.HTTPRoute.mirror_percent", "mirror_percent",
          "istio.security.v1beta1.JWTRule.jwks_uri", "jwks_uri");

  /** Repeated fields Istio declares as {@code x-kubernetes-list-type: map}, with their keys. */
  static final Map<String, List<String>> LIST_MAP_KEYS =
      Map.of(
          "istio.networking.v1alpha3.ServiceEntry.ports", List.of("name"),
          "istio.extensions.v1alpha1.VmConfig.env", List.of("name"),
          "istio.extensions.v1alpha1.WasmPlugin.TrafficSelector.ports", List.of("number"),
          "istio.extensions.v1alpha1.TrafficSelector.ports", List.of("number"));

  private static final String NET = "istio.networking.v1alpha3.";
  private static final String SEC = "istio.security.v1beta1.";
  private static final Map<String, Object> TARGET_REFS = sorted("maxItems", 16);

  /**
   * Value bounds and list/map sizes Istio declares beyond what the field's type implies. The sizes
   * also bound the API server's cost estimate for the Duration rules below them.
   */
  static final Map<String, Map<String, Object>> EXTRAS =
      Map.ofEntries(
          Map.entry(NET + "WarmupConfiguration.aggression", sorted("minimum", 1)),
          Map.entry(
              NET + "WarmupConfiguration.minimum_percent", sorted("minimum", 0, "maximum", 100)),
          Map.entry(
              NET + "TrafficPolicy.RetryBudget.percent", sorted("minimum", 0, "maximum", 100)),
          Map.entry(
              NET + "OutlierDetection.failure_percentage_threshold",
              sorted("minimum", 0, "maximum", 100)),
          Map.entry(NET + "TrafficPolicy.port_level_settings", sorted("maxItems", 4096)),
          Map.entry(NET + "ZoneAwareLoadBalancerSetting.min_cluster_size", sorted("minimum", 1)),
          Map.entry(NET + "ReadinessProbe.initial_delay_seconds", sorted("minimum", 0)),
          Map.entry(NET + "ReadinessProbe.timeout_seconds", sorted("minimum", 0)),
          Map.entry(NET + "ReadinessProbe.period_seconds", sorted("minimum", 0)),
          Map.entry(NET + "ReadinessProbe.success_threshold", sorted("minimum", 0)),
          Map.entry(NET + "ReadinessProbe.failure_threshold", sorted("minimum", 0)),
          Map.entry(
              NET + "ServerTLSSettings.credential_names", sorted("minItems", 1, "maxItems", 2)),
          Map.entry(
              NET + "ServerTLSSettings.tls_certificates", sorted("minItems", 1, "maxItems", 2)),
          Map.entry(NET + "ServiceEntry.hosts", sorted("minItems", 1, "maxItems", 256)),
          Map.entry(NET + "ServiceEntry.addresses", sorted("maxItems", 256)),
          Map.entry(NET + "ServiceEntry.ports", sorted("maxItems", 256)),
          Map.entry(NET + "ServiceEntry.endpoints", sorted("maxItems", 4096)),
          Map.entry(NET + "WorkloadEntry.labels", sorted("maxProperties", 256)),
          Map.entry(NET + "WorkloadEntry.ports", sorted("maxProperties", 128)),
          Map.entry(NET + "WorkloadGroup.ObjectMeta.labels", sorted("maxProperties", 256)),
          Map.entry(NET + "WorkloadGroup.ObjectMeta.annotations", sorted("maxProperties", 256)),
          Map.entry(NET + "WorkloadSelector.labels", sorted("maxProperties", 256)),
          Map.entry(NET + "EnvoyFilter.targetRefs", TARGET_REFS),
          Map.entry("istio.networking.v1beta1.ProxyConfig.concurrency", sorted("minimum", 0)),
          Map.entry(
              "istio.type.v1beta1.WorkloadSelector.match_labels", sorted("maxProperties", 4096)),
          Map.entry(
              "istio.type.v1beta1.PortSelector.number", sorted("minimum", 1, "maximum", 65535)),
          Map.entry(SEC + "AuthorizationPolicy.targetRefs", TARGET_REFS),
          Map.entry(SEC + "AuthorizationPolicy.rules", sorted("maxItems", 512)),
          Map.entry(SEC + "Rule.from", sorted("maxItems", 512)),
          Map.entry(SEC + "Source.service_accounts", sorted("maxItems", 16)),
          Map.entry(SEC + "Source.not_service_accounts", sorted("maxItems", 16)),
          Map.entry(SEC + "PeerAuthentication.port_level_mtls", sorted("minProperties", 1)),
          Map.entry(SEC + "RequestAuthentication.targetRefs", TARGET_REFS),
          Map.entry(SEC + "RequestAuthentication.jwt_rules", sorted("maxItems", 4096)),
          Map.entry("istio.telemetry.v1alpha1.Telemetry.targetRefs", TARGET_REFS),
          Map.entry(
              "istio.telemetry.v1alpha1.Tracing.random_sampling_percentage",
              sorted("minimum", 0, "maximum", 100)),
          Map.entry("istio.extensions.v1alpha1.WasmPlugin.targetRefs", TARGET_REFS),
          Map.entry("istio.extensions.v1alpha1.TrafficExtension.targetRefs", TARGET_REFS),
          Map.entry("istio.extensions.v1alpha1.VmConfig.env", sorted("maxItems", 256)));

  /** Bounds on each element of a repeated or map field. */
  static final Map<String, Map<String, Object>> ITEM_EXTRAS =
      Map.of(
          NET + "OutlierDetection.outlier_detection_http_error_codes",
          sorted("minimum", 100, "maximum", 599));

  /** Durations Istio lets be zero (no "at least 1ms" rule). */
  static final Set<String> DURATIONS_WITHOUT_RULE =
      Set.of(
          NET + "ConnectionPoolSettings.TCPSettings.idle_timeout",
          NET + "LoadBalancerSettings.ConsistentHashLB.HTTPCookie.ttl",
          NET + "TrafficPolicy.RetryBudget.budget_interval",
          NET + "LoadBalancerSettings.BackendUtilizationLB.weight_stabilization_period",
          NET + "LoadBalancerSettings.BackendUtilizationLB.weight_expiration_period",
          NET + "LoadBalancerSettings.BackendUtilizationLB.weight_update_period");

  static final OpenApiSchemas.FieldMarkers MARKERS =
      new OpenApiSchemas.FieldMarkers(
          ALT_NAMES,
          LIST_MAP_KEYS,
          IstioCrdRules.union(EXTRAS, IstioCrdRules.FIELDS),
          IstioCrdRules.union(ITEM_EXTRAS, IstioCrdRules.ITEMS),
          DURATIONS_WITHOUT_RULE,
          IstioCrdRules.MESSAGES);

  private static final String AGE_DESCRIPTION =
      "CreationTimestamp is a timestamp representing the server time when this object was"
          + " created. It is not guaranteed to be set in happens-before order across separate"
          + " operations. Clients may not set this value. It is represented in RFC3339 form and is"
          + " in UTC. Populated by the system. Read-only. Null for lists. More info:"
          + " https://git.k8s.io/community/contributors/devel/api-conventions.md#metadata";

  /** Columns {@code kubectl get} shows, in Istio's order; "Age" is the creation timestamp. */
  private static final Map<String, List<String[]>> COLUMNS = columns();

  private static Map<String, List<String[]>> columns() {
    Map<String, List<String[]>> c = new LinkedHashMap<>();
    c.put(
        "VirtualService",
        List.of(
            column(
                "Gateways",
                ".spec.gateways",
                "The names of gateways and sidecars that should apply these routes"),
            column("Hosts", ".spec.hosts", "The destination hosts to which traffic is being sent"),
            age()));
    c.put(
        "DestinationRule",
        List.of(
            column("Host", ".spec.host", "The name of a service from the service registry"),
            age()));
    c.put(
        "ServiceEntry",
        List.of(
            column("Hosts", ".spec.hosts", "The hosts associated with the ServiceEntry"),
            column(
                "Location",
                ".spec.location",
                "Whether the service is external to the mesh or part of the mesh (MESH_EXTERNAL or"
                    + " MESH_INTERNAL)"),
            column(
                "Resolution",
                ".spec.resolution",
                "Service resolution mode for the hosts (NONE, STATIC, or DNS)"),
            age()));
    c.put(
        "WorkloadEntry",
        List.of(
            age(),
            column("Address", ".spec.address", "Address associated with the network endpoint.")));
    c.put("WorkloadGroup", List.<String[]>of(age()));
    c.put(
        "AuthorizationPolicy",
        List.of(column("Action", ".spec.action", "The operation to take."), age()));
    c.put(
        "PeerAuthentication",
        List.of(
            column(
                "Mode", ".spec.mtls.mode", "Defines the mTLS mode used for peer authentication."),
            age()));
    c.put("Telemetry", List.<String[]>of(age()));
    c.put("WasmPlugin", List.<String[]>of(age()));
    c.put("TrafficExtension", List.<String[]>of(age()));
    return c;
  }

  private static String[] column(String name, String jsonPath, String description) {
    return new String[] {name, jsonPath, "string", description};
  }

  private static String[] age() {
    return new String[] {"Age", ".metadata.creationTimestamp", "date", AGE_DESCRIPTION};
  }

  /** The kind's additionalPrinterColumns; empty for kinds that have none. */
  static List<Map<String, Object>> printerColumns(ConfigKind kind) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (String[] c : COLUMNS.getOrDefault(kind.kind(), List.of())) {
      out.add(sorted("name", c[0], "jsonPath", c[1], "type", c[2], "description", c[3]));
    }
    return out;
  }

  /** Istio's chart labels, plus {@code istio: security|telemetry} for those groups. */
  static Map<String, String> labels(ConfigKind kind) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("app", "istio-pilot");
    labels.put("chart", "istio");
    labels.put("heritage", "Tiller");
    labels.put("release", "istio");
    switch (kind.group()) {
      case "security.istio.io":
        labels.put("istio", "security");
        break;
      case "telemetry.istio.io":
        labels.put("istio", "telemetry");
        break;
      default:
        break;
    }
    return labels;
  }
}

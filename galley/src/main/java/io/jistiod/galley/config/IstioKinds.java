package io.jistiod.galley.config;

import java.util.List;

/**
 * The Istio config kinds istiod understands, as Istio 1.27 serves them: group, kind, plural, the
 * served versions (preferred first), the storage version and kubectl short names. Specs are the
 * same message in every version.
 */
public final class IstioKinds {
  private static final String NETWORKING = "networking.istio.io";
  private static final String SECURITY = "security.istio.io";
  private static final String TELEMETRY_GROUP = "telemetry.istio.io";
  private static final String EXTENSIONS = "extensions.istio.io";
  private static final List<String> NETWORKING_VERSIONS = List.of("v1", "v1beta1", "v1alpha3");
  private static final List<String> SECURITY_VERSIONS = List.of("v1", "v1beta1");

  public static final ConfigKind VIRTUAL_SERVICE =
      new ConfigKind(
          NETWORKING,
          "VirtualService",
          "virtualservices",
          NETWORKING_VERSIONS,
          "v1",
          List.of("vs"),
          io.jistiod.galley.api.networking.v1alpha3.VirtualService.getDefaultInstance());

  public static final ConfigKind DESTINATION_RULE =
      new ConfigKind(
          NETWORKING,
          "DestinationRule",
          "destinationrules",
          NETWORKING_VERSIONS,
          "v1",
          List.of("dr"),
          io.jistiod.galley.api.networking.v1alpha3.DestinationRule.getDefaultInstance());

  public static final ConfigKind GATEWAY =
      new ConfigKind(
          NETWORKING,
          "Gateway",
          "gateways",
          NETWORKING_VERSIONS,
          "v1",
          List.of("gw"),
          io.jistiod.galley.api.networking.v1alpha3.Gateway.getDefaultInstance());

  public static final ConfigKind SERVICE_ENTRY =
      new ConfigKind(
          NETWORKING,
          "ServiceEntry",
          "serviceentries",
          NETWORKING_VERSIONS,
          "v1",
          List.of("se"),
          io.jistiod.galley.api.networking.v1alpha3.ServiceEntry.getDefaultInstance());

  public static final ConfigKind WORKLOAD_ENTRY =
      new ConfigKind(
          NETWORKING,
          "WorkloadEntry",
          "workloadentries",
          NETWORKING_VERSIONS,
          "v1",
          List.of("we"),
          io.jistiod.galley.api.networking.v1alpha3.WorkloadEntry.getDefaultInstance(),
          // its Healthy condition (istiod's WorkloadEntry controller writes it from the VM's
          // health reports) decides whether a health-checked entry is an endpoint
          io.jistiod.galley.api.meta.v1alpha1.IstioStatus.getDefaultInstance(),
          false);

  public static final ConfigKind WORKLOAD_GROUP =
      new ConfigKind(
          NETWORKING,
          "WorkloadGroup",
          "workloadgroups",
          NETWORKING_VERSIONS,
          "v1",
          List.of("wg"),
          io.jistiod.galley.api.networking.v1alpha3.WorkloadGroup.getDefaultInstance());

  public static final ConfigKind SIDECAR =
      new ConfigKind(
          NETWORKING,
          "Sidecar",
          "sidecars",
          NETWORKING_VERSIONS,
          "v1",
          List.of(),
          io.jistiod.galley.api.networking.v1alpha3.Sidecar.getDefaultInstance());

  public static final ConfigKind ENVOY_FILTER =
      new ConfigKind(
          NETWORKING,
          "EnvoyFilter",
          "envoyfilters",
          List.of("v1alpha3"),
          "v1alpha3",
          List.of(),
          io.jistiod.galley.api.networking.v1alpha3.EnvoyFilter.getDefaultInstance());

  public static final ConfigKind PROXY_CONFIG =
      new ConfigKind(
          NETWORKING,
          "ProxyConfig",
          "proxyconfigs",
          List.of("v1beta1"),
          "v1beta1",
          List.of(),
          io.jistiod.galley.api.networking.v1beta1.ProxyConfig.getDefaultInstance());

  public static final ConfigKind AUTHORIZATION_POLICY =
      new ConfigKind(
          SECURITY,
          "AuthorizationPolicy",
          "authorizationpolicies",
          SECURITY_VERSIONS,
          "v1beta1",
          List.of("ap"),
          io.jistiod.galley.api.security.v1beta1.AuthorizationPolicy.getDefaultInstance());

  public static final ConfigKind PEER_AUTHENTICATION =
      new ConfigKind(
          SECURITY,
          "PeerAuthentication",
          "peerauthentications",
          SECURITY_VERSIONS,
          "v1beta1",
          List.of("pa"),
          io.jistiod.galley.api.security.v1beta1.PeerAuthentication.getDefaultInstance());

  public static final ConfigKind REQUEST_AUTHENTICATION =
      new ConfigKind(
          SECURITY,
          "RequestAuthentication",
          "requestauthentications",
          SECURITY_VERSIONS,
          "v1beta1",
          List.of("ra"),
          io.jistiod.galley.api.security.v1beta1.RequestAuthentication.getDefaultInstance());

  public static final ConfigKind TELEMETRY =
      new ConfigKind(
          TELEMETRY_GROUP,
          "Telemetry",
          "telemetries",
          List.of("v1", "v1alpha1"),
          "v1alpha1",
          List.of("telemetry"),
          io.jistiod.galley.api.telemetry.v1alpha1.Telemetry.getDefaultInstance());

  public static final ConfigKind WASM_PLUGIN =
      new ConfigKind(
          EXTENSIONS,
          "WasmPlugin",
          "wasmplugins",
          List.of("v1alpha1"),
          "v1alpha1",
          List.of(),
          io.jistiod.galley.api.extensions.v1alpha1.WasmPlugin.getDefaultInstance());

  /**
   * The kind istio.io/api 1.32 adds (Istio 1.27 has no such CRD): a Wasm or Lua filter. Served as
   * istiod 1.32 serves it; a cluster without its CRD simply has none.
   */
  public static final ConfigKind TRAFFIC_EXTENSION =
      new ConfigKind(
          EXTENSIONS,
          "TrafficExtension",
          "trafficextensions",
          List.of("v1alpha1"),
          "v1alpha1",
          List.of(),
          io.jistiod.galley.api.extensions.v1alpha1.TrafficExtension.getDefaultInstance());

  /** Every kind, in a stable order. */
  public static final List<ConfigKind> ALL =
      List.of(
          VIRTUAL_SERVICE,
          DESTINATION_RULE,
          GATEWAY,
          SERVICE_ENTRY,
          WORKLOAD_ENTRY,
          WORKLOAD_GROUP,
          SIDECAR,
          ENVOY_FILTER,
          PROXY_CONFIG,
          AUTHORIZATION_POLICY,
          PEER_AUTHENTICATION,
          REQUEST_AUTHENTICATION,
          TELEMETRY,
          WASM_PLUGIN,
          TRAFFIC_EXTENSION);

  private IstioKinds() {}
}

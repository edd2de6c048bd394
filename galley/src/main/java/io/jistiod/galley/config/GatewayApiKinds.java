package io.jistiod.galley.config;

import io.jistiod.galley.api.gateway.v1.BackendTLSPolicySpec;
import io.jistiod.galley.api.gateway.v1.GRPCRouteSpec;
import io.jistiod.galley.api.gateway.v1.GatewayClassSpec;
import io.jistiod.galley.api.gateway.v1.GatewayClassStatus;
import io.jistiod.galley.api.gateway.v1.GatewaySpec;
import io.jistiod.galley.api.gateway.v1.GatewayStatus;
import io.jistiod.galley.api.gateway.v1.HTTPRouteSpec;
import io.jistiod.galley.api.gateway.v1.ListenerSetSpec;
import io.jistiod.galley.api.gateway.v1.ListenerSetStatus;
import io.jistiod.galley.api.gateway.v1.PolicyStatus;
import io.jistiod.galley.api.gateway.v1.ReferenceGrantSpec;
import io.jistiod.galley.api.gateway.v1.RouteStatus;
import io.jistiod.galley.api.gateway.v1.TCPRouteSpec;
import io.jistiod.galley.api.gateway.v1.TLSRouteSpec;
import io.jistiod.galley.api.gateway.v1.XBackendTrafficPolicySpec;
import java.util.List;

/**
 * The Kubernetes Gateway API kinds (gateway.networking.k8s.io, sigs.k8s.io/gateway-api v1.3.0)
 * istiod 1.27 reads. The preferred version of each is the one istiod 1.27 watches ({@code v1beta1}
 * for the kinds that have it, {@code v1} GRPCRoute, {@code v1alpha2} TCPRoute and TLSRoute); the
 * others are the versions the CRDs serve, so a config folder may use any of them. The experimental
 * XListenerSet and XBackendTrafficPolicy are of the group gateway.networking.x-k8s.io.
 *
 * <p>istiod reads their status too (it merges its own route and listener status into what other
 * controllers wrote), so each kind but ReferenceGrant has a status message.
 */
public final class GatewayApiKinds {
  public static final String GROUP = "gateway.networking.k8s.io";

  /** The experimental group of the {@code X}-prefixed kinds. */
  public static final String X_GROUP = "gateway.networking.x-k8s.io";

  private static final List<String> BETA_AND_V1 = List.of("v1beta1", "v1");

  public static final ConfigKind GATEWAY_CLASS =
      new ConfigKind(
          GROUP,
          "GatewayClass",
          "gatewayclasses",
          BETA_AND_V1,
          "v1",
          List.of("gc"),
          GatewayClassSpec.getDefaultInstance(),
          GatewayClassStatus.getDefaultInstance(),
          true);

  public static final ConfigKind GATEWAY =
      new ConfigKind(
          GROUP,
          "Gateway",
          "gateways",
          BETA_AND_V1,
          "v1",
          List.of("gtw"),
          GatewaySpec.getDefaultInstance(),
          GatewayStatus.getDefaultInstance(),
          false);

  public static final ConfigKind HTTP_ROUTE =
      new ConfigKind(
          GROUP,
          "HTTPRoute",
          "httproutes",
          BETA_AND_V1,
          "v1",
          List.of(),
          HTTPRouteSpec.getDefaultInstance(),
          RouteStatus.getDefaultInstance(),
          false);

  public static final ConfigKind GRPC_ROUTE =
      new ConfigKind(
          GROUP,
          "GRPCRoute",
          "grpcroutes",
          List.of("v1"),
          "v1",
          List.of(),
          GRPCRouteSpec.getDefaultInstance(),
          RouteStatus.getDefaultInstance(),
          false);

  public static final ConfigKind REFERENCE_GRANT =
      new ConfigKind(
          GROUP,
          "ReferenceGrant",
          "referencegrants",
          List.of("v1beta1"),
          "v1beta1",
          List.of("refgrant"),
          ReferenceGrantSpec.getDefaultInstance(),
          null,
          false);

  /** Experimental channel; istiod watches it only with PILOT_ENABLE_ALPHA_GATEWAY_API=true. */
  public static final ConfigKind TCP_ROUTE =
      new ConfigKind(
          GROUP,
          "TCPRoute",
          "tcproutes",
          List.of("v1alpha2"),
          "v1alpha2",
          List.of(),
          TCPRouteSpec.getDefaultInstance(),
          RouteStatus.getDefaultInstance(),
          false);

  /** Experimental channel; istiod watches it only with PILOT_ENABLE_ALPHA_GATEWAY_API=true. */
  public static final ConfigKind TLS_ROUTE =
      new ConfigKind(
          GROUP,
          "TLSRoute",
          "tlsroutes",
          List.of("v1alpha2"),
          "v1alpha2",
          List.of(),
          TLSRouteSpec.getDefaultInstance(),
          RouteStatus.getDefaultInstance(),
          false);

  /**
   * Experimental (gateway.networking.x-k8s.io/v1alpha1, the only version istiod 1.27 reads, and the
   * one it writes status to); istiod watches it only with PILOT_ENABLE_ALPHA_GATEWAY_API=true.
   */
  public static final ConfigKind X_LISTENER_SET =
      new ConfigKind(
          "gateway.networking.x-k8s.io",
          "XListenerSet",
          "xlistenersets",
          List.of("v1alpha1"),
          "v1alpha1",
          List.of("lset"),
          ListenerSetSpec.getDefaultInstance(),
          ListenerSetStatus.getDefaultInstance(),
          false);

  /**
   * Experimental channel; istiod watches it (v1alpha3) only with
   * PILOT_ENABLE_ALPHA_GATEWAY_API=true and turns it into DestinationRules.
   */
  public static final ConfigKind BACKEND_TLS_POLICY =
      new ConfigKind(
          GROUP,
          "BackendTLSPolicy",
          "backendtlspolicies",
          List.of("v1alpha3"),
          "v1alpha3",
          List.of("btlspolicy"),
          BackendTLSPolicySpec.getDefaultInstance(),
          PolicyStatus.getDefaultInstance(),
          false);

  /**
   * Experimental (gateway.networking.x-k8s.io); istiod watches it only with
   * PILOT_ENABLE_ALPHA_GATEWAY_API=true and turns it into DestinationRules.
   */
  public static final ConfigKind X_BACKEND_TRAFFIC_POLICY =
      new ConfigKind(
          X_GROUP,
          "XBackendTrafficPolicy",
          "xbackendtrafficpolicies",
          List.of("v1alpha1"),
          "v1alpha1",
          List.of("xbtrafficpolicy"),
          XBackendTrafficPolicySpec.getDefaultInstance(),
          PolicyStatus.getDefaultInstance(),
          false);

  /** The kinds istiod reads whenever the Gateway API is on (PILOT_ENABLE_GATEWAY_API). */
  public static final List<ConfigKind> STANDARD =
      List.of(GATEWAY_CLASS, GATEWAY, HTTP_ROUTE, GRPC_ROUTE, REFERENCE_GRANT);

  /** The alpha kinds, read only with PILOT_ENABLE_ALPHA_GATEWAY_API=true. */
  public static final List<ConfigKind> ALPHA =
      List.of(TCP_ROUTE, TLS_ROUTE, X_LISTENER_SET, BACKEND_TLS_POLICY, X_BACKEND_TRAFFIC_POLICY);

  /** Every Gateway API kind, in a stable order. */
  public static final List<ConfigKind> ALL =
      List.of(
          GATEWAY_CLASS,
          GATEWAY,
          HTTP_ROUTE,
          GRPC_ROUTE,
          REFERENCE_GRANT,
          TCP_ROUTE,
          TLS_ROUTE,
          X_LISTENER_SET,
          BACKEND_TLS_POLICY,
          X_BACKEND_TRAFFIC_POLICY);

  private GatewayApiKinds() {}

  /**
   * The kinds istiod reads, as istiod 1.27 decides: Istio's own, then the standard Gateway API
   * kinds unless {@code gatewayApi} is off, and the alpha ones only if {@code alpha} is on as well.
   *
   * @param gatewayApi PILOT_ENABLE_GATEWAY_API (default true)
   * @param alpha PILOT_ENABLE_ALPHA_GATEWAY_API (default false)
   */
  public static List<ConfigKind> withIstioKinds(boolean gatewayApi, boolean alpha) {
    List<ConfigKind> out = new java.util.ArrayList<>(IstioKinds.ALL);
    if (gatewayApi) {
      out.addAll(STANDARD);
      if (alpha) {
        out.addAll(ALPHA);
      }
    }
    return List.copyOf(out);
  }
}

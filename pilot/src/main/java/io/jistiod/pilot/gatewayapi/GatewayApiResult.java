package io.jistiod.pilot.gatewayapi;

import com.google.protobuf.Message;
import io.jistiod.galley.config.Config;
import java.util.List;
import java.util.Objects;

/**
 * What one conversion produces.
 *
 * @param gateways the Istio Gateways istiod serves (one per valid listener), sorted by creation
 *     time, namespace and name
 * @param virtualServices the Istio VirtualServices, sorted the same way; they may bind to listeners
 *     whose Gateway is invalid, as istiod's do
 * @param destinationRules the DestinationRules made from BackendTLSPolicies and
 *     XBackendTrafficPolicies, one per targeted Service, sorted by namespace and name
 * @param statusUpdates the status istiod would write, for each object whose status it handles and
 *     that differs from the status it has now
 */
public record GatewayApiResult(
    List<Config> gateways,
    List<Config> virtualServices,
    List<Config> destinationRules,
    List<StatusUpdate> statusUpdates) {

  /** Nothing generated, no status to write: the Gateway API is off or holds nothing. */
  public static final GatewayApiResult EMPTY =
      new GatewayApiResult(List.of(), List.of(), List.of(), List.of());

  public GatewayApiResult {
    gateways = List.copyOf(gateways);
    virtualServices = List.copyOf(virtualServices);
    destinationRules = List.copyOf(destinationRules);
    statusUpdates = List.copyOf(statusUpdates);
  }

  /** A result without DestinationRules. */
  public GatewayApiResult(
      List<Config> gateways, List<Config> virtualServices, List<StatusUpdate> statusUpdates) {
    this(gateways, virtualServices, List.of(), statusUpdates);
  }

  /**
   * The whole status to write on {@code object} (its status subresource is replaced with it).
   *
   * @param status a GatewayClassStatus, GatewayStatus, RouteStatus or PolicyStatus
   */
  public record StatusUpdate(Config object, Message status) {
    public StatusUpdate {
      Objects.requireNonNull(object, "object");
      Objects.requireNonNull(status, "status");
    }
  }
}

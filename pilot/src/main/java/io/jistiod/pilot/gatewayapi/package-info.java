/**
 * The Kubernetes Gateway API as istiod 1.27 implements it: a pure conversion of Gateway API objects
 * (with the namespaces, Kubernetes Services, Secrets and the service registry they refer to) into
 * the Istio Gateways and VirtualServices istiod generates, and the status istiod would write back,
 * computed as data. {@link io.jistiod.pilot.gatewayapi.GatewayApiConverter} is the entry point; it
 * reads nothing but its {@link io.jistiod.pilot.gatewayapi.GatewayApiInputs}.
 *
 * <p>Behaviour follows istiod 1.27's {@code pilot/pkg/config/kube/gateway}; strings in status
 * messages are istiod's, byte for byte, because users and conformance tests read them.
 */
package io.jistiod.pilot.gatewayapi;

package io.jistiod.pilot.gatewayapi;

import io.jistiod.galley.config.Config;

/**
 * A Gateway listener istiod programs: the route parent it is, and the one-server Istio Gateway
 * generated for it.
 *
 * @param valid false if its TLS or protocol is bad: its Istio Gateway is not served, yet routes
 *     still attach to it (and count in its status)
 */
record GatewayListener(ParentKey parent, ParentInfo info, Config istioGateway, boolean valid) {}

package io.jistiod.pilot.gatewayapi;

import io.jistiod.galley.api.gateway.v1.GatewaySpec;
import io.jistiod.galley.api.gateway.v1.GatewaySpecAddress;
import io.jistiod.galley.config.Config;
import java.util.ArrayList;
import java.util.List;

/**
 * The Services whose proxies serve a Gateway ({@code extractGatewayServices}): the one istiod
 * deploys for a managed Gateway, or the Hostname addresses of a manual one. The error is soft when
 * services are found anyway, else the Gateway cannot be served at all.
 *
 * @param hosts fully qualified service host names
 */
record GatewayServices(List<String> hosts, StatusError error) {

  static GatewayServices of(Config gw, GatewayClasses.Resolved cls, GatewayApiOptions options) {
    GatewaySpec spec = gw.spec(GatewaySpec.class);
    String suffix = options.domainSuffix();
    if (managed(spec, options)) {
      String name = gw.meta().annotations().getOrDefault(Gateways.NAME_OVERRIDE, "");
      if (name.isEmpty()) {
        name = cls.info().nameSuffix() ? gw.name() + "-" + spec.getGatewayClassName() : gw.name();
      }
      return new GatewayServices(List.of(name + "." + gw.namespace() + ".svc." + suffix), null);
    }
    List<String> hosts = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    for (GatewaySpecAddress a : spec.getAddressesList()) {
      if (a.hasType() && !a.getType().equals("Hostname")) {
        skipped.add(a.getValue());
        continue;
      }
      String v = a.getValue();
      hosts.add(v.contains(".") ? v : v + "." + gw.namespace() + ".svc." + suffix);
    }
    if (!skipped.isEmpty()) {
      return new GatewayServices(
          hosts,
          new StatusError(
              "UnsupportedAddress",
              "only Hostname is supported, ignoring [" + String.join(" ", skipped) + "]"));
    }
    if (gw.meta().annotations().containsKey(Gateways.SERVICE_TYPE)) {
      return new GatewayServices(
          hosts,
          new StatusError(
              "DeprecatedField",
              "annotation networking.istio.io/service-type is deprecated, use"
                  + " Spec.Infrastructure.Routeability"));
    }
    return new GatewayServices(hosts, null);
  }

  /**
   * Whether istiod deploys the Gateway's proxies ({@code IsManaged}): no address, or a single IP
   * address. Anything else names existing Services.
   */
  static boolean managed(GatewaySpec spec, GatewayApiOptions options) {
    if (!options.manualDeployment() || spec.getAddressesCount() == 0) {
      return true;
    }
    if (spec.getAddressesCount() > 1) {
      return false;
    }
    GatewaySpecAddress a = spec.getAddresses(0);
    return !a.hasType() || a.getType().equals("IPAddress");
  }
}

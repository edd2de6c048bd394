package io.jistiod.pilot.grpcgen;

import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.jistiod.pilot.model.ClusterName;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.networking.DestinationPolicies;
import io.jistiod.pilot.networking.HttpRouteBuilder;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.xds.XdsGenerator;
import io.jistiod.pilot.xds.XdsResource;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * RDS for proxyless gRPC: one route configuration per {@code outbound|PORT||FQDN} name, holding the
 * single virtual host of that service with the routes of its VirtualService (or a default route to
 * the service).
 */
public final class GrpcRouteGenerator implements XdsGenerator {

  @Override
  public List<XdsResource> generate(Proxy proxy, PushContext push, Set<String> names) {
    List<XdsResource> out = new ArrayList<>();
    for (String name : new TreeSet<>(names)) {
      XdsResource r = push.cache().get("grpc-rds", name, proxy, () -> build(name, proxy, push));
      if (r != null) {
        out.add(r);
      }
    }
    return out;
  }

  private static XdsResource build(String name, Proxy proxy, PushContext push) {
    ClusterName key = ClusterName.parse(name);
    if (key == null || key.port() == 0) {
      return null;
    }
    Service service = push.serviceFor(proxy, key.hostname()).orElse(null);
    if (service == null || service.port(key.port()).isEmpty()) {
      return null;
    }
    return XdsResource.of(name, routeConfig(name, proxy, push, service, key.port()));
  }

  static RouteConfiguration routeConfig(
      String name, Proxy proxy, PushContext push, Service service, int port) {
    VirtualHost.Builder vh =
        VirtualHost.newBuilder()
            .setName(service.hostname() + ":" + port)
            .addAllDomains(domains(service, port, proxy.configNamespace()));
    var vs = push.virtualServiceFor(proxy, service.hostname());
    DestinationPolicies policies = DestinationPolicies.of(push, proxy);
    if (vs.isPresent()) {
      HttpRouteBuilder routes =
          new HttpRouteBuilder(
              vs.get().config().namespace(), push.domainSuffix(), port, true, policies);
      vh.addAllRoutes(routes.build(vs.get().spec().getHttpList()));
    } else {
      vh.addRoutes(
          new HttpRouteBuilder(service.namespace(), push.domainSuffix(), port, true, policies)
              .defaultRoute(service.hostname()));
    }
    return RouteConfiguration.newBuilder().setName(name).addVirtualHosts(vh).build();
  }

  /**
   * Every spelling a client may dial: the FQDN, and for Kubernetes-style hosts ({@code
   * name.ns.svc.domain}) the short forms a client in the proxy's namespace may use; each with and
   * without the port, plus the service's VIPs.
   */
  static List<String> domains(Service service, int port, String proxyNamespace) {
    Set<String> hosts = new LinkedHashSet<>();
    String h = service.hostname();
    hosts.add(h);
    String svcInfix = "." + service.namespace() + ".svc.";
    int at = h.indexOf(svcInfix);
    if (at > 0) {
      String shortName = h.substring(0, at);
      if (service.namespace().equals(proxyNamespace)) {
        hosts.add(shortName);
      }
      hosts.add(shortName + "." + service.namespace());
      hosts.add(shortName + "." + service.namespace() + ".svc");
    }
    hosts.addAll(service.addresses());
    List<String> out = new ArrayList<>();
    for (String host : hosts) {
      out.add(host);
      out.add(host + ":" + port);
    }
    return out;
  }
}

package io.jistiod.pilot.grpcgen;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.listener.v3.ApiListener;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.jistiod.pilot.model.ClusterName;
import io.jistiod.pilot.model.Hosts;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServicePort;
import io.jistiod.pilot.networking.HttpRouteBuilder;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.xds.XdsGenerator;
import io.jistiod.pilot.xds.XdsResource;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * LDS for proxyless gRPC. A client listener is an API listener named exactly as the application
 * dialled it ({@code host:port}, the host short or fully qualified) whose HTTP connection manager
 * points at the RDS config {@code outbound|PORT||FQDN}. A server listener, named {@code
 * xds.istio.io/grpc/lds/inbound/HOST:PORT} by gRPC's server template, is built by {@link
 * GrpcServerListeners}.
 */
public final class GrpcListenerGenerator implements XdsGenerator {

  /** Prefix of the listener names gRPC's xDS servers ask for. */
  public static final String SERVER_LISTENER_PREFIX = GrpcServerListeners.PREFIX;

  private static final HttpFilter FAULT =
      HttpFilter.newBuilder()
          .setName(HttpRouteBuilder.FAULT_FILTER)
          .setTypedConfig(Any.pack(HTTPFault.getDefaultInstance()))
          .build();
  private static final HttpFilter ROUTER =
      HttpFilter.newBuilder()
          .setName("envoy.filters.http.router")
          .setTypedConfig(Any.pack(Router.getDefaultInstance()))
          .build();
  private static final ConfigSource ADS =
      ConfigSource.newBuilder().setAds(AggregatedConfigSource.getDefaultInstance()).build();

  @Override
  public List<XdsResource> generate(Proxy proxy, PushContext push, Set<String> names) {
    List<XdsResource> out = new ArrayList<>();
    if (names.isEmpty()) {
      for (Service s : push.servicesVisibleTo(proxy)) {
        for (ServicePort p : s.ports()) {
          out.add(clientListener(s.hostname() + ":" + p.port(), s, p));
        }
      }
      return out;
    }
    for (String name : new TreeSet<>(names)) {
      if (name.startsWith(SERVER_LISTENER_PREFIX)) {
        XdsResource l = GrpcServerListeners.build(name, proxy, push);
        if (l != null) {
          out.add(l);
        }
        continue;
      }
      HostPort hp = HostPort.parse(name);
      Service service = findService(proxy, push, hp.host());
      if (service == null) {
        continue;
      }
      for (ServicePort p : service.ports()) {
        if (hp.port() == 0 || hp.port() == p.port()) {
          out.add(clientListener(hp.host() + ":" + p.port(), service, p));
        }
      }
    }
    return out;
  }

  /** The service a dialled host means: as written, or completed from a short name. */
  static Service findService(Proxy proxy, PushContext push, String host) {
    Service s = push.serviceFor(proxy, host).orElse(null);
    if (s != null) {
      return s;
    }
    String fqdn = Hosts.completeShortName(host, proxy.configNamespace(), proxy.dnsDomain());
    if (fqdn == null) {
      return null;
    }
    return push.serviceFor(proxy, fqdn).orElse(null);
  }

  private static XdsResource clientListener(String name, Service service, ServicePort port) {
    HttpConnectionManager hcm =
        HttpConnectionManager.newBuilder()
            // gRPC ignores stat_prefix, but Envoy's API requires one; name it as Envoy would.
            .setStatPrefix("outbound_" + name)
            .addHttpFilters(FAULT)
            .addHttpFilters(ROUTER)
            .setRds(
                Rds.newBuilder()
                    .setConfigSource(ADS)
                    .setRouteConfigName(
                        ClusterName.outbound(service.hostname(), port.port(), "").toString()))
            .build();
    String address = service.addresses().isEmpty() ? "0.0.0.0" : service.addresses().get(0);
    Listener listener =
        Listener.newBuilder()
            .setName(name)
            .setAddress(socketAddress(address, port.port()))
            .setApiListener(ApiListener.newBuilder().setApiListener(Any.pack(hcm)))
            .build();
    return XdsResource.of(name, listener);
  }

  private static Address socketAddress(String host, int port) {
    return Address.newBuilder()
        .setSocketAddress(SocketAddress.newBuilder().setAddress(host).setPortValue(port))
        .build();
  }
}

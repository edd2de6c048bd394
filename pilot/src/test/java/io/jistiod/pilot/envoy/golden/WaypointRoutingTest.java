package io.jistiod.pilot.envoy.golden;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.transport_sockets.internal_upstream.v3.InternalUpstreamTransport;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.jistiod.pilot.envoy.cluster.EnvoyClusterGenerator;
import io.jistiod.pilot.envoy.listener.EnvoyListenerGenerator;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.xds.XdsResource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The waypoint of the ambient-waypoint-2 scenario: Gateway API mesh routes, outbound destinations,
 * TCP and TLS routes, DestinationRules and RequestAuthentications on its chains and clusters (the
 * golden files pin the rest).
 */
class WaypointRoutingTest {
  private static final String NS = "gs-ambient-waypoint-2";
  private static Scenario scenario;
  private static Proxy waypoint;

  @BeforeAll
  static void load() throws Exception {
    scenario = Scenario.load(GoldenScenarioTest.ROOT.resolve("ambient-waypoint-2"));
    waypoint = scenario.proxies.get(0).proxy();
  }

  @AfterAll
  static void close() {
    scenario.close();
  }

  private static String host(String name) {
    return name + "." + NS + ".svc.cluster.local";
  }

  @Test
  void anHttpRouteWithAServiceParentIsAppliedOnTheServicesChain() {
    List<Route> routes = routes("inbound-vip|8080|http|" + host("frontend"));
    assertThat(routes).hasSize(3);
    assertThat(routes.get(0).getRoute().getCluster())
        .isEqualTo("inbound-vip|8080|http|" + host("api"));
    // a destination the waypoint does not serve goes to its outbound cluster
    assertThat(routes.get(1).getRoute().getWeightedClusters().getClustersList())
        .extracting(c -> c.getName() + "=" + c.getWeight().getValue())
        .containsExactly(
            "outbound|80||" + host("plain") + "=80",
            "inbound-vip|8080|http|" + host("frontend") + "=20");
    assertThat(routes.get(1).getRequestHeadersToAddList())
        .extracting(h -> h.getHeader().getKey())
        .containsExactly("x-via");
    assertThat(routes.get(2).getRoute().getCluster())
        .isEqualTo("inbound-vip|8080|http|" + host("frontend"));
    // traced by the single cluster's host, as istiod names any DIRECTION|PORT|SUBSET|HOST cluster
    assertThat(routes.get(0).getDecorator().getOperation()).isEqualTo(host("api") + ":8080/*");
  }

  @Test
  void aGrpcRouteWithAServiceParentIsAppliedOnTheServicesChain() {
    List<Route> routes = routes("inbound-vip|7070|http|" + host("grpc-echo"));
    assertThat(routes).hasSize(2);
    assertThat(routes.get(0).getMatch().getPath()).isEqualTo("/echo.Echo/Slow");
    assertThat(routes.get(0).getRequestHeadersToAddList())
        .extracting(h -> h.getHeader().getKey() + ":" + h.getHeader().getValue())
        .containsExactly("x-grpc:slow");
  }

  @Test
  void outboundClustersComeFirstAndOnlyForDestinationsTheWaypointDoesNotServe() {
    List<String> names = new ArrayList<>();
    for (XdsResource r : new EnvoyClusterGenerator().generate(waypoint, scenario.push, Set.of())) {
      names.add(r.name());
    }
    assertThat(names.subList(0, 2))
        .containsExactly("outbound|80||" + host("plain"), "outbound|443||" + host("plain"));
    assertThat(names.subList(2, names.size())).noneMatch(n -> n.startsWith("outbound|"));
  }

  @Test
  void aWeightedTcpRouteCarriesTheDestinationRulesConnectionSettings() {
    TcpProxy tcp = tcpProxy("inbound-vip|5432|tcp|" + host("db"));
    assertThat(tcp.getWeightedClusters().getClustersList())
        .extracting(c -> c.getName() + "=" + c.getWeight())
        .containsExactly(
            "inbound-vip|5432|tcp/v1|" + host("db") + "=80",
            "inbound-vip|5432|tcp/v2|" + host("db") + "=20");
    assertThat(tcp.getIdleTimeout().getSeconds()).isEqualTo(3600);
    assertThat(tcp.getMaxDownstreamConnectionDuration().getSeconds()).isEqualTo(1800);
    assertThat(tcp.getHashPolicyList()).hasSize(1);
    assertThat(tcp.getHashPolicy(0).hasSourceIp()).isTrue();
  }

  @Test
  void aTlsRouteForTheServicesOwnNameSendsToItsDestination() {
    TcpProxy tcp = tcpProxy("inbound-vip|443|tcp|" + host("secure"));
    assertThat(tcp.getCluster()).isEqualTo("outbound|443||" + host("plain"));
    assertThat(tcp.getStatPrefix()).isEqualTo("inbound-vip|443|tcp|" + host("secure"));
  }

  @Test
  void aDestinationRulesTlsIsOriginatedInsideTheTunnel() throws Exception {
    Cluster api = cluster("inbound-vip|8080|http|" + host("api"));
    assertThat(api.getTransportSocket().getName()).isEqualTo("internal_upstream");
    var inner =
        api.getTransportSocket()
            .getTypedConfig()
            .unpack(InternalUpstreamTransport.class)
            .getTransportSocket();
    assertThat(inner.getName()).isEqualTo("envoy.transport_sockets.tls");
    assertThat(inner.getTypedConfig().unpack(UpstreamTlsContext.class).getSni())
        .isEqualTo("api.internal.example.com");
    assertThat(api.getLbPolicy()).isEqualTo(Cluster.LbPolicy.LEAST_REQUEST);
    // without TLS settings the tunnel carries plaintext
    var plain =
        cluster("inbound-vip|8080|http|" + host("frontend"))
            .getTransportSocket()
            .getTypedConfig()
            .unpack(InternalUpstreamTransport.class)
            .getTransportSocket();
    assertThat(plain.getName()).isEqualTo("raw_buffer");
  }

  @Test
  void requestAuthenticationsAttachToTheWaypointAndToTheirService() throws Exception {
    assertThat(jwtIssuers("inbound-vip|8080|http|" + host("frontend")))
        .containsExactly("https://accounts.example.com", "https://issuer.example.com");
    assertThat(jwtIssuers("inbound-vip|8080|http|" + host("api")))
        .containsExactly("https://issuer.example.com");
    assertThat(jwtIssuers("direct-http")).containsExactly("https://issuer.example.com");
  }

  private List<String> jwtIssuers(String chain) throws Exception {
    List<String> out = new ArrayList<>();
    for (HttpFilter f : hcm(mainInternalChains().get(chain)).getHttpFiltersList()) {
      if (f.getName().equals("envoy.filters.http.jwt_authn")) {
        f.getTypedConfig()
            .unpack(JwtAuthentication.class)
            .getProvidersMap()
            .values()
            .forEach(p -> out.add(p.getIssuer()));
      }
    }
    out.sort(String::compareTo);
    return out;
  }

  private static Cluster cluster(String name) {
    for (XdsResource r : new EnvoyClusterGenerator().generate(waypoint, scenario.push, Set.of())) {
      if (r.name().equals(name)) {
        return unpack(r.body(), Cluster.class);
      }
    }
    throw new AssertionError("no cluster " + name);
  }

  private static List<Route> routes(String chain) {
    return hcm(mainInternalChains().get(chain)).getRouteConfig().getVirtualHosts(0).getRoutesList();
  }

  private static TcpProxy tcpProxy(String chain) {
    FilterChain c = mainInternalChains().get(chain);
    return unpack(c.getFilters(c.getFiltersCount() - 1).getTypedConfig(), TcpProxy.class);
  }

  private static Map<String, FilterChain> mainInternalChains() {
    Map<String, FilterChain> out = new LinkedHashMap<>();
    for (XdsResource r : new EnvoyListenerGenerator().generate(waypoint, scenario.push, Set.of())) {
      Listener l = unpack(r.body(), Listener.class);
      if (l.getName().equals("main_internal")) {
        l.getFilterChainsList().forEach(c -> out.put(c.getName(), c));
      }
    }
    return out;
  }

  private static HttpConnectionManager hcm(FilterChain chain) {
    return unpack(
        chain.getFilters(chain.getFiltersCount() - 1).getTypedConfig(),
        HttpConnectionManager.class);
  }

  private static <T extends Message> T unpack(Any any, Class<T> type) {
    try {
      return any.unpack(type);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }
}

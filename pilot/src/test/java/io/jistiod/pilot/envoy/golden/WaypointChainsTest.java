package io.jistiod.pilot.envoy.golden;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
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
 * The waypoint of the ambient-waypoint scenario: which chains and clusters each served service port
 * gets, and which policies each chain applies (the golden files pin the rest).
 */
class WaypointChainsTest {
  private static final String NS = "gs-ambient-waypoint";
  private static Scenario scenario;
  private static Proxy waypoint;

  @BeforeAll
  static void load() throws Exception {
    scenario = Scenario.load(GoldenScenarioTest.ROOT.resolve("ambient-waypoint"));
    waypoint = scenario.proxies.get(0).proxy();
  }

  @AfterAll
  static void close() {
    scenario.close();
  }

  private static String host(String name) {
    return name + "." + NS + ".svc.cluster.local";
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

  @Test
  void listenersAreIstiodsThree() {
    List<String> names = new ArrayList<>();
    new EnvoyListenerGenerator()
        .generate(waypoint, scenario.push, Set.of())
        .forEach(r -> names.add(r.name()));
    assertThat(names).containsExactly("connect_terminate", "main_internal", "connect_originate");
  }

  @Test
  void eachServedPortGetsTheChainsOfItsProtocol() {
    assertThat(mainInternalChains().keySet())
        .containsExactlyInAnyOrder(
            "inbound-vip|9080|http|" + host("productpage"),
            "inbound-vip|9080|http|" + host("reviews"),
            "inbound-vip|9080|http|" + host("ratings"),
            "inbound-vip|3306|tcp|" + host("db"),
            // a sniffed port: both
            "inbound-vip|8080|tcp|" + host("legacy"),
            "inbound-vip|8080|http|" + host("legacy"),
            "direct-tcp",
            "direct-http")
        .as("details opts out of the waypoint (istio.io/use-waypoint: none)")
        .noneMatch(n -> n.contains("details"));
  }

  @Test
  void clustersMatchTheChains() {
    List<String> names = new ArrayList<>();
    for (XdsResource r : new EnvoyClusterGenerator().generate(waypoint, scenario.push, Set.of())) {
      names.add(unpack(r.body(), Cluster.class).getName());
    }
    assertThat(names)
        .containsExactlyInAnyOrder(
            "main_internal",
            "encap",
            "connect_originate",
            "inbound-vip|9080|http|" + host("productpage"),
            "inbound-vip|9080|http|" + host("reviews"),
            "inbound-vip|9080|http|" + host("ratings"),
            "inbound-vip|3306|tcp|" + host("db"),
            "inbound-vip|8080|tcp|" + host("legacy"),
            "inbound-vip|8080|http|" + host("legacy"));
  }

  @Test
  void serviceChainsApplyTheServicesPoliciesWithFilterStatePrincipals() {
    Map<String, FilterChain> chains = mainInternalChains();
    List<RBAC> productpage = rbac(chains.get("inbound-vip|9080|http|" + host("productpage")));
    List<RBAC> reviews = rbac(chains.get("inbound-vip|9080|http|" + host("reviews")));
    // productpage: its own DENY (targetRefs Service) and the waypoint's ALLOW (targetRefs Gateway)
    assertThat(productpage).hasSize(2);
    assertThat(productpage.get(0).getRules().getPoliciesMap())
        .containsOnlyKeys("ns[" + NS + "]-policy[productpage-deny]-rule[0]");
    assertThat(productpage.get(1).getRules().getPoliciesMap())
        .containsKey("ns[" + NS + "]-policy[waypoint-allow]-rule[0]");
    // reviews: only the waypoint's
    assertThat(reviews).hasSize(1);
    assertThat(reviews.get(0).getRules().getPoliciesMap())
        .doesNotContainKey("ns[" + NS + "]-policy[productpage-deny]-rule[0]");
    // the source namespace is matched on the identity connect_terminate saved, not the connection
    var principal =
        reviews
            .get(0)
            .getRules()
            .getPoliciesMap()
            .get("ns[" + NS + "]-policy[waypoint-allow]-rule[0]")
            .getPrincipals(0)
            .getAndIds()
            .getIds(0)
            .getOrIds()
            .getIds(0);
    assertThat(principal.hasFilterState()).isTrue();
    assertThat(principal.getFilterState().getKey()).isEqualTo("io.istio.peer_principal");
  }

  @Test
  void routesToServedServicesStayOnTheWaypoint() {
    HttpConnectionManager hcm =
        hcm(mainInternalChains().get("inbound-vip|9080|http|" + host("reviews")));
    var routes = hcm.getRouteConfig().getVirtualHosts(0).getRoutesList();
    assertThat(hcm.getRouteConfig().getVirtualHosts(0).getName()).isEqualTo("inbound|http|9080");
    // the sourceLabels match block is dropped (ambient cannot tell a client's labels)
    assertThat(routes).hasSize(2);
    assertThat(routes.get(0).getRoute().getCluster())
        .isEqualTo("inbound-vip|9080|http|" + host("ratings"));
    assertThat(routes.get(1).getRoute().getWeightedClusters().getClustersList())
        .extracting(c -> c.getName())
        .containsExactly(
            "inbound-vip|9080|http|" + host("reviews"),
            "inbound-vip|9080|http|" + host("productpage"));
  }

  private static HttpConnectionManager hcm(FilterChain chain) {
    return unpack(
        chain.getFilters(chain.getFiltersCount() - 1).getTypedConfig(),
        HttpConnectionManager.class);
  }

  private static List<RBAC> rbac(FilterChain chain) {
    List<RBAC> out = new ArrayList<>();
    for (HttpFilter f : hcm(chain).getHttpFiltersList()) {
      if (f.getName().equals("envoy.filters.http.rbac")) {
        out.add(unpack(f.getTypedConfig(), RBAC.class));
      }
    }
    return out;
  }

  private static <T extends Message> T unpack(Any any, Class<T> type) {
    try {
      return any.unpack(type);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }
}

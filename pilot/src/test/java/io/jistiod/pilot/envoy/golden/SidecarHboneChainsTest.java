package io.jistiod.pilot.envoy.golden;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
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
 * The sidecar of the ambient-sidecar-hbone scenario, whose agent sends ENABLE_HBONE: what its HBONE
 * listeners are made of, next to its ordinary inbound (the golden files pin the rest).
 */
class SidecarHboneChainsTest {
  private static Scenario scenario;
  private static Proxy server;

  @BeforeAll
  static void load() throws Exception {
    scenario = Scenario.load(GoldenScenarioTest.ROOT.resolve("ambient-sidecar-hbone"));
    server = scenario.proxies.get(0).proxy();
  }

  @AfterAll
  static void close() {
    scenario.close();
  }

  private static Map<String, Listener> listeners() {
    Map<String, Listener> out = new LinkedHashMap<>();
    for (XdsResource r : new EnvoyListenerGenerator().generate(server, scenario.push, Set.of())) {
      out.put(r.name(), unpack(r.body(), Listener.class));
    }
    return out;
  }

  @Test
  void hboneListenersFollowTheInboundOneAndPrecedeConnectOriginate() {
    List<String> names = new ArrayList<>(listeners().keySet());
    assertThat(names.subList(names.size() - 5, names.size()))
        .containsExactly(
            "virtualOutbound",
            "virtualInbound",
            "connect_terminate",
            "main_internal",
            "connect_originate");
    assertThat(listeners().get("connect_terminate").getAddress().getSocketAddress().getPortValue())
        .isEqualTo(15008);
  }

  @Test
  void mainInternalRunsEveryPortsChainsInPlaintextForThePodsOwnAddressOnly() {
    Listener mi = listeners().get("main_internal");
    assertThat(mi.hasInternalListener()).isTrue();
    List<String> names = new ArrayList<>();
    for (FilterChain c : mi.getFilterChainsList()) {
      names.add(c.getName());
      // the tunnel was the mutual TLS, whatever the PeerAuthentication (STRICT here) says
      assertThat(c.hasTransportSocket()).as(c.getName()).isFalse();
      assertThat(c.getFilterChainMatch().getTransportProtocol()).as(c.getName()).isEmpty();
      assertThat(c.getFilterChainMatch().getPrefixRangesList())
          .as(c.getName())
          .singleElement()
          .satisfies(r -> assertThat(r.getAddressPrefix()).isEqualTo("10.244.178.10"));
    }
    // ports in order, one chain per port (two for the sniffed one), then passthrough; no
    // blackhole, and the port-level PERMISSIVE port gets no passthrough chains of its own
    assertThat(names)
        .containsExactly(
            "0.0.0.0_7070",
            "0.0.0.0_7070",
            "0.0.0.0_8080",
            "0.0.0.0_8443",
            "0.0.0.0_9000",
            "virtualInbound-catchall-http",
            "virtualInbound");
    // the TLS inspector has nothing to do; original_dst restores the tunnel's destination
    assertThat(mi.getListenerFiltersList())
        .extracting(f -> f.getName())
        .containsExactly(
            "envoy.filters.listener.original_dst", "envoy.filters.listener.http_inspector");
  }

  @Test
  void rbacBehindTheTunnelReadsThePeerFromTheFilterStateAndTheVirtualInboundFromTheConnection() {
    Map<String, Listener> ls = listeners();
    assertThat(principalsOfHttpChain(ls.get("main_internal")))
        .isNotEmpty()
        .allSatisfy(p -> assertThat(p).contains("filter_state").doesNotContain("authenticated"));
    assertThat(principalsOfHttpChain(ls.get("virtualInbound")))
        .isNotEmpty()
        .allSatisfy(p -> assertThat(p).contains("authenticated").doesNotContain("filter_state"));
    for (FilterChain c : ls.get("main_internal").getFilterChainsList()) {
      for (Filter f : c.getFiltersList()) {
        if (f.getName().equals("envoy.filters.network.rbac")) {
          var rbac =
              unpack(
                  f.getTypedConfig(),
                  io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.class);
          assertThat(rbac.toString()).as(c.getName()).doesNotContain("authenticated");
        }
      }
    }
  }

  @Test
  void theMainInternalClusterComesBeforeInboundPassthrough() {
    List<String> names = new ArrayList<>();
    for (XdsResource r : new EnvoyClusterGenerator().generate(server, scenario.push, Set.of())) {
      names.add(unpack(r.body(), Cluster.class).getName());
    }
    assertThat(names)
        .containsSubsequence("inbound|9000||", "main_internal", "InboundPassthroughCluster");
  }

  /** The source principals of the ALLOW RBAC on the port 8080 chain, as text. */
  private static List<String> principalsOfHttpChain(Listener l) {
    List<String> out = new ArrayList<>();
    for (FilterChain c : l.getFilterChainsList()) {
      if (!c.getName().equals("0.0.0.0_8080")) {
        continue;
      }
      HttpConnectionManager hcm =
          unpack(
              c.getFilters(c.getFiltersCount() - 1).getTypedConfig(), HttpConnectionManager.class);
      for (HttpFilter f : hcm.getHttpFiltersList()) {
        if (!f.getName().equals("envoy.filters.http.rbac")) {
          continue;
        }
        RBAC rbac = unpack(f.getTypedConfig(), RBAC.class);
        rbac.getRules()
            .getPoliciesMap()
            .values()
            .forEach(
                p -> {
                  for (Principal pr : p.getPrincipalsList()) {
                    String text = pr.toString();
                    if (text.contains("spiffe") || text.contains("ns/")) {
                      out.add(text);
                    }
                  }
                });
      }
    }
    return out;
  }

  private static <T extends Message> T unpack(Object body, Class<T> type) {
    try {
      if (body instanceof Any a) {
        return a.unpack(type);
      }
      return type.cast(body);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }
}

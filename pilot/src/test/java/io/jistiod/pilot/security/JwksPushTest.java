package io.jistiod.pilot.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import com.sun.net.httpserver.HttpServer;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.config.MemoryConfigStore;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.pilot.envoy.EnvoyGenerators;
import io.jistiod.pilot.envoy.listener.EnvoyListenerGenerator;
import io.jistiod.pilot.envoy.secret.CredentialSource;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.push.PushContextBuilder;
import io.jistiod.pilot.push.PushRequest;
import io.jistiod.pilot.serviceentry.ServiceEntryRegistry;
import io.jistiod.pilot.xds.DiscoveryServer;
import io.jistiod.pilot.xds.GeneratorRegistry;
import io.jistiod.pilot.xds.XdsMetrics;
import io.jistiod.pilot.xds.XdsResource;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** A key set fetched in the background reaches the proxies through the push it triggers. */
class JwksPushTest {
  private static final String KEYS =
      "{\"keys\":[{\"kid\":\"k1\",\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"AQAB\"}]}";

  @Test
  void theFetchOfANewJwksUriPushesTheRealKeys() throws Exception {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    // The key server answers only once the first push was checked: a fetch that is quicker than
    // the first push must not make that check see the real keys.
    CountDownLatch firstPushChecked = new CountDownLatch(1);
    server.createContext(
        "/jwks",
        ex -> {
          try {
            firstPushChecked.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          byte[] b = KEYS.getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(200, b.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
          }
        });
    server.start();
    ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    AtomicReference<DiscoveryServer> discovery = new AtomicReference<>();
    JwksResolver resolver =
        new JwksResolver(
            new JwksFetcher(JwksFetcher.defaultClient(), new SimpleMeterRegistry()),
            executor,
            () -> discovery.get().push(PushRequest.fullForAll("unknown", System.nanoTime())),
            Clock.systemUTC(),
            Duration.ofHours(1),
            Duration.ofHours(1));
    String uri = "http://127.0.0.1:" + server.getAddress().getPort() + "/jwks";
    MemoryConfigStore store = new MemoryConfigStore();
    new ConfigParser(IstioKinds.ALL, JwtFixture.NS)
        .parse(
            """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: web, namespace: app}
            spec:
              hosts: [web.app.svc.cluster.local]
              location: MESH_INTERNAL
              resolution: STATIC
              ports: [{name: http, number: 8080, protocol: HTTP}]
              endpoints: [{address: 10.1.0.5}]
            ---
            """
                + JwtFixture.requestAuthentication(
                    JwtFixture.NS,
                    "remote",
                    "jwtRules:\n- {issuer: remote, jwksUri: '" + uri + "'}\n"),
            "test")
        .configs()
        .forEach(store::put);
    store.markSynced();
    try {
      discovery.set(
          new DiscoveryServer(
              EnvoyGenerators.registerDefaults(new GeneratorRegistry(), CredentialSource.NONE),
              new PushContextBuilder(
                      store, List.of(new ServiceEntryRegistry(store)), "cluster.local")
                  .jwks(resolver),
              new XdsMetrics(new SimpleMeterRegistry(), "test"),
              1,
              DiscoveryServer.DEFAULT_SEND_TIMEOUT));
      discovery.get().start(System.nanoTime());
      Proxy proxy = JwtFixture.sidecar(JwtFixture.NS, Map.of("app", "web"));

      // The first push does not wait for the network: every token is rejected meanwhile.
      assertThat(inlinedKeySets(proxy, discovery.get().current())).containsExactly(FakeJwks.JSON);
      firstPushChecked.countDown();

      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      Set<String> keys = Set.of();
      while (System.nanoTime() < deadline) {
        keys = inlinedKeySets(proxy, discovery.get().current());
        if (keys.contains(KEYS)) {
          break;
        }
        Thread.sleep(20);
      }
      assertThat(keys).containsExactly(KEYS);
    } finally {
      firstPushChecked.countDown();
      resolver.close();
      executor.shutdownNow();
      server.stop(0);
      if (discovery.get() != null) {
        discovery.get().close();
      }
    }
  }

  /** Every JWKS inlined in the proxy's jwt_authn filters. */
  private static Set<String> inlinedKeySets(Proxy proxy, PushContext push) throws Exception {
    Set<String> out = new HashSet<>();
    for (XdsResource r : new EnvoyListenerGenerator().generate(proxy, push, Set.of())) {
      for (FilterChain fc : r.body().unpack(Listener.class).getFilterChainsList()) {
        for (Filter f : fc.getFiltersList()) {
          if (!f.getTypedConfig().is(HttpConnectionManager.class)) {
            continue;
          }
          for (HttpFilter h :
              f.getTypedConfig().unpack(HttpConnectionManager.class).getHttpFiltersList()) {
            if (h.getName().equals(RequestAuthentications.JWT_FILTER_NAME)) {
              unpack(h)
                  .getProvidersMap()
                  .values()
                  .forEach(p -> out.add(p.getLocalJwks().getInlineString()));
            }
          }
        }
      }
    }
    return out;
  }

  private static JwtAuthentication unpack(HttpFilter h) throws InvalidProtocolBufferException {
    return h.getTypedConfig().unpack(JwtAuthentication.class);
  }
}

package io.jistiod.pilot.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The resolver against a JWKS server on 127.0.0.1. */
class JwksResolverTest {
  private static final String KEYS_A =
      "{\"keys\":[{\"kid\":\"a\",\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"aaa\"}]}";
  private static final String KEYS_AB =
      "{\"keys\":[{\"kid\":\"a\",\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"aaa\"},"
          + "{\"kid\":\"b\",\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"bbb\"}]}";
  private static final String KEYS_BA =
      "{\"keys\": [{\"kid\":\"b\",\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"bbb\"},"
          + " {\"kid\":\"a\",\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"aaa\"}]}";
  private static final Duration TIMEOUT = Duration.ofSeconds(2);

  private HttpServer server;
  private String base;
  private final AtomicReference<String> body = new AtomicReference<>(KEYS_A);
  private final AtomicInteger status = new AtomicInteger(200);
  private final AtomicInteger delayMillis = new AtomicInteger();
  private final AtomicInteger gets = new AtomicInteger();
  private final AtomicInteger pushes = new AtomicInteger();
  private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
  private ScheduledExecutorService executor;
  private JwksResolver resolver;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/jwks",
        ex -> {
          gets.incrementAndGet();
          try {
            Thread.sleep(delayMillis.get());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          byte[] b = body.get().getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(status.get(), b.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
          }
        });
    server.createContext(
        "/issuer/.well-known/openid-configuration",
        ex -> {
          byte[] b = ("{\"jwks_uri\":\"" + base + "/jwks\"}").getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(200, b.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
          }
        });
    server.setExecutor(Executors.newCachedThreadPool());
    server.start();
    base = "http://127.0.0.1:" + server.getAddress().getPort();
    executor = Executors.newSingleThreadScheduledExecutor();
  }

  @AfterEach
  void stop() {
    if (resolver != null) {
      resolver.close();
    }
    executor.shutdownNow();
    server.stop(0);
  }

  private JwksResolver resolver(Duration refresh, Duration onFailure) {
    resolver =
        new JwksResolver(
            new JwksFetcher(JwksFetcher.defaultClient(), metrics),
            executor,
            pushes::incrementAndGet,
            Clock.systemUTC(),
            refresh,
            onFailure);
    return resolver;
  }

  private Optional<String> ask(String uri, Duration timeout) {
    return resolver.jwks(
        "https://issuer", uri, timeout, "RequestAuthentication app/ra spec.jwtRules[0]");
  }

  private double counter(String name) {
    return metrics.counter(name).count();
  }

  /** Waits for the resolver's thread to finish what was queued before. */
  private void drain() throws Exception {
    executor.submit(() -> {}).get(10, TimeUnit.SECONDS);
  }

  @Test
  void unknownKeySetIsFetchedInTheBackgroundThenPushed() throws Exception {
    resolver(Duration.ofHours(1), Duration.ofHours(1));
    // The push that first names the URI does not wait: it gets nothing (the fake JWKS).
    assertThat(ask(base + "/jwks", TIMEOUT)).isEmpty();
    drain();
    assertThat(pushes.get()).isEqualTo(1);
    assertThat(ask(base + "/jwks", TIMEOUT)).contains(KEYS_A);
    assertThat(gets.get()).isEqualTo(1);
    assertThat(counter("pilot_jwks_resolver_network_fetch_success_total")).isEqualTo(1);
    assertThat(counter("pilot_jwks_resolver_network_fetch_fail_total")).isZero();
  }

  @Test
  void notFoundKeepsTheRejectingJwksAndCountsAFailure() throws Exception {
    status.set(404);
    body.set("no such thing");
    resolver(Duration.ofHours(1), Duration.ofHours(1));
    assertThat(ask(base + "/jwks", TIMEOUT)).isEmpty();
    drain();
    assertThat(ask(base + "/jwks", TIMEOUT)).isEmpty();
    assertThat(pushes.get()).isZero();
    assertThat(counter("pilot_jwks_resolver_network_fetch_fail_total")).isEqualTo(1);
  }

  @Test
  void aSlowServerTimesOut() throws Exception {
    delayMillis.set(3000);
    resolver(Duration.ofHours(1), Duration.ofHours(1));
    assertThat(ask(base + "/jwks", Duration.ofMillis(200))).isEmpty();
    drain();
    assertThat(ask(base + "/jwks", Duration.ofMillis(200))).isEmpty();
    assertThat(pushes.get()).isZero();
    assertThat(counter("pilot_jwks_resolver_network_fetch_fail_total")).isEqualTo(1);
  }

  @Test
  void aBodyThatIsNoKeySetIsNotInlined() throws Exception {
    body.set("<html>login</html>");
    resolver(Duration.ofHours(1), Duration.ofHours(1));
    assertThat(ask(base + "/jwks", TIMEOUT)).isEmpty();
    drain();
    assertThat(ask(base + "/jwks", TIMEOUT)).isEmpty();
    assertThat(pushes.get()).isZero();
  }

  @Test
  void unreachableServerIsAFailure() throws Exception {
    server.stop(0);
    resolver(Duration.ofHours(1), Duration.ofHours(1));
    assertThat(ask(base + "/jwks", TIMEOUT)).isEmpty();
    drain();
    assertThat(ask(base + "/jwks", TIMEOUT)).isEmpty();
    assertThat(counter("pilot_jwks_resolver_network_fetch_fail_total")).isEqualTo(1);
  }

  @Test
  void issuerWithoutUriIsResolvedByOpenIdDiscovery() throws Exception {
    resolver(Duration.ofHours(1), Duration.ofHours(1));
    assertThat(resolver.jwks(base + "/issuer/", "", TIMEOUT, "ra")).isEmpty();
    drain();
    assertThat(resolver.jwks(base + "/issuer/", "", TIMEOUT, "ra")).contains(KEYS_A);
    assertThat(counter("pilot_jwks_resolver_network_fetch_success_total")).isEqualTo(2);
  }

  @Test
  void refreshPushesWhenTheKeySetChangesAndOnlyThen() throws Exception {
    resolver(Duration.ofHours(1), Duration.ofHours(1));
    ask(base + "/jwks", TIMEOUT);
    drain();
    assertThat(pushes.get()).isEqualTo(1);

    body.set(KEYS_A.replace("{", "{ "));
    executor.submit(resolver::refreshAll).get(10, TimeUnit.SECONDS);
    assertThat(pushes.get()).as("same keys, other whitespace").isEqualTo(1);

    body.set(KEYS_AB);
    executor.submit(resolver::refreshAll).get(10, TimeUnit.SECONDS);
    assertThat(pushes.get()).isEqualTo(2);
    assertThat(ask(base + "/jwks", TIMEOUT)).contains(KEYS_AB);

    body.set(KEYS_BA);
    executor.submit(resolver::refreshAll).get(10, TimeUnit.SECONDS);
    assertThat(pushes.get()).as("same keys, other order").isEqualTo(2);
  }

  @Test
  void aFailedRefreshKeepsTheKeysFetchedBefore() throws Exception {
    resolver(Duration.ofHours(1), Duration.ofHours(1));
    ask(base + "/jwks", TIMEOUT);
    drain();
    status.set(500);
    executor.submit(resolver::refreshAll).get(10, TimeUnit.SECONDS);
    assertThat(ask(base + "/jwks", TIMEOUT)).contains(KEYS_A);
    assertThat(pushes.get()).isEqualTo(1);
  }

  @Test
  void theRefreshJobRunsOnItsOwnAndPushesNewKeys() throws Exception {
    resolver(Duration.ofMillis(100), Duration.ofMillis(100));
    ask(base + "/jwks", TIMEOUT);
    drain();
    body.set(KEYS_AB);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (pushes.get() < 2 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(pushes.get()).isGreaterThanOrEqualTo(2);
    assertThat(ask(base + "/jwks", TIMEOUT)).contains(KEYS_AB);
  }

  @Test
  void aFailedFirstFetchIsRetriedSoonAndPushesOnceItWorks() throws Exception {
    status.set(503);
    resolver(Duration.ofHours(1), Duration.ofMillis(100));
    ask(base + "/jwks", TIMEOUT);
    drain();
    status.set(200);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (pushes.get() < 1 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(pushes.get()).isEqualTo(1);
    assertThat(ask(base + "/jwks", TIMEOUT)).contains(KEYS_A);
  }

  private static io.jistiod.galley.config.Config policy(String jwtRules) {
    var r =
        new io.jistiod.galley.parse.ConfigParser(io.jistiod.galley.config.IstioKinds.ALL, "app")
            .parse(JwtFixture.requestAuthentication("app", "ra", jwtRules), "test");
    assertThat(r.errors()).isEmpty();
    return r.configs().get(0);
  }

  @Test
  void admissionWarnsWhenTheJwksCannotBeFetched() {
    status.set(404);
    resolver(Duration.ofHours(1), Duration.ofHours(1));
    var analyzer = new JwksUriAnalyzer(resolver, Duration.ofSeconds(5));
    var messages =
        analyzer.analyze(
            policy(
                "jwtRules:\n- {issuer: inline, jwks: '"
                    + KEYS_A
                    + "'}\n"
                    + "- {issuer: remote, jwksUri: '"
                    + base
                    + "/jwks'}\n"),
            null);
    assertThat(messages).hasSize(1);
    assertThat(messages.get(0).toString())
        .isEqualTo(
            "JST0010 (RequestAuthentication app/ra) spec.jwtRules[1].jwksUri: istiod cannot fetch"
                + " the JWKS from "
                + base
                + "/jwks: status 404, message {\"keys\":[{\"kid\":\"a\",\"kty\":\"RSA\","
                + "\"e\":\"AQAB\",\"n\":\"aaa\"}]}; until it can, every token of jwtRules[1] is"
                + " rejected (401)");
  }

  @Test
  void admissionDoesNotWarnWhenTheJwksIsFetchedOrStillComing() {
    resolver(Duration.ofHours(1), Duration.ofHours(1));
    var analyzer = new JwksUriAnalyzer(resolver, Duration.ofSeconds(5));
    assertThat(
            analyzer.analyze(
                policy("jwtRules:\n- {issuer: remote, jwksUri: '" + base + "/jwks'}\n"), null))
        .isEmpty();
    delayMillis.set(4000);
    var impatient = new JwksUriAnalyzer(resolver, Duration.ofMillis(100));
    long start = System.nanoTime();
    assertThat(
            impatient.analyze(
                policy("jwtRules:\n- {issuer: slow, jwksUri: '" + base + "/jwks?slow'}\n"), null))
        .isEmpty();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(3000));
  }
}

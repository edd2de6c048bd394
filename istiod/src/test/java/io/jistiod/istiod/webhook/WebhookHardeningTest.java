package io.jistiod.istiod.webhook;

import static io.jistiod.istiod.webhook.ValidationWebhookServerTest.VALID_VS;
import static io.jistiod.istiod.webhook.ValidationWebhookServerTest.review;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.validation.NetworkingValidators;
import io.jistiod.galley.webhook.AdmissionHandler;
import io.jistiod.galley.webhook.ConfigAdmission;
import io.jistiod.galley.webhook.WebhookMetrics;
import io.jistiod.istiod.http.ServerLimits;
import io.jistiod.istiod.security.ServingKeyManager;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The webhook port under the requests that took the JDK server down or reset its connections. */
class WebhookHardeningTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private SelfSignedWebhookCertificate cert;
  private ServingKeyManager serving;
  private AdmissionHandler handler;
  private ValidationWebhookServer server;
  private HttpClient client;

  @BeforeEach
  void setUp() throws Exception {
    cert =
        SelfSignedWebhookCertificate.generate(
            List.of("localhost"), List.of("127.0.0.1"), Clock.systemUTC());
    serving = new ServingKeyManager();
    serving.set(cert.serving());
    handler =
        new AdmissionHandler(
            new ConfigAdmission(IstioKinds.ALL, NetworkingValidators.forKinds()),
            new WebhookMetrics(registry));
    client = TestClients.client(cert.root());
  }

  @AfterEach
  void tearDown() {
    if (server != null) {
      server.close();
    }
  }

  private void start(
      UnaryOperator<byte[]> validator,
      BooleanSupplier ready,
      Duration timeout,
      ServerLimits limits,
      int validations)
      throws Exception {
    server =
        ValidationWebhookServer.start(
            new InetSocketAddress("127.0.0.1", 0),
            serving,
            handler,
            validator,
            ready,
            timeout,
            limits,
            validations);
  }

  private URI uri(String path) {
    return URI.create("https://127.0.0.1:" + server.port() + path);
  }

  private HttpResponse<String> post(String body) throws Exception {
    return client.send(request(body), HttpResponse.BodyHandlers.ofString());
  }

  private HttpRequest request(String body) {
    return HttpRequest.newBuilder(uri("/validate"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
  }

  private int ready() throws Exception {
    return client
        .send(
            HttpRequest.newBuilder(uri("/ready")).GET().build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  @Test
  void fortyConcurrentOneMebibyteRequestsOverTlsAreAllAnswered() throws Exception {
    start(
        handler::handle,
        () -> true,
        ValidationWebhookServer.DEFAULT_REQUEST_TIMEOUT,
        ServerLimits.WEBHOOK,
        ValidationBulkhead.defaultSize());
    // A valid review padded with whitespace to 1 MiB; 40 connections at once (HTTP/1.1, so each
    // request is its own connection and TLS handshake, as the attack had it).
    String big = review(VALID_VS + " ".repeat(1 << 20));
    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      HttpClient own = TestClients.client(cert.root());
      calls.add(own.sendAsync(request(big), HttpResponse.BodyHandlers.ofString()));
    }
    int ok = 0;
    List<String> failures = new ArrayList<>();
    for (CompletableFuture<HttpResponse<String>> c : calls) {
      try {
        HttpResponse<String> r = c.get(60, TimeUnit.SECONDS);
        if (r.statusCode() == 200 && r.body().contains("\"allowed\":true")) {
          ok++;
        } else {
          failures.add(r.statusCode() + " " + r.body());
        }
      } catch (Exception e) {
        failures.add(e.toString());
      }
    }
    assertThat(failures).as("resets or errors").isEmpty();
    assertThat(ok).isEqualTo(40);
  }

  @Test
  void anOutOfMemoryErrorInValidationDeniesAndTheServerServesOn() throws Exception {
    AtomicBoolean readyThrows = new AtomicBoolean();
    start(
        body -> {
          if (new String(body, StandardCharsets.UTF_8).contains("boom")) {
            throw new OutOfMemoryError("Java heap space (test)");
          }
          return handler.handle(body);
        },
        () -> {
          if (readyThrows.getAndSet(false)) {
            throw new OutOfMemoryError("Java heap space (test, in /ready)");
          }
          return true;
        },
        ValidationWebhookServer.DEFAULT_REQUEST_TIMEOUT,
        ServerLimits.WEBHOOK,
        2);
    // More failures than there are threads: none is lost.
    for (int i = 0; i < 40; i++) {
      HttpResponse<String> r = post(review(VALID_VS.replace("reviews\"]", "boom\"]")));
      assertThat(r.statusCode()).isEqualTo(200);
      JsonNode out = JSON.readTree(r.body());
      assertThat(out.path("response").path("uid").asText()).isEqualTo("7c1e");
      assertThat(out.path("response").path("allowed").asBoolean()).isFalse();
      assertThat(out.path("response").path("status").path("message").asText())
          .contains("validation failed")
          .contains("OutOfMemoryError");
    }
    // Thrown outside validation: a 500 for that request only.
    readyThrows.set(true);
    assertThat(ready()).isEqualTo(500);
    assertThat(ready()).isEqualTo(200);
    assertThat(post(review(VALID_VS)).body()).contains("\"allowed\":true");
    assertThat(server.healthy()).isTrue();
  }

  @Test
  void aClientTricklingItsHeadersIsCut() throws Exception {
    start(
        handler::handle,
        () -> true,
        ValidationWebhookServer.DEFAULT_REQUEST_TIMEOUT,
        ServerLimits.WEBHOOK.withRequestHeaderTimeout(Duration.ofMillis(500)),
        2);
    try (SSLSocket s =
        (SSLSocket)
            TestClients.trusting(cert.root())
                .getSocketFactory()
                .createSocket("127.0.0.1", server.port())) {
      s.setSoTimeout(10_000);
      s.startHandshake();
      long started = System.nanoTime();
      CompletableFuture<Boolean> closed =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  InputStream in = s.getInputStream();
                  while (in.read() >= 0) {
                    // nothing is answered to an unfinished request
                  }
                  return true;
                } catch (Exception e) {
                  return !(e instanceof java.net.SocketTimeoutException);
                }
              });
      OutputStream out = s.getOutputStream();
      byte[] headers =
          "POST /validate HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
              .getBytes(StandardCharsets.US_ASCII);
      try {
        for (int i = 0; i < headers.length && !closed.isDone(); i++) {
          out.write(headers[i]);
          out.flush();
          Thread.sleep(50);
        }
      } catch (java.io.IOException e) {
        // cut while writing
      }
      assertThat(closed.get(10, TimeUnit.SECONDS)).as("closed by the server").isTrue();
      long millis = (System.nanoTime() - started) / 1_000_000;
      System.out.printf("slowloris (1 header byte / 50 ms) cut after %d ms%n", millis);
      assertThat(millis).isBetween(400L, 2_000L);
    }
    assertThat(post(review(VALID_VS)).statusCode()).isEqualTo(200);
  }

  @Test
  void validationsPastTheBulkheadAre429InsteadOfPilingUp() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    start(
        body -> {
          try {
            release.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return handler.handle(body);
        },
        () -> true,
        Duration.ofSeconds(1),
        ServerLimits.WEBHOOK,
        1);
    CompletableFuture<HttpResponse<String>> first =
        client.sendAsync(request(review(VALID_VS)), HttpResponse.BodyHandlers.ofString());
    Thread.sleep(200);
    HttpResponse<String> second =
        TestClients.client(cert.root())
            .send(request(review(VALID_VS)), HttpResponse.BodyHandlers.ofString());
    assertThat(second.statusCode()).isEqualTo(429);
    assertThat(second.headers().firstValue("Retry-After")).hasValue("1");
    // The first is denied at its deadline; its permit comes back when its work ends.
    assertThat(first.get(10, TimeUnit.SECONDS).body()).contains("did not finish");
    release.countDown();
    Thread.sleep(200);
    assertThat(post(review(VALID_VS)).body()).contains("\"allowed\":true");
    assertThat(registry.get("galley_validation_http_error").tag("status", "429").counter().count())
        .isEqualTo(1.0);
  }

  @Test
  void servesHttp2OverTls() throws Exception {
    start(
        handler::handle,
        () -> true,
        ValidationWebhookServer.DEFAULT_REQUEST_TIMEOUT,
        ServerLimits.WEBHOOK,
        2);
    HttpClient h2 =
        HttpClient.newBuilder()
            .sslContext(TestClients.trusting(cert.root()))
            .version(HttpClient.Version.HTTP_2)
            .build();
    HttpResponse<String> r =
        h2.send(request(review(VALID_VS)), HttpResponse.BodyHandlers.ofString());
    assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).contains("\"allowed\":true");
    // Streams multiplexed on that connection.
    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      calls.add(h2.sendAsync(request(review(VALID_VS)), HttpResponse.BodyHandlers.ofString()));
    }
    for (CompletableFuture<HttpResponse<String>> c : calls) {
      assertThat(c.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void bulkheadIsSizedByHeapAndProcessors() {
    long mib = 1024 * 1024;
    assertThat(ValidationBulkhead.sizeFor(256 * mib, 8)).isEqualTo(1);
    assertThat(ValidationBulkhead.sizeFor(1024 * mib, 8)).isEqualTo(4);
    assertThat(ValidationBulkhead.sizeFor(16 * 1024 * mib, 2)).isEqualTo(4);
  }
}

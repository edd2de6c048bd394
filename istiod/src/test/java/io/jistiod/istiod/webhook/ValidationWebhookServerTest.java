package io.jistiod.istiod.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.validation.NetworkingValidators;
import io.jistiod.galley.webhook.AdmissionHandler;
import io.jistiod.galley.webhook.ConfigAdmission;
import io.jistiod.galley.webhook.WebhookMetrics;
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
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ValidationWebhookServerTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final AtomicBoolean ready = new AtomicBoolean(true);
  private SelfSignedWebhookCertificate cert;
  private ServingKeyManager serving;
  private ValidationWebhookServer server;
  private HttpClient client;

  @BeforeEach
  void start() throws Exception {
    cert =
        SelfSignedWebhookCertificate.generate(
            List.of("istiod.istio-system.svc", "localhost"),
            List.of("127.0.0.1"),
            Clock.systemUTC());
    serving = new ServingKeyManager();
    serving.set(cert.serving());
    server = start(ValidationWebhookServer.DEFAULT_REQUEST_TIMEOUT);
    client = TestClients.client(cert.root());
  }

  private ValidationWebhookServer start(Duration timeout) throws Exception {
    return ValidationWebhookServer.start(
        new InetSocketAddress("127.0.0.1", 0),
        serving,
        new AdmissionHandler(
            new ConfigAdmission(IstioKinds.ALL, NetworkingValidators.forKinds()),
            new WebhookMetrics(registry)),
        ready::get,
        timeout);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private URI uri(String path) {
    return URI.create("https://127.0.0.1:" + server.port() + path);
  }

  static String review(String object) {
    return """
        {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
         "request": {"uid": "7c1e", "operation": "CREATE",
           "kind": {"group": "networking.istio.io", "version": "v1", "kind": "VirtualService"},
           "resource": {"group": "networking.istio.io", "version": "v1",
                        "resource": "virtualservices"},
           "name": "reviews", "namespace": "ns1", "object": %s}}
        """
        .formatted(object);
  }

  static final String VALID_VS =
      """
      {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
       "metadata": {"name": "reviews", "namespace": "ns1"},
       "spec": {"hosts": ["reviews"], "http": [{"route": [{"destination": {"host": "reviews"}}]}]}}
      """;

  static final String INVALID_VS =
      """
      {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
       "metadata": {"name": "reviews", "namespace": "ns1"},
       "spec": {"hosts": ["reviews"],
                "http": [{"route": [{"destination": {"host": "reviews"}, "weight": -1}]}]}}
      """;

  private HttpResponse<String> post(String path, String contentType, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void validatesOnBothPaths() throws Exception {
    for (String path : List.of("/validate", "/validate/", "/validate/extra")) {
      HttpResponse<String> r = post(path, "application/json", review(VALID_VS));
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
      JsonNode out = JSON.readTree(r.body());
      assertThat(out.path("apiVersion").asText()).isEqualTo("admission.k8s.io/v1");
      assertThat(out.path("response").path("uid").asText()).isEqualTo("7c1e");
      assertThat(out.path("response").path("allowed").asBoolean()).isTrue();
    }
    JsonNode denied =
        JSON.readTree(post("/validate", "application/json", review(INVALID_VS)).body());
    assertThat(denied.path("response").path("allowed").asBoolean()).isFalse();
    assertThat(denied.path("response").path("status").path("message").asText())
        .startsWith("configuration is invalid: ")
        .contains("spec.http[0].route[0].weight");
    assertThat(post("/validatex", "application/json", review(VALID_VS)).statusCode())
        .isEqualTo(404);
  }

  @Test
  void otherContentTypesAre415() throws Exception {
    assertThat(post("/validate", "text/yaml", review(VALID_VS)).statusCode()).isEqualTo(415);
    assertThat(post("/validate", null, review(VALID_VS)).statusCode()).isEqualTo(415);
    assertThat(registry.get("galley_validation_http_error").tag("status", "415").counter().count())
        .isEqualTo(2.0);
  }

  @Test
  void anEmptyBodyIs400() throws Exception {
    HttpResponse<String> r = post("/validate", "application/json", "");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).isEqualTo("no body found\n");
  }

  @Test
  void aBodyOverSixMebibytesIs400WithoutBeingBuffered() throws Exception {
    // Declared up front: refused before a byte of the body is sent or read.
    try (SSLSocket s = socket()) {
      send(s, "Content-Type: application/json\r\nContent-Length: " + (64L << 20) + "\r\n\r\n");
      assertThat(statusLine(s)).isEqualTo("HTTP/1.1 400");
    }

    // Chunked, length unknown, 64 MiB made as it is sent: the read stops at the cap. The server
    // may be closing the connection while the client still sends; either way it answers 400
    // without reading (or holding) the rest.
    long size = 64L * 1024 * 1024;
    HttpRequest chunked =
        HttpRequest.newBuilder(uri("/validate"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new Zeros(size)))
            .build();
    try {
      HttpResponse<String> c = client.send(chunked, HttpResponse.BodyHandlers.ofString());
      assertThat(c.statusCode()).isEqualTo(400);
      assertThat(c.body()).contains("limit is 6291456");
    } catch (java.io.IOException e) {
      // connection closed mid-upload: also a refusal, counted below
    }
    assertThat(registry.get("galley_validation_http_error").tag("status", "400").counter().count())
        .isEqualTo(2.0);

    // Exactly at the cap is still read (and denied as JSON, since it is not a review).
    String atCap = " ".repeat(ValidationWebhookServer.MAX_BODY_BYTES - 2) + "{}";
    HttpResponse<String> full = post("/validate", "application/json", atCap);
    assertThat(full.statusCode()).isEqualTo(200);
    assertThat(full.body()).contains("\"allowed\":false");
    // And the server still serves.
    assertThat(post("/validate", "application/json", review(VALID_VS)).statusCode()).isEqualTo(200);
  }

  private SSLSocket socket() throws Exception {
    return (SSLSocket)
        TestClients.trusting(cert.root())
            .getSocketFactory()
            .createSocket("127.0.0.1", server.port());
  }

  private static void send(SSLSocket s, String headers) throws Exception {
    OutputStream out = s.getOutputStream();
    out.write(
        ("POST /validate HTTP/1.1\r\nHost: x\r\n" + headers).getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  private static String statusLine(SSLSocket s) throws Exception {
    s.setSoTimeout(10_000);
    return new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
  }

  @Test
  void aBodyThatDoesNotArriveInTimeIs408() throws Exception {
    server.close();
    server = start(Duration.ofMillis(300));
    try (SSLSocket s = socket()) {
      send(s, "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n");
      // The answer is read as it comes: the server closes the connection after it, so a write
      // past that point may fail.
      java.util.concurrent.CompletableFuture<String> status =
          java.util.concurrent.CompletableFuture.supplyAsync(
              () -> {
                try {
                  return statusLine(s);
                } catch (Exception e) {
                  return e.toString();
                }
              });
      for (int i = 0; i < 8 && !status.isDone(); i++) {
        s.getOutputStream().write(' ');
        s.getOutputStream().flush();
        Thread.sleep(100);
      }
      assertThat(status.get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("HTTP/1.1 408");
    }
    // The stalled client cost no thread: the server still answers.
    assertThat(post("/validate", "application/json", review(VALID_VS)).statusCode()).isEqualTo(200);
  }

  @Test
  void readyReportsIstiodsReadiness() throws Exception {
    HttpRequest get = HttpRequest.newBuilder(uri("/ready")).GET().build();
    assertThat(client.send(get, HttpResponse.BodyHandlers.discarding()).statusCode())
        .isEqualTo(200);
    ready.set(false);
    assertThat(client.send(get, HttpResponse.BodyHandlers.discarding()).statusCode())
        .isEqualTo(503);
  }

  @Test
  void tlsBelow12IsRefused() throws Exception {
    javax.net.ssl.SSLContext ctx = TestClients.trusting(cert.root());
    try (SSLSocket s =
        (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", server.port())) {
      s.setEnabledProtocols(new String[] {"TLSv1.1"});
      assertThatThrownBy(s::startHandshake).isInstanceOf(java.io.IOException.class);
    }
    try (SSLSocket s =
        (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", server.port())) {
      s.setEnabledProtocols(new String[] {"TLSv1.2"});
      s.startHandshake();
      assertThat(s.getSession().getProtocol()).isEqualTo("TLSv1.2");
      assertThat(s.getSession().getCipherSuite()).contains("GCM");
    }
  }

  @Test
  void aRenewedCertificateIsServedFromTheNextHandshake() throws Exception {
    SelfSignedWebhookCertificate other =
        SelfSignedWebhookCertificate.generate(
            List.of("localhost"), List.of("127.0.0.1"), Clock.systemUTC());
    serving.set(other.serving());
    HttpClient oldTrust = TestClients.client(cert.root());
    HttpRequest req = HttpRequest.newBuilder(uri("/ready")).GET().build();
    assertThatThrownBy(() -> oldTrust.send(req, HttpResponse.BodyHandlers.discarding()))
        .isInstanceOf(SSLHandshakeException.class);
    assertThat(
            TestClients.client(other.root())
                .send(req, HttpResponse.BodyHandlers.discarding())
                .statusCode())
        .isEqualTo(200);
  }

  @Test
  void latencyOfOneValidation() throws Exception {
    String body = review(VALID_VS);
    for (int i = 0; i < 200; i++) {
      post("/validate", "application/json", body); // warm up
    }
    List<Long> micros = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      long t = System.nanoTime();
      HttpResponse<String> r = post("/validate", "application/json", body);
      micros.add((System.nanoTime() - t) / 1000);
      assertThat(r.statusCode()).isEqualTo(200);
    }
    Collections.sort(micros);
    System.out.printf(
        "validation request over HTTPS (keep-alive), 200 requests: p50 %d us, p90 %d us, p99 %d"
            + " us%n",
        micros.get(100), micros.get(180), micros.get(198));
    assertThat(micros.get(100)).isLessThan(100_000);

    // The same review without HTTP and TLS: what validation itself costs.
    AdmissionHandler handler =
        new AdmissionHandler(
            new ConfigAdmission(IstioKinds.ALL, NetworkingValidators.forKinds()),
            WebhookMetrics.NONE);
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    List<Long> direct = new ArrayList<>();
    for (int i = 0; i < 2200; i++) {
      long t = System.nanoTime();
      handler.handle(bytes);
      if (i >= 2000) {
        direct.add((System.nanoTime() - t) / 1000);
      }
    }
    Collections.sort(direct);
    System.out.printf(
        "AdmissionHandler.handle alone, 200 reviews: p50 %d us, p90 %d us%n",
        direct.get(100), direct.get(180));
  }

  /** {@code size} zero bytes, made as they are read. */
  private static final class Zeros extends InputStream {
    private long left;

    Zeros(long size) {
      this.left = size;
    }

    @Override
    public int read() {
      if (left <= 0) {
        return -1;
      }
      left--;
      return ' ';
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (left <= 0) {
        return -1;
      }
      int n = (int) Math.min(len, left);
      java.util.Arrays.fill(b, off, off + n, (byte) ' ');
      left -= n;
      return n;
    }
  }
}

package io.jistiod.istiod.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

class HttpEndpointsTest {
  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private HttpResponse<String> send(int port, String method, String path) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void servesTextOnExactPathsWithStatusAndContentType() throws Exception {
    try (HttpEndpoints http = new HttpEndpoints(new InetSocketAddress("127.0.0.1", 0), "test")) {
      http.text("/ready", "text/plain", () -> new HttpEndpoints.Response(503, "not ready\n"))
          .text("/metrics", "text/plain; version=0.0.4", () -> HttpEndpoints.Response.ok("a 1\n"));
      http.start();
      HttpResponse<String> ready = send(http.port(), "GET", "/ready");
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(ready.body()).isEqualTo("not ready\n");
      HttpResponse<String> metrics = send(http.port(), "GET", "/metrics");
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.headers().firstValue("Content-Type"))
          .hasValueSatisfying(v -> assertThat(v).startsWith("text/plain; version=0.0.4"));
      assertThat(metrics.body()).isEqualTo("a 1\n");
      assertThat(send(http.port(), "HEAD", "/metrics").statusCode()).isEqualTo(200);
      assertThat(send(http.port(), "POST", "/metrics").statusCode()).isEqualTo(405);
      assertThat(send(http.port(), "GET", "/nothing").statusCode()).isEqualTo(404);
    }
  }

  @Test
  void anOutOfMemoryErrorInAHandlerIsA500AndTheServerServesOn() throws Exception {
    try (HttpEndpoints http = new HttpEndpoints(new InetSocketAddress("127.0.0.1", 0), "test")) {
      http.text(
              "/oom",
              "text/plain",
              () -> {
                throw new OutOfMemoryError("Java heap space (test)");
              })
          .text("/ready", "text/plain", () -> HttpEndpoints.Response.ok(""));
      http.start();
      // More failures than the pool has threads: no thread is lost.
      for (int i = 0; i < 3 * ServerLimits.ENDPOINTS.maxThreads(); i++) {
        assertThat(send(http.port(), "GET", "/oom").statusCode()).isEqualTo(500);
      }
      assertThat(send(http.port(), "GET", "/ready").statusCode()).isEqualTo(200);
      assertThat(http.healthy()).isTrue();
    }
  }

  @Test
  void healthFollowsAWedgedPoolAndComesBack() throws Exception {
    ServerLimits limits =
        new ServerLimits(
            4,
            8,
            Duration.ofSeconds(30),
            Duration.ofSeconds(10),
            16 * 1024,
            Duration.ofMillis(600));
    CountDownLatch unblock = new CountDownLatch(1);
    try (HttpEndpoints http =
        new HttpEndpoints(new InetSocketAddress("127.0.0.1", 0), "test", limits)) {
      http.text(
          "/stuck",
          "text/plain",
          () -> {
            try {
              unblock.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            return HttpEndpoints.Response.ok("");
          });
      http.start();
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(http::healthy);
      // Every handler thread stuck (4 threads: one acceptor, one selector, two handlers).
      for (int i = 0; i < 4; i++) {
        client.sendAsync(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + "/stuck"))
                .build(),
            HttpResponse.BodyHandlers.discarding());
      }
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !http.healthy());
      unblock.countDown();
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(http::healthy);
      http.close();
      assertThat(http.healthy()).as("stopped").isFalse();
    }
  }

  @Test
  void aGuardedPathAnswers401WhenTheCheckRefusesTheCaller() throws Exception {
    try (HttpEndpoints http = new HttpEndpoints(new InetSocketAddress("127.0.0.1", 0), "test")) {
      java.util.List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
      http.text("/debug/x", "text/plain", () -> HttpEndpoints.Response.ok("secret"))
          .text("/metrics", "text/plain", () -> HttpEndpoints.Response.ok("m"))
          .guard(
              "/debug/",
              (peer, authorization) -> {
                seen.add(peer.getAddress().getHostAddress() + " " + authorization);
                return "Bearer good".equals(authorization);
              });
      http.start();
      HttpResponse<String> refused = send(http.port(), "GET", "/debug/x");
      assertThat(refused.statusCode()).isEqualTo(401);
      assertThat(refused.body()).isEmpty();
      HttpResponse<String> allowed =
          client.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + "/debug/x"))
                  .header("Authorization", "Bearer good")
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(allowed.statusCode()).isEqualTo(200);
      assertThat(allowed.body()).isEqualTo("secret");
      // paths outside the guard are not checked
      assertThat(send(http.port(), "GET", "/metrics").statusCode()).isEqualTo(200);
      assertThat(seen).containsExactly("127.0.0.1 null", "127.0.0.1 Bearer good");
    }
  }
}

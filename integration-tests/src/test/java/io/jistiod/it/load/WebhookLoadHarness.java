package io.jistiod.it.load;

import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.validation.NetworkingValidators;
import io.jistiod.galley.webhook.AdmissionHandler;
import io.jistiod.galley.webhook.ConfigAdmission;
import io.jistiod.galley.webhook.WebhookMetrics;
import io.jistiod.istiod.security.ServingKeyManager;
import io.jistiod.istiod.webhook.SelfSignedWebhookCertificate;
import io.jistiod.istiod.webhook.ValidationWebhookServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * The adversarial webhook load harness: istiod's webhook server (the production class, with the
 * real validation) on 127.0.0.1, and for a bounded time, at once: small valid objects (their
 * latency is the figure that matters), invalid ones, huge ones (5 MiB valid, 7 MiB over the cap),
 * pathological ones (the nested-repeat regex {@code ((a{1000}){1000}){1000}}, 60,000 hosts), and
 * slow clients (headers or body trickled). It prints the requests by kind and status, the p50 and
 * p99 latency of the small valid objects, the heap in use before and after (after a GC), and lost
 * responses: requests of well-behaved clients that got no HTTP answer (must be 0).
 *
 * <p>Run with {@code integration-tests/load/webhook.sh [SECONDS] [KINDS-TO-SKIP]} (default 60 s,
 * every kind; e.g. {@code 60 regex-nested-repeat}). Not a test.
 */
public final class WebhookLoadHarness {
  private static final String VALID_VS =
      """
      {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
       "metadata": {"name": "reviews-%d", "namespace": "ns1"},
       "spec": {"hosts": ["reviews"], "http": [{"route": [{"destination": {"host": "reviews"}}]}]}}
      """;
  private static final String INVALID_VS =
      """
      {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
       "metadata": {"name": "bad", "namespace": "ns1"},
       "spec": {"hosts": ["reviews"],
                "http": [{"route": [{"destination": {"host": "reviews"}, "weight": -1}]}]}}
      """;
  private static final String REGEX_VS =
      """
      {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
       "metadata": {"name": "regex", "namespace": "ns1"},
       "spec": {"hosts": ["reviews"],
                "http": [{"match": [{"uri": {"regex": "((a{1000}){1000}){1000}"}}],
                          "route": [{"destination": {"host": "reviews"}}]}]}}
      """;

  private final Map<String, AtomicLong> counts = new ConcurrentSkipListMap<>();
  private final List<Long> smallMicros = Collections.synchronizedList(new ArrayList<>());
  private final AtomicLong lost = new AtomicLong();
  private final Map<String, String> lostExamples = new ConcurrentHashMap<>();
  private java.util.Set<String> skip = java.util.Set.of();
  private SSLContext trust;
  private int port;

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 60;
    WebhookLoadHarness h = new WebhookLoadHarness();
    if (args.length > 1) {
      h.skip = java.util.Set.of(args[1].split(","));
    }
    h.run(Duration.ofSeconds(seconds));
    System.exit(0);
  }

  private void run(Duration length) throws Exception {
    SelfSignedWebhookCertificate cert =
        SelfSignedWebhookCertificate.generate(
            List.of("localhost"), List.of("127.0.0.1"), Clock.systemUTC());
    ServingKeyManager keys = new ServingKeyManager();
    keys.set(cert.serving());
    trust = trusting(cert);
    AdmissionHandler handler =
        new AdmissionHandler(
            new ConfigAdmission(IstioKinds.ALL, NetworkingValidators.forKinds()),
            new WebhookMetrics(new SimpleMeterRegistry()));
    long heapBefore = heapAfterGc();
    try (ValidationWebhookServer server =
        ValidationWebhookServer.start(
            new InetSocketAddress("127.0.0.1", 0),
            keys,
            handler,
            () -> true,
            ValidationWebhookServer.DEFAULT_REQUEST_TIMEOUT)) {
      port = server.port();
      String hosts60k = hostsVs(60_000);
      String huge5 = padded(5 << 20);
      String huge7 = padded(7 << 20);
      long end = System.nanoTime() + length.toNanos();
      List<Thread> clients = new ArrayList<>();
      // 8 clients of small valid objects, back to back (the API server's ordinary traffic)
      for (int i = 0; i < 8; i++) {
        int id = i;
        clients.add(
            loop(end, "small-valid", 0, n -> review(VALID_VS.formatted(id * 1_000_000 + n))));
      }
      clients.add(loop(end, "invalid", 50, n -> review(INVALID_VS)));
      clients.add(loop(end, "regex-nested-repeat", 2_000, n -> review(REGEX_VS)));
      clients.add(loop(end, "hosts-60k", 2_000, n -> hosts60k));
      clients.add(loop(end, "huge-5MiB", 1_000, n -> huge5));
      clients.add(loop(end, "over-cap-7MiB", 2_000, n -> huge7));
      for (int i = 0; i < 4; i++) {
        clients.add(slowClient(end, i % 2 == 0));
      }
      System.out.printf(
          "webhook load: %d s, %d clients, %d validations at once, heap max %d MiB%n",
          length.toSeconds(),
          clients.size(),
          server.concurrentValidations(),
          Runtime.getRuntime().maxMemory() >> 20);
      for (Thread t : clients) {
        t.join();
      }
      long heapAfter = heapAfterGc();
      List<Long> sorted = new ArrayList<>(smallMicros);
      Collections.sort(sorted);
      System.out.println("requests by kind and answer:");
      counts.forEach((k, v) -> System.out.printf("  %-36s %d%n", k, v.get()));
      if (!sorted.isEmpty()) {
        System.out.printf(
            "small valid objects: %d answered, p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
            sorted.size(),
            sorted.get(sorted.size() / 2) / 1000.0,
            sorted.get(Math.min(sorted.size() - 1, (int) (sorted.size() * 0.99))) / 1000.0,
            sorted.get(sorted.size() - 1) / 1000.0);
      }
      System.out.printf(
          "heap in use after GC: before %d MiB, after %d MiB%n", heapBefore >> 20, heapAfter >> 20);
      System.out.printf("server healthy at the end: %s%n", server.healthy());
      System.out.printf("lost responses: %d%n", lost.get());
      lostExamples.forEach((k, v) -> System.out.printf("  lost %s: %s%n", k, v));
    }
  }

  private interface Body {
    String make(int n);
  }

  /** One client sending {@code body} in a loop on its own connection, {@code pauseMillis} apart. */
  private Thread loop(long end, String kind, long pauseMillis, Body body) {
    if (skip.contains(kind)) {
      return new Thread(() -> {});
    }
    Thread t =
        new Thread(
            () -> {
              HttpClient client =
                  HttpClient.newBuilder()
                      .sslContext(trust)
                      .version(HttpClient.Version.HTTP_1_1)
                      .connectTimeout(Duration.ofSeconds(10))
                      .build();
              for (int n = 0; System.nanoTime() < end; n++) {
                HttpRequest req =
                    HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/validate"))
                        .header("Content-Type", "application/json")
                        .timeout(Duration.ofSeconds(15))
                        .POST(HttpRequest.BodyPublishers.ofString(body.make(n)))
                        .build();
                long t0 = System.nanoTime();
                try {
                  HttpResponse<String> r = client.send(req, HttpResponse.BodyHandlers.ofString());
                  long micros = (System.nanoTime() - t0) / 1000;
                  String verdict =
                      r.statusCode() != 200
                          ? ""
                          : r.body().contains("\"allowed\":true")
                              ? " allowed"
                              : r.body().contains("did not finish")
                                  ? " denied (deadline)"
                                  : " denied";
                  count(kind + " " + r.statusCode() + verdict);
                  if (kind.equals("small-valid") && r.statusCode() == 200) {
                    smallMicros.add(micros);
                  }
                } catch (Exception e) {
                  // The over-cap body may be cut mid-upload after its 400: not a lost answer.
                  if (kind.startsWith("over-cap")) {
                    count(kind + " closed mid-upload");
                  } else {
                    lost.incrementAndGet();
                    lostExamples.putIfAbsent(kind, e.toString());
                    count(kind + " LOST");
                  }
                }
                sleep(pauseMillis);
              }
            },
            "load-" + kind);
    t.start();
    return t;
  }

  /** A client that trickles its headers ({@code headers}) or its body, one byte every 200 ms. */
  private Thread slowClient(long end, boolean headers) {
    String kind = headers ? "slow-headers" : "slow-body";
    if (skip.contains(kind)) {
      return new Thread(() -> {});
    }
    Thread t =
        new Thread(
            () -> {
              while (System.nanoTime() < end) {
                long t0 = System.nanoTime();
                try (SSLSocket s =
                    (SSLSocket) trust.getSocketFactory().createSocket("127.0.0.1", port)) {
                  s.setSoTimeout(20_000);
                  OutputStream out = s.getOutputStream();
                  String start =
                      headers
                          ? "POST /validate HTTP/1.1\r\nHost: x\r\n"
                          : "POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                              + "\r\nContent-Length: 100000\r\n\r\n";
                  out.write(start.getBytes(StandardCharsets.US_ASCII));
                  out.flush();
                  InputStream in = s.getInputStream();
                  String outcome = "cut by server";
                  try {
                    for (int i = 0; i < 200 && System.nanoTime() < end; i++) {
                      out.write(headers ? 'a' : ' ');
                      out.flush();
                      Thread.sleep(200);
                      if (in.available() > 0) {
                        break;
                      }
                    }
                    byte[] status = in.readNBytes(12);
                    outcome =
                        status.length == 12
                            ? "answered "
                                + new String(status, StandardCharsets.US_ASCII).substring(9)
                            : "cut by server";
                  } catch (java.io.IOException e) {
                    outcome = "cut by server";
                  }
                  count(kind + " " + outcome + " after ~" + bucket(t0));
                } catch (Exception e) {
                  count(kind + " " + e.getClass().getSimpleName());
                }
              }
            },
            "load-" + kind);
    t.start();
    return t;
  }

  private static String bucket(long t0) {
    long s = (System.nanoTime() - t0) / 1_000_000_000L;
    return s + " s";
  }

  private void count(String key) {
    counts.computeIfAbsent(key, k -> new AtomicLong()).incrementAndGet();
  }

  private static String review(String object) {
    return """
        {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
         "request": {"uid": "7c1e", "operation": "CREATE",
           "kind": {"group": "networking.istio.io", "version": "v1", "kind": "VirtualService"},
           "resource": {"group": "networking.istio.io", "version": "v1",
                        "resource": "virtualservices"},
           "name": "x", "namespace": "ns1", "object": %s}}
        """
        .formatted(object);
  }

  private static String hostsVs(int n) {
    StringBuilder hosts = new StringBuilder();
    for (int i = 0; i < n; i++) {
      hosts.append(i == 0 ? "" : ",").append("\"h").append(i).append(".example.com\"");
    }
    return review(
        """
        {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
         "metadata": {"name": "many", "namespace": "ns1"},
         "spec": {"hosts": [%s], "http": [{"route": [{"destination": {"host": "reviews"}}]}]}}
        """
            .formatted(hosts));
  }

  private static String padded(int size) {
    String base = review(VALID_VS.formatted(0));
    return base + " ".repeat(Math.max(0, size - base.length()));
  }

  private static long heapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
      sleep(200);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static void sleep(long millis) {
    if (millis <= 0) {
      return;
    }
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static SSLContext trusting(SelfSignedWebhookCertificate cert) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setCertificateEntry("root", cert.root());
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }
}

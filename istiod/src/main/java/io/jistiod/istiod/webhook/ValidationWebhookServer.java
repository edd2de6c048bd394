package io.jistiod.istiod.webhook;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.jistiod.galley.webhook.AdmissionHandler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.X509ExtendedKeyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * istiod's HTTPS port for webhooks (15017, Service port 443): {@code /validate} and {@code
 * /validate/...} run the validation webhook, {@code /ready} reports istiod's readiness.
 *
 * <p>Istio's HTTP rules: a body over 6 MiB or an empty one is a 400, a Content-Type other than
 * {@code application/json} a 415. The body is read in chunks and never buffered past the cap. A
 * request gets {@link #DEFAULT_REQUEST_TIMEOUT} in all, well under the API server's 10 s webhook
 * timeout: a body that has not arrived by then is a 408; an object whose validation has not ended
 * by then is denied (never admitted unchecked, whatever the failure policy says).
 *
 * <p>TLS 1.2 or 1.3 only, AEAD cipher suites with forward secrecy for 1.2, as Go's defaults. The
 * certificate comes from a key manager asked at every handshake, so it can be renewed in place.
 */
public final class ValidationWebhookServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ValidationWebhookServer.class);

  /** Istio's {@code kube.MaxRequestBodyBytes}. */
  public static final int MAX_BODY_BYTES = 6 * 1024 * 1024;

  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(5);

  private static final List<String> CIPHER_SUITES =
      List.of(
          "TLS_AES_128_GCM_SHA256",
          "TLS_AES_256_GCM_SHA384",
          "TLS_CHACHA20_POLY1305_SHA256",
          "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
          "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
          "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
          "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
          "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
          "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

  static {
    tuneJdkHttpServer();
  }

  /**
   * Sets the JDK HTTP server's JVM-wide settings this server relies on, where nobody has set them:
   * TCP_NODELAY, without which every response waits out the client's delayed ACK (40 ms on Linux,
   * as headers and body go out in two writes), and a 10 s limit on reading a request, the only
   * guard against a client that stops sending mid-request. They are read when the first JDK HTTP
   * server of the process is created, so istiod calls this before it opens any port.
   */
  public static void tuneJdkHttpServer() {
    setIfAbsent("sun.net.httpserver.nodelay", "true");
    setIfAbsent("sun.net.httpserver.maxReqTime", "10");
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }

  private final HttpsServer server;
  private final ExecutorService io;
  private final ExecutorService validation;
  private final AdmissionHandler handler;
  private final BooleanSupplier ready;
  private final Duration timeout;

  private ValidationWebhookServer(
      HttpsServer server,
      ExecutorService io,
      ExecutorService validation,
      AdmissionHandler handler,
      BooleanSupplier ready,
      Duration timeout) {
    this.server = server;
    this.io = io;
    this.validation = validation;
    this.handler = handler;
    this.ready = ready;
    this.timeout = timeout;
  }

  /**
   * Binds {@code address} and serves.
   *
   * @param keys istiod's serving certificate, asked at every handshake
   * @param ready what {@code /ready} reports
   * @throws IOException when the address cannot be bound
   */
  public static ValidationWebhookServer start(
      InetSocketAddress address,
      X509ExtendedKeyManager keys,
      AdmissionHandler handler,
      BooleanSupplier ready,
      Duration timeout)
      throws IOException {
    Objects.requireNonNull(keys, "keys");
    Objects.requireNonNull(handler, "handler");
    Objects.requireNonNull(ready, "ready");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout: " + timeout + " (expected: > 0)");
    }
    SSLContext tls;
    try {
      tls = SSLContext.getInstance("TLS");
      tls.init(new KeyManager[] {keys}, null, null);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot set up TLS for the webhook server", e);
    }
    HttpsServer server = HttpsServer.create(address, 128);
    server.setHttpsConfigurator(
        new HttpsConfigurator(tls) {
          @Override
          public void configure(HttpsParameters params) {
            SSLParameters p = tls.getDefaultSSLParameters();
            p.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
            List<String> supported =
                Arrays.asList(tls.getSupportedSSLParameters().getCipherSuites());
            p.setCipherSuites(
                CIPHER_SUITES.stream().filter(supported::contains).toArray(String[]::new));
            p.setNeedClientAuth(false);
            params.setSSLParameters(p);
          }
        });
    int threads = Math.max(4, Runtime.getRuntime().availableProcessors());
    ExecutorService io = Executors.newFixedThreadPool(threads, daemon("webhook-https"));
    ExecutorService validation = Executors.newFixedThreadPool(threads, daemon("webhook-validate"));
    ValidationWebhookServer s =
        new ValidationWebhookServer(server, io, validation, handler, ready, timeout);
    server.setExecutor(io);
    server.createContext("/validate", s::serveValidate);
    server.createContext("/ready", s::serveReady);
    server.start();
    return s;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private void serveReady(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!exchange.getRequestURI().getPath().equals("/ready")) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      boolean ok = ready.getAsBoolean();
      exchange.sendResponseHeaders(ok ? 200 : 503, -1);
    }
  }

  private void serveValidate(HttpExchange exchange) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    boolean close = true;
    try {
      String path = exchange.getRequestURI().getPath();
      if (!path.equals("/validate") && !path.startsWith("/validate/")) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      byte[] body;
      try {
        body = readBody(exchange, deadline);
      } catch (HttpError e) {
        // Closing the exchange would drain the unread body at the client's pace and hold this
        // thread: answer, then leave the connection to the server's request timer.
        close = false;
        error(exchange, e.status, e.getMessage(), false);
        return;
      }
      if (body.length == 0) {
        error(exchange, 400, "no body found", true);
        return;
      }
      String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
      if (!"application/json".equals(contentType)) {
        error(exchange, 415, "invalid Content-Type, want `application/json`", true);
        return;
      }
      byte[] answer = validate(body, deadline);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, answer.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(answer);
      }
    } catch (IOException e) {
      // The client went away (the API server gave up); nothing to answer.
      log.debug("webhook request: {}", e.toString());
    } finally {
      if (close) {
        exchange.close();
      }
    }
  }

  /** Runs the handler with what is left of the request's time; past it, the object is denied. */
  private byte[] validate(byte[] body, long deadline) {
    Future<byte[]> result = validation.submit(() -> handler.handle(body));
    try {
      return result.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      result.cancel(true);
      log.warn("validation took longer than {}; denying the object", timeout);
      return handler.deny(body, "validation did not finish within " + timeout.toMillis() + " ms");
    } catch (ExecutionException e) {
      log.warn("validation failed", e.getCause());
      return handler.deny(body, "validation failed: " + e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return handler.deny(body, "validation was interrupted");
    }
  }

  private static byte[] readBody(HttpExchange exchange, long deadline)
      throws IOException, HttpError {
    String declared = exchange.getRequestHeaders().getFirst("Content-Length");
    if (declared != null) {
      try {
        if (Long.parseLong(declared.trim()) > MAX_BODY_BYTES) {
          throw tooLarge();
        }
      } catch (NumberFormatException e) {
        throw new HttpError(400, "invalid Content-Length");
      }
    }
    // Not closed here: closing drains what the client has not sent yet, at its pace.
    InputStream in = exchange.getRequestBody();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] chunk = new byte[64 * 1024];
    int n;
    while ((n = in.read(chunk)) >= 0) {
      if (out.size() + n > MAX_BODY_BYTES) {
        throw tooLarge();
      }
      out.write(chunk, 0, n);
      if (System.nanoTime() > deadline) {
        throw new HttpError(408, "the request body did not arrive in time");
      }
    }
    return out.toByteArray();
  }

  private static HttpError tooLarge() {
    return new HttpError(400, "Request entity too large: limit is " + MAX_BODY_BYTES);
  }

  /** Answers {@code status} as Go's http.Error does; {@code close} false only flushes. */
  private void error(HttpExchange exchange, int status, String message, boolean close)
      throws IOException {
    handler.metrics().httpError(status);
    byte[] bytes = (message + "\n").getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    if (!close) {
      exchange.getResponseHeaders().set("Connection", "close");
    }
    exchange.sendResponseHeaders(status, bytes.length);
    OutputStream out = exchange.getResponseBody();
    out.write(bytes);
    out.flush();
    if (close) {
      out.close();
    }
  }

  private static final class HttpError extends Exception {
    final int status;

    HttpError(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }

  private static ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  @Override
  public void close() {
    server.stop(0);
    io.shutdownNow();
    validation.shutdownNow();
  }
}

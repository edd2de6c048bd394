package io.jistiod.istiod.webhook;

import io.jistiod.galley.webhook.AdmissionHandler;
import io.jistiod.injector.InjectionWebhook;
import io.jistiod.istiod.http.JettyServer;
import io.jistiod.istiod.http.ServerLimits;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.X509ExtendedKeyManager;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * istiod's HTTPS port for webhooks (15017, Service port 443): {@code /validate} and {@code
 * /validate/...} run the validation webhook, {@code /ready} reports istiod's readiness and this
 * server's health.
 *
 * <p>Istio's HTTP rules: a body over 6 MiB or an empty one is a 400, a Content-Type other than
 * {@code application/json} a 415. The body is read in chunks and never buffered past the cap. A
 * request gets {@link #DEFAULT_REQUEST_TIMEOUT} in all, well under the API server's 10 s webhook
 * timeout: a body that has not arrived by then is a 408; an object whose validation has not ended
 * by then is denied (never admitted unchecked, whatever the failure policy says). At most {@link
 * ValidationBulkhead#defaultSize()} validations run at once; a request that finds none free within
 * half its time is a 429. Anything thrown while validating, an {@link OutOfMemoryError} included,
 * denies the object; anything thrown elsewhere is a 500; no thread is lost either way.
 *
 * <p>Jetty serves it ({@link ServerLimits#WEBHOOK}): HTTP/2 or HTTP/1.1 by ALPN, TLS 1.2 or 1.3
 * only, AEAD cipher suites with forward secrecy for 1.2, as Go's defaults. The certificate comes
 * from a key manager asked at every handshake, so it can be renewed in place.
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

  /** How long past the deadline the server waits for the validation's own timeout answer. */
  private static final long BACKSTOP_GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

  private final AdmissionHandler handler;
  private final Validation validator;
  private final BooleanSupplier ready;
  private final Duration timeout;
  private final ValidationBulkhead bulkhead;
  private final ExecutorService validation;
  private volatile InjectionWebhook injection;
  private JettyServer server;

  private ValidationWebhookServer(
      AdmissionHandler handler,
      Validation validator,
      BooleanSupplier ready,
      Duration timeout,
      ValidationBulkhead bulkhead) {
    this.handler = handler;
    this.validator = validator;
    this.ready = ready;
    this.timeout = timeout;
    this.bulkhead = bulkhead;
    this.validation = Executors.newFixedThreadPool(bulkhead.size(), daemon("webhook-validate"));
  }

  /**
   * Binds {@code address} and serves.
   *
   * @param keys istiod's serving certificate, asked at every handshake
   * @param ready what {@code /ready} reports (with this server's own health)
   * @throws IOException when the address cannot be bound
   */
  public static ValidationWebhookServer start(
      InetSocketAddress address,
      X509ExtendedKeyManager keys,
      AdmissionHandler handler,
      BooleanSupplier ready,
      Duration timeout)
      throws IOException {
    Objects.requireNonNull(handler, "handler");
    return start(
        address,
        keys,
        handler,
        (Validation) handler::handle,
        ready,
        timeout,
        ServerLimits.WEBHOOK,
        ValidationBulkhead.defaultSize());
  }

  /**
   * One validation: the admission answer for {@code body}, given until {@code deadlineNanos}
   * ({@link System#nanoTime()} terms) to decide.
   */
  @FunctionalInterface
  interface Validation {
    byte[] apply(byte[] body, long deadlineNanos);
  }

  /**
   * With a validation that ignores the deadline (the server's own deadline still denies on time):
   * for tests.
   */
  static ValidationWebhookServer start(
      InetSocketAddress address,
      X509ExtendedKeyManager keys,
      AdmissionHandler handler,
      UnaryOperator<byte[]> validator,
      BooleanSupplier ready,
      Duration timeout,
      ServerLimits limits,
      int concurrentValidations)
      throws IOException {
    Objects.requireNonNull(validator, "validator");
    return start(
        address,
        keys,
        handler,
        (Validation) (body, deadline) -> validator.apply(body),
        ready,
        timeout,
        limits,
        concurrentValidations);
  }

  /** With the validation itself, the limits and the bulkhead's size given. */
  static ValidationWebhookServer start(
      InetSocketAddress address,
      X509ExtendedKeyManager keys,
      AdmissionHandler handler,
      Validation validator,
      BooleanSupplier ready,
      Duration timeout,
      ServerLimits limits,
      int concurrentValidations)
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
    ValidationWebhookServer s =
        new ValidationWebhookServer(
            handler, validator, ready, timeout, new ValidationBulkhead(concurrentValidations));
    try {
      s.server =
          JettyServer.tls("webhook-https", address, limits, s.new Routes(), tls, CIPHER_SUITES);
      s.server.start();
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
    return s;
  }

  public int port() {
    return server.port();
  }

  /** Serving, and its threads still run requests. */
  public boolean healthy() {
    return server.healthy();
  }

  /**
   * Serves sidecar injection on {@code /inject} and {@code /inject/...} with {@code webhook} (404
   * until set), under the same body, time and concurrency limits as validation.
   */
  public void injection(InjectionWebhook webhook) {
    this.injection = webhook;
  }

  /** How many validations may run at once. */
  public int concurrentValidations() {
    return bulkhead.size();
  }

  private final class Routes extends Handler.Abstract {
    @Override
    public boolean handle(Request request, Response response, Callback callback)
        throws IOException {
      String path = request.getHttpURI().getPath();
      if (path.equals("/ready")) {
        boolean ok = healthy() && ready.getAsBoolean();
        response.setStatus(ok ? 200 : 503);
        response.write(true, null, callback);
        return true;
      }
      if (path.equals("/validate") || path.startsWith("/validate/")) {
        serve(request, response, callback, new ValidateEndpoint());
        return true;
      }
      InjectionWebhook inject = injection;
      if (inject != null && (path.equals("/inject") || path.startsWith("/inject/"))) {
        InjectEndpoint e = new InjectEndpoint(inject, path);
        try {
          serve(request, response, callback, e);
        } finally {
          e.finished(); // a no-op when serve already counted it
        }
        return true;
      }
      return false; // 404
    }
  }

  /** What differs between /validate and /inject: the answer, the denial and the counting. */
  private interface Endpoint {
    byte[] answer(byte[] body, long deadlineNanos);

    byte[] deny(byte[] body, String message);

    void httpError(int status);

    /** "validation" or "injection", for messages. */
    default String what() {
      return "validation";
    }

    /** An AdmissionReview answer is on its way back. */
    default void answered() {}

    /**
     * The request is done and its answer (if any) is about to be written: called before the write,
     * so that a client which has its answer also sees the request counted.
     */
    default void finished() {}
  }

  private final class ValidateEndpoint implements Endpoint {
    @Override
    public byte[] answer(byte[] body, long deadlineNanos) {
      return validator.apply(body, deadlineNanos);
    }

    @Override
    public byte[] deny(byte[] body, String message) {
      return handler.deny(body, message);
    }

    @Override
    public void httpError(int status) {
      handler.metrics().httpError(status);
    }
  }

  /**
   * istiod's serveInject counting: every request, HTTP refusals as failures, answers as successes.
   */
  private static final class InjectEndpoint implements Endpoint {
    final InjectionWebhook webhook;
    final String path;
    final long start = System.nanoTime();
    private boolean timed;

    InjectEndpoint(InjectionWebhook webhook, String path) {
      this.webhook = webhook;
      this.path = path;
      webhook.metrics().request();
    }

    @Override
    public byte[] answer(byte[] body, long deadlineNanos) {
      return webhook.handle(body, path);
    }

    @Override
    public byte[] deny(byte[] body, String message) {
      return webhook.deny(body, message);
    }

    @Override
    public void httpError(int status) {
      webhook.metrics().failure();
    }

    @Override
    public void answered() {
      webhook.metrics().success();
    }

    @Override
    public void finished() {
      if (!timed) {
        timed = true;
        webhook.metrics().time(System.nanoTime() - start);
      }
    }

    @Override
    public String what() {
      return "injection";
    }
  }

  private void serve(Request request, Response response, Callback callback, Endpoint endpoint)
      throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    byte[] body;
    try {
      body = readBody(request, deadline);
    } catch (HttpError e) {
      // Unless the body was read to its end: answer, and close the connection after.
      // HTTP/2 has no Connection header: the stream ends, the connection stays.
      boolean http1 = request.getConnectionMetaData().getHttpVersion() != HttpVersion.HTTP_2;
      error(endpoint, response, callback, e.status, e.getMessage(), http1 && e.close);
      return;
    } catch (IOException e) {
      // The client went away (the API server gave up) or was too slow; nothing to answer.
      log.debug("webhook request: {}", e.toString());
      endpoint.finished();
      callback.failed(e);
      return;
    }
    if (body.length == 0) {
      error(endpoint, response, callback, 400, "no body found", false);
      return;
    }
    String contentType = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
    if (!"application/json".equals(contentType)) {
      error(
          endpoint,
          response,
          callback,
          415,
          "invalid Content-Type, want `application/json`",
          false);
      return;
    }
    // Queue for a permit for at most half of what is left, so a refusal still arrives in time.
    if (!bulkhead.acquire((deadline - System.nanoTime()) / 2)) {
      // Counted in galley_validation_http_error{status="429"}; a line each would flood the log.
      log.debug("{} validations running; refusing a request (429)", bulkhead.size());
      response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
      error(
          endpoint, response, callback, 429, "too many concurrent validations, retry later", false);
      return;
    }
    byte[] answer = admit(body, deadline, endpoint);
    endpoint.answered();
    endpoint.finished();
    response.setStatus(200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, answer.length);
    response.write(true, ByteBuffer.wrap(answer), callback);
  }

  /**
   * The one call into validation, holding a bulkhead permit that it gives back when the work has
   * really ended. The validation gets the deadline and stops itself there (validators check it
   * cooperatively, and a timed-out object is denied and counted as failed by the handler); the pool
   * and the wait here are the backstop for work that does not check it (decoding a body), waited on
   * a little past the deadline so the handler's own answer normally wins.
   */
  private byte[] admit(byte[] body, long deadline, Endpoint endpoint) {
    Future<byte[]> result;
    try {
      result =
          validation.submit(
              () -> {
                try {
                  return endpoint.answer(body, deadline);
                } finally {
                  bulkhead.release();
                }
              });
    } catch (RejectedExecutionException e) {
      bulkhead.release();
      return endpoint.deny(body, endpoint.what() + " is shutting down");
    }
    try {
      return result.get(
          Math.max(1, deadline - System.nanoTime()) + BACKSTOP_GRACE_NANOS, TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      result.cancel(true);
      log.warn("{} took longer than {}; denying the object", endpoint.what(), timeout);
      return endpoint.deny(
          body, endpoint.what() + " did not finish within " + timeout.toMillis() + " ms");
    } catch (ExecutionException e) {
      return failed(body, e.getCause(), endpoint);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return endpoint.deny(body, endpoint.what() + " was interrupted");
    }
  }

  /** A validation that threw, out of memory included: the object is denied, one log line. */
  private byte[] failed(byte[] body, Throwable t, Endpoint endpoint) {
    log.warn("{} failed: {}", endpoint.what(), t.toString());
    return endpoint.deny(body, endpoint.what() + " failed: " + t);
  }

  private static byte[] readBody(Request request, long deadline) throws IOException, HttpError {
    String declared = request.getHeaders().get(HttpHeader.CONTENT_LENGTH);
    if (declared != null) {
      try {
        if (Long.parseLong(declared.trim()) > MAX_BODY_BYTES) {
          throw tooLarge();
        }
      } catch (NumberFormatException e) {
        throw new HttpError(400, "invalid Content-Length");
      }
    }
    RequestBody body = new RequestBody(request);
    RequestBody.Result r = body.read(MAX_BODY_BYTES, deadline);
    if (r.tooLarge()) {
      throw tooLarge();
    }
    if (!r.complete()) {
      // Late, but maybe nearly done: read the rest (discarded) for a moment, so the client
      // finishes sending and then reads the 408; closing on unread bytes resets the connection,
      // and the client would see no answer at all.
      boolean drained =
          body.drain(MAX_BODY_BYTES - r.bytes().length, System.nanoTime() + DRAIN_NANOS);
      throw new HttpError(408, "the request body did not arrive in time", !drained);
    }
    return r.bytes();
  }

  /** How long a late body is still read (and discarded) before its 408. */
  private static final long DRAIN_NANOS = TimeUnit.SECONDS.toNanos(2);

  private static HttpError tooLarge() {
    return new HttpError(400, "Request entity too large: limit is " + MAX_BODY_BYTES);
  }

  /** Answers {@code status} as Go's http.Error does; {@code close} ends the connection after. */
  private void error(
      Endpoint endpoint,
      Response response,
      Callback callback,
      int status,
      String message,
      boolean close) {
    endpoint.httpError(status);
    endpoint.finished();
    byte[] bytes = (message + "\n").getBytes(StandardCharsets.UTF_8);
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
    response.getHeaders().put("X-Content-Type-Options", "nosniff");
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
    if (close) {
      response.getHeaders().put(HttpHeader.CONNECTION, "close");
    }
    response.write(true, ByteBuffer.wrap(bytes), callback);
  }

  private static final class HttpError extends Exception {
    final int status;
    final boolean close;

    HttpError(int status, String message) {
      this(status, message, true);
    }

    HttpError(int status, String message, boolean close) {
      super(message, null, false, false);
      this.status = status;
      this.close = close;
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
    if (server != null) {
      server.close();
    }
    validation.shutdownNow();
  }
}

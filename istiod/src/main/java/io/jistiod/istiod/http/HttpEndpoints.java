package io.jistiod.istiod.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * A small HTTP/1.1 server for istiod's plain-text endpoints (readiness, metrics, debug), on the
 * JDK's built-in server: these endpoints are low-traffic and need nothing more.
 */
public final class HttpEndpoints implements AutoCloseable {
  private final HttpServer server;

  /** Binds {@code address} now, so a port in use fails at startup with a clear error. */
  public HttpEndpoints(InetSocketAddress address, String threadName) throws IOException {
    server = HttpServer.create(address, 64);
    server.setExecutor(
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, threadName);
              t.setDaemon(true);
              return t;
            }));
  }

  /** Serves GET {@code path} with a text body computed per request. */
  public HttpEndpoints text(String path, String contentType, Supplier<Response> body) {
    server.createContext(path, exchange -> respond(exchange, body.get(), contentType));
    return this;
  }

  public HttpEndpoints handler(String path, HttpHandler handler) {
    server.createContext(path, handler);
    return this;
  }

  public void start() {
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** A status code and body. */
  public record Response(int status, String body) {
    public static Response ok(String body) {
      return new Response(200, body);
    }
  }

  private static void respond(HttpExchange exchange, Response r, String contentType)
      throws IOException {
    try (exchange) {
      if (!"GET".equals(exchange.getRequestMethod())
          && !"HEAD".equals(exchange.getRequestMethod())) {
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      byte[] bytes = r.body().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", contentType);
      exchange.sendResponseHeaders(r.status(), bytes.length == 0 ? -1 : bytes.length);
      if (bytes.length > 0) {
        try (OutputStream os = exchange.getResponseBody()) {
          os.write(bytes);
        }
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}

package io.jistiod.istiod.http;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * istiod's plain-text HTTP endpoints (readiness, metrics, debug) on one port: GET or HEAD of an
 * exact path, a body computed per request; any other method is a 405, any other path a 404. Served
 * by a {@link JettyServer} with {@link ServerLimits#ENDPOINTS}.
 */
public final class HttpEndpoints implements AutoCloseable {
  private final Map<String, Route> routes = new ConcurrentHashMap<>();
  private final Map<String, CallerCheck> guards = new ConcurrentHashMap<>();

  /** Who may call a guarded path: the peer's address and its Authorization header (or null). */
  @FunctionalInterface
  public interface CallerCheck {
    boolean allowed(java.net.InetSocketAddress peer, String authorization);
  }

  private final JettyServer server;

  private record Route(String contentType, Function<Map<String, String>, Response> body) {}

  /** Binds {@code address} now, so a port in use fails at startup with a clear error. */
  public HttpEndpoints(InetSocketAddress address, String threadName) throws IOException {
    this(address, threadName, ServerLimits.ENDPOINTS);
  }

  public HttpEndpoints(InetSocketAddress address, String threadName, ServerLimits limits)
      throws IOException {
    server = JettyServer.plain(threadName, address, limits, new Router());
  }

  /** Serves GET {@code path} with a text body computed per request. */
  public HttpEndpoints text(String path, String contentType, Supplier<Response> body) {
    routes.put(path, new Route(contentType, query -> body.get()));
    return this;
  }

  /**
   * Serves GET {@code path} with a body computed from the query's parameters (name to its first
   * value; a parameter without a value maps to "").
   */
  public HttpEndpoints withQuery(
      String path, String contentType, Function<Map<String, String>, Response> body) {
    routes.put(path, new Route(contentType, body));
    return this;
  }

  /**
   * Answers 401 to a caller of a path under {@code prefix} that {@code check} refuses, before the
   * route runs.
   */
  public HttpEndpoints guard(String prefix, CallerCheck check) {
    guards.put(prefix, check);
    return this;
  }

  /** Decodes a query string ({@code a=1&b}) into name to first value. */
  public static Map<String, String> parseQuery(String query) {
    Map<String, String> out = new java.util.LinkedHashMap<>();
    if (query == null || query.isEmpty()) {
      return out;
    }
    for (String pair : query.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = decode(eq < 0 ? pair : pair.substring(0, eq));
      String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
      out.putIfAbsent(name, value);
    }
    return out;
  }

  private static String decode(String s) {
    try {
      return java.net.URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return s; // a malformed escape stays as written
    }
  }

  public void start() throws IOException {
    server.start();
  }

  public int port() {
    return server.port();
  }

  /** Started and still running handlers: what readiness needs of this port. */
  public boolean healthy() {
    return server.healthy();
  }

  /** A status code and body. */
  public record Response(int status, String body) {
    public static Response ok(String body) {
      return new Response(200, body);
    }
  }

  private final class Router extends Handler.Abstract {
    @Override
    public boolean handle(
        Request request, org.eclipse.jetty.server.Response response, Callback callback) {
      Route route = routes.get(request.getHttpURI().getPath());
      if (route == null) {
        return false; // Jetty answers 404
      }
      String method = request.getMethod();
      if (!"GET".equals(method) && !"HEAD".equals(method)) {
        response.setStatus(405);
        response.write(true, null, callback);
        return true;
      }
      if (!admitted(request)) {
        response.setStatus(401);
        response.write(true, null, callback);
        return true;
      }
      Response r = route.body().apply(parseQuery(request.getHttpURI().getQuery()));
      byte[] bytes = r.body().getBytes(StandardCharsets.UTF_8);
      response.setStatus(r.status());
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, route.contentType());
      response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
      response.write(true, ByteBuffer.wrap(bytes), callback);
      return true;
    }
  }

  private boolean admitted(Request request) {
    String path = request.getHttpURI().getPath();
    for (Map.Entry<String, CallerCheck> g : guards.entrySet()) {
      if (path.startsWith(g.getKey())) {
        java.net.SocketAddress remote = request.getConnectionMetaData().getRemoteSocketAddress();
        java.net.InetSocketAddress peer =
            remote instanceof java.net.InetSocketAddress inet ? inet : null;
        if (!g.getValue().allowed(peer, request.getHeaders().get(HttpHeader.AUTHORIZATION))) {
          return false;
        }
      }
    }
    return true;
  }

  @Override
  public void close() {
    server.close();
  }
}

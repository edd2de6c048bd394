package io.jistiod.istiod.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns anything a handler throws, an {@link OutOfMemoryError} included, into a 500 for that one
 * request: the thread goes back to the pool and the server keeps serving. The log line names the
 * request and the error, without a stack trace (an OOM stack trace would cost memory it lacks).
 */
final class SafeHandler extends Handler.Wrapper {
  private static final Logger log = LoggerFactory.getLogger(SafeHandler.class);
  private static final byte[] BODY =
      "internal error: the request could not be handled\n".getBytes(StandardCharsets.UTF_8);

  private final String server;

  SafeHandler(String server, Handler handler) {
    super(handler);
    this.server = server;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    try {
      return super.handle(request, response, callback);
    } catch (Throwable t) {
      log.warn("{}: {} {} failed: {}", server, request.getMethod(), path(request), t.toString());
      if (response.isCommitted()) {
        callback.failed(t);
      } else {
        response.setStatus(500);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
        response.write(true, ByteBuffer.wrap(BODY), callback);
      }
      return true;
    }
  }

  private static String path(Request request) {
    try {
      return request.getHttpURI().getPath();
    } catch (Throwable t) {
      return "?";
    }
  }
}

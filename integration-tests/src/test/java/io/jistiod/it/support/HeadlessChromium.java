package io.jistiod.it.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Debian's Chromium, headless, driven over its own DevTools protocol (a WebSocket the JDK speaks):
 * open a page, evaluate JavaScript in it, take a screenshot. Started with the flags this machine's
 * closed network needs (no background networking, no component updates) and a fresh profile.
 */
public final class HeadlessChromium implements AutoCloseable {
  public static final Path BINARY = Path.of("/usr/bin/chromium");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final Process process;
  private final WebSocket socket;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();

  private HeadlessChromium(Process process, WebSocket socket) {
    this.process = process;
    this.socket = socket;
  }

  /** Starts Chromium with a new profile in {@code profile}; fails if it is not installed. */
  public static HeadlessChromium start(Path profile) throws Exception {
    Peers.require(BINARY, "Debian's Chromium", "build-chromium.sh");
    Files.createDirectories(profile);
    Process p =
        new ProcessBuilder(
                List.of(
                    BINARY.toString(),
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-dev-shm-usage",
                    "--hide-scrollbars",
                    "--window-size=1400,1100",
                    "--user-data-dir=" + profile,
                    "--remote-debugging-port=0",
                    "about:blank"))
            .redirectErrorStream(true)
            .redirectOutput(profile.resolveSibling(profile.getFileName() + ".log").toFile())
            .start();
    // Chromium writes the port it listens on, and the browser's path, into the profile.
    Path active = profile.resolve("DevToolsActivePort");
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    List<String> lines = List.of();
    while (System.nanoTime() < deadline && p.isAlive()) {
      if (Files.exists(active)) {
        lines = Files.readAllLines(active);
        if (lines.size() >= 2) {
          break;
        }
      }
      Thread.sleep(50);
    }
    if (lines.size() < 2) {
      p.destroyForcibly();
      throw new IOException(
          "Chromium did not open its DevTools port; its output:\n"
              + Files.readString(profile.resolveSibling(profile.getFileName() + ".log")));
    }
    URI uri = URI.create("ws://127.0.0.1:" + lines.get(0).strip() + lines.get(1).strip());
    HeadlessChromium[] self = new HeadlessChromium[1];
    WebSocket ws =
        HttpClient.newHttpClient()
            .newWebSocketBuilder()
            .buildAsync(
                uri,
                new WebSocket.Listener() {
                  private final StringBuilder frame = new StringBuilder();

                  @Override
                  public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                    frame.append(data);
                    if (last) {
                      String message = frame.toString();
                      frame.setLength(0);
                      self[0].received(message);
                    }
                    w.request(1);
                    return null;
                  }
                })
            .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    self[0] = new HeadlessChromium(p, ws);
    return self[0];
  }

  private void received(String message) {
    try {
      JsonNode m = JSON.readTree(message);
      if (!m.has("id")) {
        return; // an event
      }
      CompletableFuture<JsonNode> f = pending.remove(m.get("id").asInt());
      if (f == null) {
        return;
      }
      if (m.has("error")) {
        f.completeExceptionally(new IOException("DevTools: " + m.get("error")));
      } else {
        f.complete(m.path("result"));
      }
    } catch (IOException e) {
      // not JSON: nothing waits for it
    }
  }

  private synchronized JsonNode call(String sessionId, String method, ObjectNode params)
      throws Exception {
    int id = ids.incrementAndGet();
    ObjectNode m = JSON.createObjectNode().put("id", id).put("method", method);
    m.set("params", params == null ? JSON.createObjectNode() : params);
    if (sessionId != null) {
      m.put("sessionId", sessionId);
    }
    CompletableFuture<JsonNode> f = new CompletableFuture<>();
    pending.put(id, f);
    socket.sendText(JSON.writeValueAsString(m), true).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    return f.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
  }

  /** Opens {@code url} in a new tab. */
  public Page open(String url) throws Exception {
    String target =
        call(null, "Target.createTarget", JSON.createObjectNode().put("url", url))
            .path("targetId")
            .asText();
    String session =
        call(
                null,
                "Target.attachToTarget",
                JSON.createObjectNode().put("targetId", target).put("flatten", true))
            .path("sessionId")
            .asText();
    return new Page(session);
  }

  /** One tab. */
  public final class Page {
    private final String session;

    private Page(String session) {
      this.session = session;
    }

    /** The value of a JavaScript expression (JSON-serialisable), awaiting a promise. */
    public JsonNode evaluate(String expression) throws Exception {
      JsonNode r =
          call(
              session,
              "Runtime.evaluate",
              JSON.createObjectNode()
                  .put("expression", expression)
                  .put("returnByValue", true)
                  .put("awaitPromise", true));
      if (r.has("exceptionDetails")) {
        throw new IOException("JavaScript failed: " + r.get("exceptionDetails"));
      }
      return r.path("result").path("value");
    }

    /** A PNG of the whole page. */
    public void screenshot(Path file) throws Exception {
      JsonNode r =
          call(
              session,
              "Page.captureScreenshot",
              JSON.createObjectNode().put("format", "png").put("captureBeyondViewport", true));
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.write(file, Base64.getDecoder().decode(r.path("data").asText()));
    }
  }

  @Override
  public void close() throws Exception {
    try {
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      // the browser goes anyway
    }
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}

package io.jistiod.istiod.ambient;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.jistiod.istiod.gatewayapi.LatestPerKeyQueue;
import io.jistiod.pilot.ambient.AmbientStatus;
import io.jistiod.pilot.ambient.AmbientStatus.Report;
import io.jistiod.pilot.ambient.AmbientStatus.StatusCondition;
import java.time.Clock;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the ambient status conditions ({@link AmbientStatus}) to Services, ServiceEntries and
 * AuthorizationPolicies as istiod 1.27's ambient status queue does, while this replica leads (the
 * Lease {@code istio-status-leader}): a server-side apply of the object's {@code status} with only
 * the writer's own condition, under the writer's name as field manager ({@code
 * istio-ambient-service}, {@code istio-ambient-ztunnel-policy}, {@code
 * istio-ambient-waypoint-policy}), forced. A report without a condition applies an empty list,
 * which prunes the condition the writer wrote before.
 *
 * <p>The push thread only queues, and only what changed since it was last written (or found live):
 * one writer thread reads the object, skips it when it is gone or already carries the condition (as
 * istiod compares with its informer's copy before patching), and applies otherwise. A failure is
 * logged once per object and reason and retried when the status changes again or leadership is won
 * anew.
 */
public final class AmbientStatusWriter implements Consumer<AmbientStatus>, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AmbientStatusWriter.class);
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  /** The API server, as the writer uses it. */
  public interface StatusApi {
    /** The object's status conditions by type; empty when the object does not exist. */
    Optional<Map<String, JsonNode>> conditions(Report report);

    /** Server-side applies {@code body} to the object's status, as {@code report.writer()}. */
    void apply(Report report, ObjectNode body);
  }

  private final StatusApi api;
  private final Clock clock;
  private final LatestPerKeyQueue<String, Report> queue = new LatestPerKeyQueue<>();

  /** What each writer last wrote (or found live) per object: queued again only when it changes. */
  private final Map<String, Report> written = new ConcurrentHashMap<>();

  private final Map<String, String> reported = new ConcurrentHashMap<>();
  private final Thread thread;
  private final Object lock = new Object();
  private AmbientStatus last = AmbientStatus.EMPTY; // guarded by lock
  private volatile boolean leading; // written under lock
  private volatile boolean closed;

  public AmbientStatusWriter(StatusApi api, Clock clock) {
    this(api, clock, true);
  }

  /** {@code background} false: no writer thread; tests drain the queue with {@link #drain}. */
  AmbientStatusWriter(StatusApi api, Clock clock, boolean background) {
    this.api = Objects.requireNonNull(api, "api");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.thread = new Thread(this::run, "ambient-status-writer");
    thread.setDaemon(true);
    if (background) {
      thread.start();
    }
  }

  /** How many objects wait to be written. */
  int queued() {
    return queue.size();
  }

  /** Writes what is queued on the caller's thread (without a writer thread). */
  void drain() throws InterruptedException {
    while (queue.size() > 0) {
      Report r = queue.take().getValue();
      if (leading) {
        write(r);
      }
    }
  }

  @Override
  public void accept(AmbientStatus status) {
    synchronized (lock) {
      last = status;
      if (leading) {
        enqueueChanged(status);
      }
    }
  }

  private void enqueueChanged(AmbientStatus status) {
    for (Report r : status.reports()) {
      if (!r.equals(written.get(r.key()))) {
        queue.put(r.key(), r);
      }
    }
  }

  /**
   * Starts writing: every report of the last status is checked against the live objects (another
   * replica may have written, or nobody), then each change. Fits {@code LeaderElection.Singleton}.
   */
  public AutoCloseable lead() {
    synchronized (lock) {
      leading = true;
      written.clear();
      enqueueChanged(last);
    }
    log.info("ambient status: this replica writes ambient status");
    return this::stopLeading;
  }

  private void stopLeading() {
    synchronized (lock) {
      leading = false;
      queue.clear();
    }
    log.info("ambient status: no longer writing ambient status");
  }

  private void run() {
    while (!closed) {
      Report r;
      try {
        r = queue.take().getValue();
      } catch (InterruptedException e) {
        return;
      }
      if (leading) {
        write(r);
      }
    }
  }

  void write(Report r) {
    try {
      Optional<Map<String, JsonNode>> live = api.conditions(r);
      if (live.isEmpty()) {
        log.debug("ambient status: {} is gone, not written", r.key());
        return;
      }
      if (!matches(live.get().get(r.type()), r.condition())) {
        api.apply(r, body(r, clock));
        if (reported.remove(r.key()) != null) {
          log.info("ambient status: {} written", r.key());
        }
      }
      written.put(r.key(), r);
    } catch (RuntimeException e) {
      written.remove(r.key());
      report(r.key(), e);
    }
  }

  /** Whether the live condition (null: none) is the one wanted (null: none), times aside. */
  static boolean matches(JsonNode live, StatusCondition want) {
    if (live == null || want == null) {
      return live == null && want == null;
    }
    return live.path("status").asText().equals(want.status() ? "True" : "False")
        && live.path("reason").asText().equals(want.reason())
        && live.path("message").asText().equals(want.message())
        && live.path("observedGeneration").asLong(0) == want.observedGeneration();
  }

  /**
   * The apply body, as istiod marshals it: the writer's condition in the form of Istio's {@code
   * IstioCondition} JSON (empty strings and a zero generation left out, the generation an int64
   * string), or no condition at all.
   */
  static ObjectNode body(Report r, Clock clock) {
    ObjectNode body = JSON.objectNode();
    body.put("kind", r.target().kind());
    body.put("apiVersion", r.target().apiVersion());
    body.putObject("metadata").put("name", r.name());
    ArrayNode conditions = body.putObject("status").putArray("conditions");
    StatusCondition c = r.condition();
    if (c != null) {
      ObjectNode o = conditions.addObject();
      o.put("type", c.type());
      o.put("status", c.status() ? "True" : "False");
      o.put("lastTransitionTime", DateTimeFormatter.ISO_INSTANT.format(clock.instant()));
      if (!c.reason().isEmpty()) {
        o.put("reason", c.reason());
      }
      if (!c.message().isEmpty()) {
        o.put("message", c.message());
      }
      if (c.observedGeneration() != 0) {
        o.put("observedGeneration", Long.toString(c.observedGeneration()));
      }
    }
    return body;
  }

  private void report(String key, RuntimeException e) {
    String reason =
        e instanceof KubernetesClientException k
            ? "HTTP " + k.getCode() + ": " + k.getMessage()
            : e.toString();
    if (reason.equals(reported.put(key, reason))) {
      return;
    }
    log.warn("ambient status: {} not written: {}", key, reason);
  }

  /** The conditions by type of a status JSON object ({@code null} or missing: none). */
  public static Map<String, JsonNode> conditionsByType(JsonNode status) {
    Map<String, JsonNode> out = new HashMap<>();
    if (status != null) {
      for (JsonNode c : status.path("conditions")) {
        out.put(c.path("type").asText(), c);
      }
    }
    return out;
  }

  @Override
  public void close() {
    closed = true;
    synchronized (lock) {
      leading = false;
      queue.clear();
    }
    thread.interrupt();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

package io.jistiod.istiod.gatewayapi;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.ConfigKey;
import io.jistiod.galley.parse.ProtoJsonWriter;
import io.jistiod.pilot.gatewayapi.GatewayApiResult;
import io.jistiod.pilot.gatewayapi.GatewayApiResult.StatusUpdate;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the Gateway API status each conversion computes ({@link GatewayApiResult#statusUpdates})
 * to the objects' status subresources, as istiod's gateway status controller does, while this
 * replica leads ({@link #lead}, the Lease {@code istio-gateway-status-leader-REV}).
 *
 * <p>The push thread only queues: one writer thread does the API calls, and the queue keeps only
 * the newest status per object, so a slow API server delays status, never a push, and a burst of
 * pushes costs one write per object. Before writing, the object is looked up in the live store (the
 * informer cache), as istiod's status workers do: a deleted object is skipped, and so is one whose
 * generation moved on (a newer conversion is coming) or whose status already is the desired one.
 *
 * <p>A write that fails costs only its object: the reason is logged once per object and reason, and
 * the next result, which still carries the object (its live status still differs), retries it.
 */
public final class GatewayStatusWriter implements Consumer<GatewayApiResult>, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GatewayStatusWriter.class);

  private final StatusSubresource api;
  private final Function<ConfigKey, Optional<Config>> live;
  private final LatestPerKeyQueue<ConfigKey, StatusUpdate> queue = new LatestPerKeyQueue<>();

  /** The last failure reason logged per object, so a failure repeating at each push logs once. */
  private final Map<ConfigKey, String> reported = new ConcurrentHashMap<>();

  private final Thread thread;
  private final Object lock = new Object();
  private GatewayApiResult last = GatewayApiResult.EMPTY; // guarded by lock
  private volatile boolean leading; // written under lock
  private volatile boolean closed;

  /**
   * A writer through {@code client}, with {@code live} the current object of a key as the
   * Kubernetes config store has it (empty when deleted, or not a Kubernetes object at all).
   */
  public static GatewayStatusWriter start(
      KubernetesClient client, Function<ConfigKey, Optional<Config>> live) {
    return new GatewayStatusWriter(new KubeStatusSubresource(client), live);
  }

  GatewayStatusWriter(StatusSubresource api, Function<ConfigKey, Optional<Config>> live) {
    this.api = Objects.requireNonNull(api, "api");
    this.live = Objects.requireNonNull(live, "live");
    this.thread = new Thread(this::run, "gateway-status-writer");
    thread.setDaemon(true);
    thread.start();
  }

  /** A new conversion result: remembered, and its status queued if this replica leads. */
  @Override
  public void accept(GatewayApiResult result) {
    Set<ConfigKey> keys = new HashSet<>();
    synchronized (lock) {
      last = result;
      for (StatusUpdate u : result.statusUpdates()) {
        keys.add(u.object().key());
        if (leading) {
          queue.put(u.object().key(), u);
        }
      }
    }
    // an object no longer in a result has the status it should, or is gone: forget its failure
    reported.keySet().retainAll(keys);
  }

  /**
   * Starts writing: the last result's status at once (the previous leader may not have written it;
   * what it did write is skipped as already live), then each new result's. Closing the returned
   * handle stops writing and drops what is queued. Fits {@code LeaderElection.Singleton}.
   */
  public AutoCloseable lead() {
    synchronized (lock) {
      leading = true;
      for (StatusUpdate u : last.statusUpdates()) {
        queue.put(u.object().key(), u);
      }
    }
    log.info("gateway status: this replica writes Gateway API status");
    return this::stopLeading;
  }

  private void stopLeading() {
    synchronized (lock) {
      leading = false;
      queue.clear();
    }
    log.info("gateway status: no longer writing Gateway API status");
  }

  /** Whether this replica writes status now. */
  public boolean isLeading() {
    return leading;
  }

  private void run() {
    while (!closed) {
      StatusUpdate update;
      try {
        update = queue.take().getValue();
      } catch (InterruptedException e) {
        return;
      }
      if (leading) {
        write(update);
      }
    }
  }

  private void write(StatusUpdate update) {
    ConfigKey key = update.object().key();
    try {
      Optional<Config> current = live.apply(key);
      if (current.isEmpty()) {
        log.debug("gateway status: {} is gone, not written", key);
        return;
      }
      Config object = current.get();
      if (object.meta().generation() != update.object().meta().generation()) {
        // the spec changed since this status was computed: the conversion of the new one follows
        log.debug("gateway status: {} is at a newer generation, not written", key);
        return;
      }
      if (update.status().equals(object.status())) {
        reported.remove(key);
        return;
      }
      api.replace(key, object.meta().resourceVersion(), ProtoJsonWriter.write(update.status()));
      if (reported.remove(key) != null) {
        log.info("gateway status: {} written", key);
      }
    } catch (RuntimeException e) {
      report(key, e);
    }
  }

  /** Logs a failed write once per object and reason; none of them stops the writer. */
  private void report(ConfigKey key, RuntimeException e) {
    String reason = reason(e);
    if (reason.equals(reported.put(key, reason))) {
      return;
    }
    int code = e instanceof KubernetesClientException k ? k.getCode() : 0;
    if (code == 404 || code == 409) {
      // deleted, or changed since our informer saw it: both are normal and resolve themselves
      log.info("gateway status: {} not written: {}", key, reason);
    } else {
      log.warn("gateway status: {} not written (retried with the next result): {}", key, reason);
    }
  }

  private static String reason(RuntimeException e) {
    if (e instanceof KubernetesClientException k) {
      String message =
          k.getStatus() != null && k.getStatus().getMessage() != null
              ? k.getStatus().getMessage()
              : k.getMessage();
      return switch (k.getCode()) {
        case 404 -> "not found (deleted): " + message;
        case 409 -> "conflict (the object changed): " + message;
        case 0 -> message;
        default -> "HTTP " + k.getCode() + ": " + message;
      };
    }
    return e.toString();
  }

  /** Stops the writer thread; a write in flight is abandoned. */
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

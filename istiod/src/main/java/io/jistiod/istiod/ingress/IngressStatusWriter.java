package io.jistiod.istiod.ingress;

import io.jistiod.galley.api.ingress.v1.IngressStatus;
import io.jistiod.galley.config.ConfigKey;
import io.jistiod.istiod.gatewayapi.LatestPerKeyQueue;
import io.jistiod.pilot.ingress.IngressResult;
import io.jistiod.pilot.ingress.IngressStatuses;
import io.jistiod.pilot.ingress.IngressStatuses.Update;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the status of the Ingresses istiod serves (the ingress gateway's addresses as their load
 * balancer ingress points) while this replica leads, as istiod's ingress status writer does under
 * the {@code istio-leader} election. Ingresses it does not serve are never touched.
 *
 * <p>The push thread only queues, and only what differs from the Ingress's status as the informer
 * last saw it and from what this writer last wrote; one writer thread replaces the status
 * subresource. A failure is logged once per Ingress and reason and retried with the next change or
 * the next leadership.
 */
public final class IngressStatusWriter implements Consumer<IngressResult>, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(IngressStatusWriter.class);

  /** The API server, as the writer uses it. */
  public interface StatusApi {
    /** Replaces the status of Ingress {@code namespace/name}. */
    void write(String namespace, String name, IngressStatus status);
  }

  private final StatusApi api;
  private final Supplier<List<String>> addresses;
  private final LatestPerKeyQueue<ConfigKey, Update> queue = new LatestPerKeyQueue<>();
  private final Map<ConfigKey, IngressStatus> written = new ConcurrentHashMap<>();
  private final Map<ConfigKey, String> reported = new ConcurrentHashMap<>();
  private final Object lock = new Object();
  private final Thread thread;
  private IngressResult last = IngressResult.EMPTY; // guarded by lock
  private volatile boolean leading;
  private volatile boolean closed;

  /**
   * @param addresses the ingress gateway's addresses now ({@link IngressStatuses#addresses})
   */
  public IngressStatusWriter(StatusApi api, Supplier<List<String>> addresses) {
    this(api, addresses, true);
  }

  /** {@code background} false: no writer thread; tests drain the queue with {@link #drain}. */
  IngressStatusWriter(StatusApi api, Supplier<List<String>> addresses, boolean background) {
    this.api = Objects.requireNonNull(api, "api");
    this.addresses = Objects.requireNonNull(addresses, "addresses");
    this.thread = new Thread(this::run, "ingress-status-writer");
    thread.setDaemon(true);
    if (background) {
      thread.start();
    }
  }

  @Override
  public void accept(IngressResult result) {
    synchronized (lock) {
      last = result;
      if (leading) {
        enqueueChanged(result);
      }
    }
  }

  private void enqueueChanged(IngressResult result) {
    if (result.selected().isEmpty()) {
      return;
    }
    IngressStatus status = IngressStatuses.status(addresses.get());
    for (Update u : IngressStatuses.updates(result.selected(), status)) {
      if (!u.status().equals(written.get(u.ingress().key()))) {
        queue.put(u.ingress().key(), u);
      }
    }
  }

  /** Starts writing, from the last result; fits {@code LeaderElection.Singleton}. */
  public AutoCloseable lead() {
    synchronized (lock) {
      leading = true;
      written.clear();
      enqueueChanged(last);
    }
    log.info("ingress status: this replica writes the status of Ingresses");
    return this::stopLeading;
  }

  private void stopLeading() {
    synchronized (lock) {
      leading = false;
      queue.clear();
    }
    log.info("ingress status: no longer writing the status of Ingresses");
  }

  /** Writes what is queued on the caller's thread (without a writer thread). */
  void drain() throws InterruptedException {
    while (queue.size() > 0) {
      Update u = queue.take().getValue();
      if (leading) {
        write(u);
      }
    }
  }

  private void run() {
    while (!closed) {
      Update u;
      try {
        u = queue.take().getValue();
      } catch (InterruptedException e) {
        return;
      }
      if (leading) {
        write(u);
      }
    }
  }

  private void write(Update u) {
    ConfigKey key = u.ingress().key();
    try {
      api.write(key.namespace(), key.name(), u.status());
      written.put(key, u.status());
      reported.remove(key);
    } catch (RuntimeException e) {
      String reason = e.getMessage() == null ? e.toString() : e.getMessage();
      if (!reason.equals(reported.put(key, reason))) {
        log.warn(
            "ingress status: Ingress {}/{}: cannot write status: {}",
            key.namespace(),
            key.name(),
            reason);
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
  }
}

package io.jistiod.istiod.ha;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one of istiod's singletons (root certificate publishing, webhook patching) only on the
 * replica that holds a Kubernetes {@code coordination.k8s.io/v1} Lease in istiod's namespace, with
 * istiod's timings: the lease lasts {@code ttl} (30 s), the leader renews within half of it, the
 * others retry every fifth (see {@link #retryPeriod}). When the lease is lost the singleton is
 * stopped and the replica competes again; when istiod shuts down it stops the singleton and
 * releases the lease, so another replica takes over at once rather than after the lease runs out.
 *
 * <p>The singleton starts and stops on a thread of its own, never on the elector's, so a slow start
 * (informers listing) cannot delay a renewal. {@code ENABLE_LEADER_ELECTION=false} (istiod's
 * switch) runs it at once, as the only replica.
 */
public final class LeaderElection implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LeaderElection.class);

  /** istiod's lease duration. */
  public static final Duration DEFAULT_TTL = Duration.ofSeconds(30);

  /** A singleton: started when leadership is won, closed when it is lost. */
  @FunctionalInterface
  public interface Singleton {
    AutoCloseable start() throws Exception;
  }

  private final KubernetesClient client;
  private final String namespace;
  private final String identity;
  private final String electionId;
  private final Duration ttl;
  private final Singleton singleton;
  private final ExecutorService runner;
  private final ScheduledExecutorService restarts;
  private volatile CompletableFuture<?> election;
  private volatile boolean closed;
  private volatile boolean leader;
  private AutoCloseable running; // runner thread only

  private LeaderElection(
      KubernetesClient client,
      String namespace,
      String identity,
      String electionId,
      Duration ttl,
      Singleton singleton) {
    this.client = client;
    this.namespace = Objects.requireNonNull(namespace, "namespace");
    this.identity = Objects.requireNonNull(identity, "identity");
    this.electionId = Objects.requireNonNull(electionId, "electionId");
    this.ttl = Objects.requireNonNull(ttl, "ttl");
    this.singleton = Objects.requireNonNull(singleton, "singleton");
    this.runner = Executors.newSingleThreadExecutor(daemon("leader-" + electionId));
    this.restarts = Executors.newSingleThreadScheduledExecutor(daemon("election-" + electionId));
  }

  /**
   * Competes for the lease {@code electionId} and runs {@code singleton} while holding it.
   *
   * @param client null, or {@code enabled} false, runs the singleton at once without a lease
   */
  public static LeaderElection start(
      KubernetesClient client,
      boolean enabled,
      String namespace,
      String identity,
      String electionId,
      Duration ttl,
      Singleton singleton) {
    LeaderElection e = new LeaderElection(client, namespace, identity, electionId, ttl, singleton);
    if (client == null || !enabled) {
      log.info("leader election {} bypassed: running as the only replica", electionId);
      e.runner.execute(e::startSingleton);
    } else {
      e.compete();
    }
    return e;
  }

  /**
   * How often a replica tries for the lease: a fifth of its duration (istiod: a quarter). fabric8's
   * elector, unlike client-go, wants the renew deadline above 2.2 retry periods (the retry plus its
   * jitter), which a quarter misses.
   */
  static Duration retryPeriod(Duration ttl) {
    return ttl.dividedBy(5);
  }

  /**
   * Whether this replica holds the lease (always, with election bypassed) and runs the singleton.
   */
  public boolean isLeader() {
    return leader;
  }

  private void compete() {
    if (closed) {
      return;
    }
    var config =
        new LeaderElectionConfigBuilder()
            .withName(electionId)
            .withLock(new LeaseLock(namespace, electionId, identity))
            .withLeaseDuration(ttl)
            .withRenewDeadline(ttl.dividedBy(2))
            .withRetryPeriod(retryPeriod(ttl))
            .withReleaseOnCancel(true)
            .withLeaderCallbacks(
                new LeaderCallbacks(
                    () -> runner.execute(this::startSingleton),
                    () -> runner.execute(this::stopSingleton),
                    holder -> log.info("leader election {}: {} leads", electionId, holder)))
            .build();
    CompletableFuture<?> f;
    try {
      f = client.leaderElector().withConfig(config).build().start();
    } catch (RuntimeException e) {
      log.warn("leader election {}: cannot start ({}), retrying", electionId, e.getMessage());
      scheduleCompete();
      return;
    }
    election = f;
    // The elector ends when leadership is lost (or the API server refused it): compete again.
    f.whenComplete((r, e) -> scheduleCompete());
  }

  private void scheduleCompete() {
    if (closed) {
      return;
    }
    try {
      restarts.schedule(this::compete, retryPeriod(ttl).toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closed meanwhile
    }
  }

  private void startSingleton() {
    if (closed || running != null) {
      return;
    }
    log.info("leader election {}: {} is the leader, starting", electionId, identity);
    try {
      running = singleton.start();
      leader = true;
    } catch (Exception e) {
      log.error("leader election {}: starting failed: {}", electionId, e.toString(), e);
    }
  }

  private void stopSingleton() {
    leader = false;
    if (running == null) {
      return;
    }
    log.info("leader election {}: {} is no longer the leader, stopping", electionId, identity);
    try {
      running.close();
    } catch (Exception e) {
      log.warn("leader election {}: stopping failed: {}", electionId, e.toString());
    }
    running = null;
  }

  /** Stops the singleton, then releases the lease. */
  @Override
  public void close() {
    closed = true;
    restarts.shutdownNow();
    try {
      runner.submit(this::stopSingleton).get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.debug("leader election {}: stop did not finish", electionId, e);
    }
    CompletableFuture<?> f = election;
    if (f != null) {
      f.cancel(true); // releaseOnCancel: the lease is given up now
    }
    runner.shutdownNow();
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}

package io.jistiod.citadel.k8s;

import io.jistiod.citadel.pki.CaKeyMaterial;
import io.jistiod.citadel.pki.CaKeyMaterialHolder;
import io.jistiod.citadel.pki.SelfSignedRootGenerator;
import io.jistiod.citadel.time.TaskScheduler;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renews the self-signed root in {@code istio-ca-secret} before it expires, as Istio's {@code
 * SelfSignedCARootCertRotator} does (CA-15).
 *
 * <p>Every {@code checkInterval} (1 h), after a random start delay below one interval so replicas
 * do not check in step, it reads the Secret:
 *
 * <ul>
 *   <li>when less than {@code gracePercent} (20 %) of the root's lifetime remains, it issues a new
 *       root for the <em>same key and subject</em>, writes it to the Secret under an optimistic
 *       lock and makes it current; certificates issued under the old root keep verifying against
 *       the new one, because verification only needs the issuer's name and key;
 *   <li>otherwise, if the Secret holds another root than the one in use, another replica rotated:
 *       it adopts the Secret's.
 * </ul>
 *
 * The holder's listeners then publish the new root. Failures are logged and retried at the next
 * check; a Secret that cannot be read is never overwritten.
 *
 * <p>Threads: checks run on the scheduler's thread, one at a time.
 */
public final class SelfSignedRootRotator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SelfSignedRootRotator.class);

  /** Istio's {@code CITADEL_SELF_SIGNED_ROOT_CERT_CHECK_INTERVAL}. */
  public static final Duration DEFAULT_CHECK_INTERVAL = Duration.ofHours(1);

  /** Istio's {@code CITADEL_SELF_SIGNED_ROOT_CERT_GRACE_PERIOD_PERCENTILE}. */
  public static final int DEFAULT_GRACE_PERCENT = 20;

  /** What one check did. */
  public enum Outcome {
    /** The root in use is the stored one and has enough life left. */
    UNCHANGED,
    /** Another replica changed the Secret; its root is now in use. */
    ADOPTED,
    /** This replica rotated the root. */
    ROTATED,
    /** The Secret could not be read or written; nothing changed. */
    FAILED
  }

  private final IstioCaSecretStore store;
  private final CaKeyMaterialHolder holder;
  private final SelfSignedRootGenerator generator;
  private final Duration rootTtl;
  private final Clock clock;
  private final TaskScheduler scheduler;
  private final Duration checkInterval;
  private final int gracePercent;
  private final Object lock = new Object();
  private TaskScheduler.Cancellable next;
  private boolean closed;

  /**
   * @param rootTtl the lifetime of a renewed root ({@code CITADEL_SELF_SIGNED_CA_CERT_TTL})
   * @param gracePercent rotate when less than this share of the lifetime remains, 1..99
   */
  public SelfSignedRootRotator(
      IstioCaSecretStore store,
      CaKeyMaterialHolder holder,
      SelfSignedRootGenerator generator,
      Duration rootTtl,
      Clock clock,
      TaskScheduler scheduler,
      Duration checkInterval,
      int gracePercent) {
    this.store = Objects.requireNonNull(store, "store");
    this.holder = Objects.requireNonNull(holder, "holder");
    this.generator = Objects.requireNonNull(generator, "generator");
    this.rootTtl = Objects.requireNonNull(rootTtl, "rootTtl");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    this.checkInterval = Objects.requireNonNull(checkInterval, "checkInterval");
    if (checkInterval.isNegative() || checkInterval.isZero()) {
      throw new IllegalArgumentException("checkInterval: " + checkInterval + " (expected: > 0)");
    }
    if (gracePercent < 1 || gracePercent > 99) {
      throw new IllegalArgumentException("gracePercent: " + gracePercent + " (expected: 1..99)");
    }
    this.gracePercent = gracePercent;
  }

  /**
   * Schedules the first check after {@code jitter} (pass a random value below the check interval,
   * or zero), then one every check interval.
   */
  public void start(Duration jitter) {
    Objects.requireNonNull(jitter, "jitter");
    log.info(
        "root rotation check every {} (first in {}), rotating with less than {}% of life left",
        checkInterval, jitter, gracePercent);
    scheduleNext(jitter);
  }

  private void scheduleNext(Duration delay) {
    synchronized (lock) {
      if (!closed) {
        next = scheduler.schedule(this::runScheduled, delay);
      }
    }
  }

  private void runScheduled() {
    try {
      checkAndRotate();
    } catch (RuntimeException e) {
      log.error("root rotation check failed", e);
    } finally {
      scheduleNext(checkInterval);
    }
  }

  /** One check, as the schedule runs it; public for tests and operators' tools. */
  public Outcome checkAndRotate() {
    Optional<IstioCaSecretStore.Stored> read;
    try {
      read = store.loadVersioned();
    } catch (RuntimeException e) {
      log.error("cannot read {}, skipping root rotation check: {}", secretName(), e.getMessage());
      return Outcome.FAILED;
    }
    if (read.isEmpty()) {
      log.error("{} does not exist, skipping root rotation check", secretName());
      return Outcome.FAILED;
    }
    IstioCaSecretStore.Stored stored = read.get();
    X509Certificate root = stored.material().signingCert();
    if (!needsRotation(root, clock.instant())) {
      return adopt(stored.material()) ? Outcome.ADOPTED : Outcome.UNCHANGED;
    }
    CaKeyMaterial renewed = generator.renew(stored.material(), rootTtl);
    log.info(
        "root {} expires at {}, less than {}% of its life left: rotating to a new root with the same"
            + " key, valid until {}",
        root.getSubjectX500Principal(),
        root.getNotAfter().toInstant(),
        gracePercent,
        renewed.signingCert().getNotAfter().toInstant());
    boolean written;
    try {
      written = store.replace(renewed, stored.resourceVersion());
    } catch (RuntimeException e) {
      log.error("cannot write the rotated root to {}: {}", secretName(), e.getMessage());
      return Outcome.FAILED;
    }
    if (!written) {
      // Another replica got there first; take whatever it stored.
      log.info("{} changed while rotating; adopting the stored root instead", secretName());
      try {
        return store.load().map(this::adopt).orElse(false) ? Outcome.ADOPTED : Outcome.UNCHANGED;
      } catch (RuntimeException e) {
        log.error("cannot reload {}: {}", secretName(), e.getMessage());
        return Outcome.FAILED;
      }
    }
    holder.set(renewed);
    log.info("root rotated: {}", renewed);
    return Outcome.ROTATED;
  }

  /** True when less than the grace share of the root's lifetime remains at {@code now}. */
  boolean needsRotation(X509Certificate root, Instant now) {
    Instant notBefore = root.getNotBefore().toInstant();
    Instant notAfter = root.getNotAfter().toInstant();
    Duration lifetime = Duration.between(notBefore, notAfter);
    Duration grace = lifetime.multipliedBy(gracePercent).dividedBy(100);
    return !now.isBefore(notAfter.minus(grace));
  }

  /** Makes {@code stored} current if it differs from the material in use; true if it did. */
  private boolean adopt(CaKeyMaterial stored) {
    CaKeyMaterial inUse = holder.current().orElse(null);
    if (inUse != null
        && inUse.signingCert().equals(stored.signingCert())
        && inUse.rootBundle().equals(stored.rootBundle())) {
      return false;
    }
    log.warn("{} holds another root than the one in use; adopting it: {}", secretName(), stored);
    holder.set(stored);
    return true;
  }

  private String secretName() {
    return "Secret " + store.namespace() + "/" + IstioCaSecretStore.SECRET_NAME;
  }

  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
      if (next != null) {
        next.cancel();
      }
    }
  }
}

package io.jistiod.istiod.security;

import io.jistiod.citadel.ca.CaException;
import io.jistiod.citadel.ca.IssuedCertificate;
import io.jistiod.citadel.ca.TtlPolicy;
import io.jistiod.citadel.ca.WorkloadCertificateSigner;
import io.jistiod.citadel.pki.CaKeyMaterial;
import io.jistiod.citadel.pki.CaKeyMaterialHolder;
import io.jistiod.citadel.pki.KeyAlgorithm;
import io.jistiod.citadel.time.TaskScheduler;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * istiod's serving certificate signed by its own CA ({@code PILOT_CERT_PROVIDER=istiod}), for its
 * DNS names, with a fresh ECDSA P-256 key each time; the key never leaves the process.
 *
 * <p>Renewed when half its lifetime has passed, and at once when the CA's key material changes
 * (root rotation, a new plug-in CA), so the certificate always chains to the roots workloads are
 * given. Checked every minute, so a failed renewal is retried without waiting.
 *
 * <p>Threads: issuing runs on the scheduler's thread, except the first, which {@link #start} does
 * on the caller's.
 */
public final class CaServingCertificate implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CaServingCertificate.class);

  /** How often the certificate's age is checked (Istio polls every 60 s). */
  public static final Duration CHECK_INTERVAL = Duration.ofMinutes(1);

  private final CaKeyMaterialHolder ca;
  private final List<String> dnsNames;
  private final Duration ttl;
  private final ServingKeyManager target;
  private final Clock clock;
  private final TaskScheduler scheduler;
  private final SecureRandom random;
  private final WorkloadCertificateSigner signer;
  private final Consumer<CaKeyMaterial> onCaChange = material -> scheduleNow();
  private final Object lock = new Object();
  private TaskScheduler.Cancellable nextCheck;
  private volatile CaKeyMaterial issuedBy;
  private volatile Instant issuedAt;
  private boolean closed;

  /**
   * @param ttl the certificate lifetime ({@code CITADEL_SELF_SIGNED_CA_CERT_TTL} in Istio), cut to
   *     the CA's own end
   */
  public CaServingCertificate(
      CaKeyMaterialHolder ca,
      List<String> dnsNames,
      Duration ttl,
      ServingKeyManager target,
      Clock clock,
      TaskScheduler scheduler,
      SecureRandom random) {
    this.ca = Objects.requireNonNull(ca, "ca");
    this.dnsNames = List.copyOf(Objects.requireNonNull(dnsNames, "dnsNames"));
    this.ttl = Objects.requireNonNull(ttl, "ttl");
    this.target = Objects.requireNonNull(target, "target");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    this.random = Objects.requireNonNull(random, "random");
    this.signer = new WorkloadCertificateSigner(ca, new TtlPolicy(ttl, ttl), clock, random);
  }

  /**
   * Issues the first certificate, then keeps it fresh.
   *
   * @throws IllegalStateException if the CA cannot issue it
   */
  public void start() {
    try {
      issue();
    } catch (CaException e) {
      throw new IllegalStateException("cannot issue istiod's serving certificate: " + e, e);
    }
    ca.addListener(onCaChange);
    schedule(CHECK_INTERVAL);
  }

  private void scheduleNow() {
    schedule(Duration.ZERO);
  }

  private void schedule(Duration delay) {
    synchronized (lock) {
      if (closed) {
        return;
      }
      if (nextCheck != null) {
        nextCheck.cancel();
      }
      nextCheck = scheduler.schedule(this::check, delay);
    }
  }

  private void check() {
    try {
      if (needsRenewal(clock.instant())) {
        issue();
      }
    } catch (CaException | RuntimeException e) {
      log.error("cannot renew istiod's serving certificate, retrying in {}: {}", CHECK_INTERVAL, e);
    } finally {
      schedule(CHECK_INTERVAL);
    }
  }

  /**
   * Past half its life, or issued by other key material than the CA's current one. Life counts from
   * issuance, not from the backdated notBefore, so short lifetimes do not renew at once.
   */
  boolean needsRenewal(Instant now) {
    ServingCertificate current = target.current().orElse(null);
    CaKeyMaterial material = ca.current().orElse(null);
    if (current == null || material != issuedBy || issuedAt == null) {
      return true;
    }
    Duration life = Duration.between(issuedAt, current.notAfter());
    return !now.isBefore(issuedAt.plus(life.dividedBy(2)));
  }

  private void issue() throws CaException {
    KeyPair key = KeyAlgorithm.ECDSA_P256.generateKeyPair(random);
    Instant now = clock.instant();
    IssuedCertificate issued = signer.sign(key.getPublic(), dnsNames, ttl);
    List<X509Certificate> chain = new ArrayList<>();
    chain.add(issued.leaf());
    for (X509Certificate cert : issued.issuer().certChain()) {
      if (!issued.issuer().rootBundle().contains(cert)) {
        chain.add(cert); // intermediates only; clients have the roots
      }
    }
    ServingCertificate certificate = new ServingCertificate(key.getPrivate(), chain);
    target.set(certificate);
    issuedBy = issued.issuer();
    issuedAt = now;
    log.info("istiod serving certificate for {} issued: {}", dnsNames, certificate);
  }

  @Override
  public void close() {
    ca.removeListener(onCaChange);
    synchronized (lock) {
      closed = true;
      if (nextCheck != null) {
        nextCheck.cancel();
      }
    }
  }
}

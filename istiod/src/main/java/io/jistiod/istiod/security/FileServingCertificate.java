package io.jistiod.istiod.security;

import io.jistiod.citadel.pki.InvalidKeyMaterialException;
import io.jistiod.citadel.pki.KeyAlgorithm;
import io.jistiod.citadel.pki.Pem;
import io.jistiod.citadel.time.TaskScheduler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * istiod's serving certificate from files ({@code --tlsCertFile}, {@code --tlsKeyFile}; e.g. a
 * cert-manager Secret mounted at {@code ./var/run/secrets/istiod/tls}), reloaded when they change.
 * A changed pair that does not load (half-written, key and certificate mismatched) is reported and
 * the previous one kept.
 *
 * <p>Threads: checks run on the scheduler's thread; the first load on {@link #start}'s caller.
 */
public final class FileServingCertificate implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FileServingCertificate.class);

  private final Path certFile;
  private final Path keyFile;
  private final ServingKeyManager target;
  private final TaskScheduler scheduler;
  private final Duration checkInterval;
  private final Object lock = new Object();
  private TaskScheduler.Cancellable nextCheck;
  private boolean closed;
  private byte[] loadedCert = new byte[0];
  private byte[] loadedKey = new byte[0];

  public FileServingCertificate(
      Path certFile,
      Path keyFile,
      ServingKeyManager target,
      TaskScheduler scheduler,
      Duration checkInterval) {
    this.certFile = Objects.requireNonNull(certFile, "certFile");
    this.keyFile = Objects.requireNonNull(keyFile, "keyFile");
    this.target = Objects.requireNonNull(target, "target");
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    this.checkInterval = Objects.requireNonNull(checkInterval, "checkInterval");
  }

  /**
   * Loads the pair, then watches it.
   *
   * @throws IOException naming the file that cannot be read or used
   */
  public void start() throws IOException {
    try {
      reload();
    } catch (InvalidKeyMaterialException e) {
      throw new IOException(
          "--tlsCertFile " + certFile + " / --tlsKeyFile " + keyFile + ": " + e.getMessage(), e);
    }
    schedule();
  }

  private void schedule() {
    synchronized (lock) {
      if (!closed) {
        nextCheck = scheduler.schedule(this::check, checkInterval);
      }
    }
  }

  private void check() {
    try {
      reload();
    } catch (IOException | RuntimeException e) {
      log.warn(
          "keeping the current serving certificate; cannot load {}: {}", certFile, e.getMessage());
    } finally {
      schedule();
    }
  }

  /** Loads the files if their bytes changed since the last load. */
  void reload() throws IOException {
    byte[] cert = Files.readAllBytes(certFile);
    byte[] key = Files.readAllBytes(keyFile);
    if (Arrays.equals(cert, loadedCert) && Arrays.equals(key, loadedKey)) {
      return;
    }
    List<X509Certificate> chain = Pem.parseCertificates(new String(cert, StandardCharsets.UTF_8));
    if (chain.isEmpty()) {
      throw new InvalidKeyMaterialException("no certificate in " + certFile);
    }
    PrivateKey privateKey = Pem.parsePrivateKey(new String(key, StandardCharsets.UTF_8));
    requireMatch(chain.get(0), privateKey);
    ServingCertificate certificate = new ServingCertificate(privateKey, chain);
    target.set(certificate);
    loadedCert = cert;
    loadedKey = key;
    log.info("istiod serving certificate loaded from {}: {}", certFile, certificate);
  }

  private static void requireMatch(X509Certificate cert, PrivateKey key) {
    byte[] probe = "jistiod-serving-key-probe".getBytes(StandardCharsets.US_ASCII);
    try {
      String algorithm = KeyAlgorithm.signatureAlgorithmFor(key);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(cert.getPublicKey());
      verifier.update(probe);
      if (verifier.verify(signature)) {
        return;
      }
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new InvalidKeyMaterialException(
          "cannot check the key against the certificate (" + e.getClass().getSimpleName() + ")");
    }
    throw new InvalidKeyMaterialException("the key does not match the certificate");
  }

  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
      if (nextCheck != null) {
        nextCheck.cancel();
      }
    }
  }
}

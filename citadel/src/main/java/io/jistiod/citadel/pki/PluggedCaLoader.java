package io.jistiod.citadel.pki;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Reads a plug-in CA from a folder ({@code ROOT_CA_DIR}, Istio mounts Secret {@code cacerts} at
 * {@code ./etc/cacerts}).
 *
 * <p>Two layouts, checked in this order:
 *
 * <ul>
 *   <li>Istio's: {@code ca-cert.pem}, {@code ca-key.pem}, {@code cert-chain.pem} (may be missing or
 *       empty when the signing certificate is the root), {@code root-cert.pem};
 *   <li>kubernetes.io/tls, as cert-manager writes it: {@code tls.crt} (signing certificate,
 *       optionally followed by intermediates), {@code tls.key}, {@code ca.crt} (roots); the chain
 *       is then {@code tls.crt} followed by {@code ca.crt}.
 * </ul>
 */
public final class PluggedCaLoader {
  public static final String CA_CERT = "ca-cert.pem";
  public static final String CA_KEY = "ca-key.pem";
  public static final String CERT_CHAIN = "cert-chain.pem";
  public static final String ROOT_CERT = "root-cert.pem";
  public static final String TLS_CERT = "tls.crt";
  public static final String TLS_KEY = "tls.key";
  public static final String TLS_CA = "ca.crt";

  private PluggedCaLoader() {}

  /**
   * The CA in {@code dir}, or empty when neither layout's key file exists there (then istiod uses
   * its self-signed CA).
   *
   * @throws InvalidKeyMaterialException when a layout is present but its files are unusable
   */
  public static Optional<CaKeyMaterial> load(Path dir) throws IOException {
    Objects.requireNonNull(dir, "dir");
    if (Files.exists(dir.resolve(CA_KEY))) {
      return Optional.of(loadIstioLayout(dir));
    }
    if (Files.exists(dir.resolve(TLS_KEY))) {
      return Optional.of(loadTlsLayout(dir));
    }
    return Optional.empty();
  }

  private static CaKeyMaterial loadIstioLayout(Path dir) throws IOException {
    String chain = Files.exists(dir.resolve(CERT_CHAIN)) ? read(dir, CERT_CHAIN) : "";
    return withFile(
        CA_CERT + "/" + CA_KEY + "/" + CERT_CHAIN + "/" + ROOT_CERT,
        dir,
        () ->
            CaKeyMaterial.fromPem(
                read(dir, CA_CERT), read(dir, CA_KEY), chain, read(dir, ROOT_CERT)));
  }

  private static CaKeyMaterial loadTlsLayout(Path dir) throws IOException {
    return withFile(
        TLS_CERT + "/" + TLS_KEY + "/" + TLS_CA,
        dir,
        () -> {
          List<X509Certificate> tlsCerts = Pem.parseCertificates(read(dir, TLS_CERT));
          if (tlsCerts.isEmpty()) {
            throw new InvalidKeyMaterialException("no certificate in " + TLS_CERT);
          }
          List<X509Certificate> roots = Pem.parseCertificates(read(dir, TLS_CA));
          List<X509Certificate> chain = new ArrayList<>(tlsCerts);
          // A self-signed tls.crt is its own root; repeating it would only lengthen responses.
          for (X509Certificate root : roots) {
            if (!chain.contains(root)) {
              chain.add(root);
            }
          }
          return new CaKeyMaterial(
              tlsCerts.get(0), Pem.parsePrivateKey(read(dir, TLS_KEY)), chain, roots);
        });
  }

  private interface Loader {
    CaKeyMaterial load() throws IOException;
  }

  /** Prefixes validation errors with the folder and files so operators know what to fix. */
  private static CaKeyMaterial withFile(String files, Path dir, Loader loader) throws IOException {
    try {
      return loader.load();
    } catch (InvalidKeyMaterialException e) {
      throw new InvalidKeyMaterialException(
          "plug-in CA in " + dir + " (" + files + "): " + e.getMessage(), e);
    }
  }

  private static String read(Path dir, String name) throws IOException {
    return Files.readString(dir.resolve(name), StandardCharsets.UTF_8);
  }
}

package io.jistiod.istiod.security;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A server key manager whose certificate can be swapped while the server runs: each handshake takes
 * the certificate current when it starts, so renewals need no restart and cut no connection.
 *
 * <p>The TLS stack asks for the chain and the key in separate calls. The alias names a generation,
 * so a swap between the two calls cannot pair the new key with the old chain.
 */
public final class ServingKeyManager extends X509ExtendedKeyManager {
  private static final String ALIAS_PREFIX = "istiod-";

  private record Generation(long number, ServingCertificate certificate) {}

  private final AtomicReference<Generation> current = new AtomicReference<>();
  private final AtomicReference<Generation> previous = new AtomicReference<>();

  /** Serves {@code certificate} from the next handshake on. */
  public synchronized void set(ServingCertificate certificate) {
    Objects.requireNonNull(certificate, "certificate");
    Generation old = current.get();
    previous.set(old);
    current.set(new Generation(old == null ? 1 : old.number() + 1, certificate));
  }

  public Optional<ServingCertificate> current() {
    Generation g = current.get();
    return g == null ? Optional.empty() : Optional.of(g.certificate());
  }

  private String alias() {
    Generation g = current.get();
    return g == null ? null : ALIAS_PREFIX + g.number();
  }

  private ServingCertificate byAlias(String alias) {
    for (Generation g : new Generation[] {current.get(), previous.get()}) {
      if (g != null && (ALIAS_PREFIX + g.number()).equals(alias)) {
        return g.certificate();
      }
    }
    return null;
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return alias();
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return alias();
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    String alias = alias();
    return alias == null ? null : new String[] {alias};
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    ServingCertificate c = byAlias(alias);
    return c == null ? null : c.chain().toArray(new X509Certificate[0]);
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    ServingCertificate c = byAlias(alias);
    return c == null ? null : c.key();
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return null;
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return null;
  }
}

package io.jistiod.istiod.webhook;

import io.jistiod.istiod.security.ServingCertificate;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A server key manager that asks a supplier for istiod's certificate at every handshake, so the
 * webhook port serves a renewed certificate without a restart and without dropping connections.
 *
 * <p>The TLS stack asks for the alias, then the chain and the key in separate calls; the alias
 * names one certificate, so a renewal between the calls never pairs a new key with an old chain.
 */
final class SuppliedKeyManager extends X509ExtendedKeyManager {
  private record Entry(ServingCertificate certificate, String alias) {}

  private final Supplier<ServingCertificate> source;
  private Entry current;
  private Entry previous;
  private long generation;

  /**
   * @param source the certificate to serve now, or null while there is none (handshakes fail)
   */
  SuppliedKeyManager(Supplier<ServingCertificate> source) {
    this.source = Objects.requireNonNull(source, "source");
  }

  private synchronized String alias() {
    ServingCertificate c = source.get();
    if (c == null) {
      return null;
    }
    if (current == null || current.certificate() != c) {
      previous = current;
      current = new Entry(c, "webhook-" + ++generation);
    }
    return current.alias();
  }

  private synchronized ServingCertificate byAlias(String alias) {
    for (Entry e : new Entry[] {current, previous}) {
      if (e != null && e.alias().equals(alias)) {
        return e.certificate();
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

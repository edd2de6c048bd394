package io.jistiod.istiod.security;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * istiod's TLS identity: a key and its certificate chain, leaf first. {@link #toString()} never
 * shows the key.
 */
public record ServingCertificate(PrivateKey key, List<X509Certificate> chain) {
  public ServingCertificate {
    Objects.requireNonNull(key, "key");
    chain = List.copyOf(Objects.requireNonNull(chain, "chain"));
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("chain: empty (expected: the leaf, then its issuers)");
    }
  }

  public X509Certificate leaf() {
    return chain.get(0);
  }

  public Instant notBefore() {
    return leaf().getNotBefore().toInstant();
  }

  public Instant notAfter() {
    return leaf().getNotAfter().toInstant();
  }

  @Override
  public String toString() {
    return "ServingCertificate{serial="
        + leaf().getSerialNumber().toString(16)
        + ", notAfter="
        + notAfter()
        + ", chain="
        + chain.size()
        + "}";
  }
}

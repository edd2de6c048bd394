package io.jistiod.istiod.security;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Verifies client certificates on 15012 against the roots current at handshake time (the mesh
 * roots, which follow rotation, or {@code --caCertFile}), as Go's {@code VerifyClientCertIfGiven}
 * with istiod's cert pool does. A client that presents no certificate is let through to the token
 * authenticator; one that presents a certificate that does not verify fails the handshake.
 */
public final class MeshTrustManager extends X509ExtendedTrustManager {
  private final Supplier<List<X509Certificate>> roots;
  private final Clock clock;

  public MeshTrustManager(Supplier<List<X509Certificate>> roots, Clock clock) {
    this.roots = Objects.requireNonNull(roots, "roots");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    verify(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    verify(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    verify(chain);
  }

  void verify(X509Certificate[] chain) throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException("no client certificate");
    }
    List<X509Certificate> anchors = roots.get();
    if (anchors.isEmpty()) {
      throw new CertificateException("no roots to verify client certificates with");
    }
    // PKIX wants the path without its anchor; clients may send the root along.
    List<X509Certificate> path = new ArrayList<>();
    for (X509Certificate cert : chain) {
      if (anchors.contains(cert)) {
        break;
      }
      path.add(cert);
    }
    if (path.isEmpty()) {
      throw new CertificateException("the client presented a root as its certificate");
    }
    try {
      Set<TrustAnchor> trust =
          anchors.stream().map(root -> new TrustAnchor(root, null)).collect(Collectors.toSet());
      PKIXParameters params = new PKIXParameters(trust);
      params.setRevocationEnabled(false);
      params.setDate(Date.from(clock.instant()));
      CertPathValidator.getInstance("PKIX")
          .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
    } catch (GeneralSecurityException e) {
      throw new CertificateException(
          "client certificate does not verify against the mesh roots: " + e.getMessage(), e);
    }
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    throw new CertificateException("server-side trust manager only");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    throw new CertificateException("server-side trust manager only");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    throw new CertificateException("server-side trust manager only");
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return roots.get().toArray(new X509Certificate[0]);
  }
}

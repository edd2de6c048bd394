package io.jistiod.citadel.server.authn;

import io.jistiod.citadel.pki.CaKeyMaterial;
import io.jistiod.citadel.pki.CaKeyMaterialSource;
import io.jistiod.citadel.server.AuthenticationResult;
import io.jistiod.citadel.server.Authenticator;
import io.jistiod.citadel.server.CallInfo;
import io.jistiod.citadel.server.Caller;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Authenticates a workload by the SPIFFE URI SANs of the client certificate it presented on a
 * mutual-TLS connection (a proxy renewing its certificate with the current one).
 *
 * <p>The TLS layer already verified the certificate, but against whatever trust store the server
 * was given; the chain is verified again against the CA's current root bundle so that a
 * misconfigured listener cannot turn a foreign certificate into a mesh identity.
 */
public final class ClientCertAuthenticator implements Authenticator {
  private static final int URI_SAN = 6;

  private final CaKeyMaterialSource trust;
  private final Clock clock;

  public ClientCertAuthenticator(CaKeyMaterialSource trust, Clock clock) {
    this.trust = Objects.requireNonNull(trust, "trust");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public String name() {
    return "ClientCertAuthenticator";
  }

  @Override
  public AuthenticationResult authenticate(CallInfo call) {
    SSLSession session = call.ssl().orElse(null);
    if (session == null) {
      return AuthenticationResult.failure("not a TLS connection");
    }
    List<X509Certificate> chain;
    try {
      chain = x509(session.getPeerCertificates());
    } catch (SSLPeerUnverifiedException e) {
      return AuthenticationResult.failure("no verified client certificate");
    }
    if (chain.isEmpty()) {
      return AuthenticationResult.failure("no client certificate");
    }
    CaKeyMaterial ca = trust.current().orElse(null);
    if (ca == null) {
      return AuthenticationResult.failure("CA roots not loaded");
    }
    String invalid = verify(chain, ca.rootBundle());
    if (invalid != null) {
      return AuthenticationResult.failure(
          "client certificate does not verify against the mesh roots: " + invalid);
    }
    List<String> ids;
    try {
      ids = spiffeIds(chain.get(0));
    } catch (CertificateParsingException e) {
      return AuthenticationResult.failure("unreadable client certificate SAN");
    }
    if (ids.isEmpty()) {
      return AuthenticationResult.failure("client certificate has no SPIFFE URI SAN");
    }
    return AuthenticationResult.success(new Caller(name(), ids));
  }

  private static List<X509Certificate> x509(Certificate[] certs) {
    List<X509Certificate> out = new ArrayList<>();
    for (Certificate cert : certs) {
      if (cert instanceof X509Certificate x509) {
        out.add(x509);
      }
    }
    return out;
  }

  /** Null when {@code chain} verifies with PKIX at the clock's time, otherwise why not. */
  private String verify(List<X509Certificate> chain, List<X509Certificate> roots) {
    // PKIX wants the path without its trust anchor; clients often send the root along.
    List<X509Certificate> path = new ArrayList<>();
    for (X509Certificate cert : chain) {
      if (roots.contains(cert)) {
        break;
      }
      path.add(cert);
    }
    if (path.isEmpty()) {
      return "the client presented a root certificate as its own";
    }
    try {
      Set<TrustAnchor> anchors =
          roots.stream().map(root -> new TrustAnchor(root, null)).collect(Collectors.toSet());
      PKIXParameters params = new PKIXParameters(anchors);
      params.setRevocationEnabled(false);
      params.setDate(Date.from(clock.instant()));
      CertPathValidator.getInstance("PKIX")
          .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
      return null;
    } catch (GeneralSecurityException e) {
      return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
  }

  private static List<String> spiffeIds(X509Certificate leaf) throws CertificateParsingException {
    Collection<List<?>> sans = leaf.getSubjectAlternativeNames();
    if (sans == null) {
      return List.of();
    }
    List<String> ids = new ArrayList<>();
    for (List<?> san : sans) {
      if (san.size() == 2
          && Integer.valueOf(URI_SAN).equals(san.get(0))
          && san.get(1) instanceof String uri
          && uri.startsWith(SpiffeIds.SCHEME_PREFIX)) {
        ids.add(uri);
      }
    }
    return List.copyOf(ids);
  }
}

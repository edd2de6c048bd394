package io.jistiod.citadel.testing;

import java.security.Principal;
import java.security.cert.Certificate;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;

/** A TLS session whose peer presented {@code peerChain}, or none (unverified) when null. */
public final class FakeSslSession implements SSLSession {
  private final List<? extends Certificate> peerChain;

  public FakeSslSession(List<? extends Certificate> peerChain) {
    this.peerChain = peerChain;
  }

  public static FakeSslSession unverified() {
    return new FakeSslSession(null);
  }

  @Override
  public Certificate[] getPeerCertificates() throws SSLPeerUnverifiedException {
    if (peerChain == null) {
      throw new SSLPeerUnverifiedException("peer not authenticated");
    }
    return peerChain.toArray(new Certificate[0]);
  }

  @Override
  public byte[] getId() {
    return new byte[0];
  }

  @Override
  public SSLSessionContext getSessionContext() {
    return null;
  }

  @Override
  public long getCreationTime() {
    return 0;
  }

  @Override
  public long getLastAccessedTime() {
    return 0;
  }

  @Override
  public void invalidate() {}

  @Override
  public boolean isValid() {
    return true;
  }

  @Override
  public void putValue(String name, Object value) {}

  @Override
  public Object getValue(String name) {
    return null;
  }

  @Override
  public void removeValue(String name) {}

  @Override
  public String[] getValueNames() {
    return new String[0];
  }

  @Override
  public Certificate[] getLocalCertificates() {
    return null;
  }

  @Override
  @SuppressWarnings("removal")
  public javax.security.cert.X509Certificate[] getPeerCertificateChain()
      throws SSLPeerUnverifiedException {
    throw new SSLPeerUnverifiedException("not supported");
  }

  @Override
  public Principal getPeerPrincipal() throws SSLPeerUnverifiedException {
    throw new SSLPeerUnverifiedException("not supported");
  }

  @Override
  public Principal getLocalPrincipal() {
    return null;
  }

  @Override
  public String getCipherSuite() {
    return "TLS_AES_128_GCM_SHA256";
  }

  @Override
  public String getProtocol() {
    return "TLSv1.3";
  }

  @Override
  public String getPeerHost() {
    return "peer";
  }

  @Override
  public int getPeerPort() {
    return 0;
  }

  @Override
  public int getPacketBufferSize() {
    return 16384;
  }

  @Override
  public int getApplicationBufferSize() {
    return 16384;
  }
}

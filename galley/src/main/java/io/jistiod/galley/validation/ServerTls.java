package io.jistiod.galley.validation;

import io.jistiod.galley.api.networking.v1alpha3.ServerTLSSettings;
import io.jistiod.galley.api.networking.v1alpha3.ServerTLSSettings.TLSmode;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** Server-side TLS settings of Gateway servers and Sidecar ingress listeners. */
final class ServerTls {
  /** The cipher suites Envoy's BoringSSL accepts for servers (PSK suites excluded). */
  private static final Set<String> CIPHERS =
      Set.of(
          "ECDHE-ECDSA-AES128-GCM-SHA256",
          "ECDHE-RSA-AES128-GCM-SHA256",
          "ECDHE-ECDSA-AES256-GCM-SHA384",
          "ECDHE-RSA-AES256-GCM-SHA384",
          "ECDHE-ECDSA-CHACHA20-POLY1305",
          "ECDHE-RSA-CHACHA20-POLY1305",
          "ECDHE-ECDSA-AES128-SHA",
          "ECDHE-RSA-AES128-SHA",
          "ECDHE-ECDSA-AES256-SHA",
          "ECDHE-RSA-AES256-SHA",
          "AES128-GCM-SHA256",
          "AES256-GCM-SHA384",
          "AES128-SHA",
          "AES256-SHA",
          "DES-CBC3-SHA");

  private ServerTls() {}

  static boolean isValidCipher(String cs) {
    if (cs.isEmpty() || cs.equals("ALL")) {
      return true;
    }
    // Expressions with operators (-, +, !, [...]) are passed through unchecked.
    if (!Character.isLetterOrDigit(cs.codePointAt(0))) {
      return true;
    }
    return CIPHERS.contains(cs);
  }

  static void check(ServerTLSSettings tls, String path, Findings f) {
    if (tls.getMinProtocolVersion() == ServerTLSSettings.TLSProtocol.TLSV1_0
        || tls.getMinProtocolVersion() == ServerTLSSettings.TLSProtocol.TLSV1_1) {
      if (tls.getCipherSuitesCount() == 0) {
        f.warning(
            path + ".minProtocolVersion",
            "TLS versions below 1.2 need compatible cipherSuites: the defaults no longer include"
                + " any");
      }
    }
    Set<String> invalid = new TreeSet<>();
    Set<String> valid = new HashSet<>();
    Set<String> duplicate = new TreeSet<>();
    for (String cs : tls.getCipherSuitesList()) {
      Deadline.check();
      if (!isValidCipher(cs)) {
        invalid.add(cs);
      } else if (!valid.add(cs)) {
        duplicate.add(cs);
      }
    }
    if (!invalid.isEmpty()) {
      f.warning(path + ".cipherSuites", "ignoring invalid cipher suites: " + invalid);
    }
    if (!duplicate.isEmpty()) {
      f.warning(path + ".cipherSuites", "ignoring duplicate cipher suites: " + duplicate);
    }
    TLSmode mode = tls.getMode();
    if (mode == TLSmode.ISTIO_MUTUAL) {
      String why = "ISTIO_MUTUAL uses the workload's own certificates; ";
      if (!tls.getServerCertificate().isEmpty()) {
        f.error(path + ".serverCertificate", why + "serverCertificate must not be set");
      }
      if (!tls.getPrivateKey().isEmpty()) {
        f.error(path + ".privateKey", why + "privateKey must not be set");
      }
      if (!tls.getCaCertificates().isEmpty()) {
        f.error(path + ".caCertificates", why + "caCertificates must not be set");
      }
      if (tls.getTlsCertificatesCount() > 0) {
        f.error(path + ".tlsCertificates", why + "tlsCertificates must not be set");
      }
      if (!tls.getCredentialName().isEmpty()) {
        f.error(path + ".credentialName", why + "credentialName must not be set");
      }
      if (tls.getCredentialNamesCount() > 0) {
        f.error(path + ".credentialNames", why + "credentialNames must not be set");
      }
      return;
    }
    if (mode == TLSmode.PASSTHROUGH || mode == TLSmode.AUTO_PASSTHROUGH) {
      if (!tls.getCaCrl().isEmpty()
          || !tls.getServerCertificate().isEmpty()
          || !tls.getPrivateKey().isEmpty()
          || !tls.getCaCertificates().isEmpty()
          || tls.getTlsCertificatesCount() > 0
          || !tls.getCredentialName().isEmpty()
          || tls.getCredentialNamesCount() > 0) {
        f.warning(path, mode + " mode does not use certificates; they are ignored");
      }
    }
    int sources = 0;
    if (!tls.getServerCertificate().isEmpty() && !tls.getPrivateKey().isEmpty()) {
      sources++;
    }
    if (!tls.getCredentialName().isEmpty()) {
      sources++;
    }
    if (tls.getCredentialNamesCount() > 0) {
      sources++;
    }
    if (tls.getTlsCertificatesCount() > 0) {
      sources++;
    }
    if (sources > 1) {
      f.error(
          path,
          "only one of credentialName, credentialNames, serverCertificate/privateKey and"
              + " tlsCertificates may be set");
    }
    boolean terminating =
        mode == TLSmode.SIMPLE || mode == TLSmode.MUTUAL || mode == TLSmode.OPTIONAL_MUTUAL;
    if (terminating && (!tls.getCredentialName().isEmpty() || tls.getCredentialNamesCount() > 0)) {
      return; // certificates come from the credential
    }
    if (terminating) {
      String prefix = mode == TLSmode.SIMPLE ? "SIMPLE TLS" : "MUTUAL TLS";
      if (mode != TLSmode.SIMPLE && tls.getCaCertificates().isEmpty()) {
        f.error(path + ".caCertificates", prefix + " needs a client CA bundle (caCertificates)");
      }
      if (tls.getTlsCertificatesCount() > 2) {
        f.warning(path + ".tlsCertificates", prefix + " supports at most 2 server certificates");
      }
      List<ServerTLSSettings.TLSCertificate> certs = tls.getTlsCertificatesList();
      if (certs.isEmpty()) {
        certKey(tls.getServerCertificate(), tls.getPrivateKey(), path, prefix, f);
      } else {
        for (int i = 0; i < certs.size(); i++) {
          Deadline.check();
          certKey(
              certs.get(i).getServerCertificate(),
              certs.get(i).getPrivateKey(),
              Findings.at(path + ".tlsCertificates", i),
              prefix,
              f);
        }
      }
    }
    if (!tls.getCaCrl().isEmpty()) {
      if (!tls.getCredentialName().isEmpty()) {
        f.error(
            path + ".caCrl",
            "caCrl cannot be used with credentialName; put the CRL in the credential");
      }
      if (mode == TLSmode.SIMPLE) {
        f.error(path + ".caCrl", "caCrl is not supported with SIMPLE TLS");
      }
    }
  }

  private static void certKey(String cert, String key, String path, String prefix, Findings f) {
    if (cert.isEmpty()) {
      f.error(path + ".serverCertificate", prefix + " needs a server certificate");
    }
    if (key.isEmpty()) {
      f.error(path + ".privateKey", prefix + " needs a private key");
    }
  }
}

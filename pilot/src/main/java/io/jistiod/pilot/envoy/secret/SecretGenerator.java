package io.jistiod.pilot.envoy.secret;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import io.jistiod.pilot.envoy.secret.CredentialSource.SecretData;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.xds.XdsGenerator;
import io.jistiod.pilot.xds.XdsResource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SDS for gateway credentials: {@code kubernetes://NAME} is the key and certificate of Secret NAME,
 * {@code kubernetes://NAME-cacert} the CA that MUTUAL servers check clients against (Secret
 * NAME-cacert if it exists, else NAME's own CA). {@code kubernetes://NAMESPACE/NAME} names the
 * namespace explicitly.
 *
 * <p>Authorization, as istiod: only a gateway (node type router) gets secrets, and only from its
 * own namespace; sidecars and other namespaces get nothing. The workload certificate ({@code
 * default}) and root ({@code ROOTCA}) are served by pilot-agent, never by istiod, so those names
 * are ignored.
 */
public final class SecretGenerator implements XdsGenerator {
  private static final Logger log = LoggerFactory.getLogger(SecretGenerator.class);

  static final String PREFIX = "kubernetes://";

  /**
   * The Gateway API's certificate references ({@code kubernetes-gateway://NAMESPACE/NAME}): served
   * only to a gateway bound to a Gateway whose server names it, since the conversion already
   * checked the reference (same namespace, or a ReferenceGrant), as istiod's
   * VerifiedCertificateReferences.
   */
  static final String GATEWAY_PREFIX = "kubernetes-gateway://";

  static final String CA_SUFFIX = "-cacert";

  // keys of kubernetes.io/tls Secrets, and of the generic (Opaque) form istiod also accepts
  private static final String TLS_CERT = "tls.crt";
  private static final String TLS_KEY = "tls.key";
  private static final String TLS_CA = "ca.crt";
  private static final String TLS_CRL = "ca.crl";
  private static final String TLS_OCSP = "tls.ocsp-staple";
  private static final String GENERIC_CERT = "cert";
  private static final String GENERIC_KEY = "key";
  private static final String GENERIC_CA = "cacert";
  private static final String GENERIC_CRL = "crl";

  private final CredentialSource credentials;

  public SecretGenerator(CredentialSource credentials) {
    this.credentials = Objects.requireNonNull(credentials, "credentials");
  }

  @Override
  public List<XdsResource> generate(Proxy proxy, PushContext push, Set<String> names) {
    List<XdsResource> out = new ArrayList<>();
    if (proxy.type() != Proxy.NodeType.ROUTER) {
      if (names.stream().anyMatch(n -> n.startsWith(PREFIX))) {
        log.debug("{}: only gateways get credentials; not serving {}", proxy.id(), names);
      }
      return out;
    }
    Set<String> verified = null;
    for (String resourceName : new TreeSet<>(names)) {
      if (resourceName.startsWith(GATEWAY_PREFIX)) {
        if (verified == null) {
          verified = verifiedCertificateReferences(proxy, push);
        }
        String ref = resourceName.substring(GATEWAY_PREFIX.length());
        int slash = ref.indexOf('/');
        if (slash <= 0 || !verified.contains(resourceName)) {
          log.debug(
              "{}: {} is not referenced by its Gateways; not served", proxy.id(), resourceName);
          continue;
        }
        String namespace = ref.substring(0, slash);
        String name = ref.substring(slash + 1);
        (name.endsWith(CA_SUFFIX)
                ? caSecret(resourceName, namespace, name)
                : tlsSecret(resourceName, namespace, name))
            .ifPresent(secret -> out.add(XdsResource.of(resourceName, secret)));
        continue;
      }
      if (!resourceName.startsWith(PREFIX)) {
        continue; // default, ROOTCA: pilot-agent's
      }
      String ref = resourceName.substring(PREFIX.length());
      String namespace = proxy.configNamespace();
      int slash = ref.indexOf('/');
      if (slash >= 0) {
        namespace = ref.substring(0, slash);
        ref = ref.substring(slash + 1);
      }
      if (ref.isEmpty() || !namespace.equals(proxy.configNamespace())) {
        log.debug(
            "{}: secret {} is not in the gateway's namespace {}; not served",
            proxy.id(),
            resourceName,
            proxy.configNamespace());
        continue;
      }
      Optional<Secret> secret =
          ref.endsWith(CA_SUFFIX)
              ? caSecret(resourceName, namespace, ref)
              : tlsSecret(resourceName, namespace, ref);
      if (secret.isEmpty()) {
        log.debug("{}: no usable secret for {}", proxy.id(), resourceName);
        continue;
      }
      out.add(XdsResource.of(resourceName, secret.get()));
    }
    return out;
  }

  /** The credential names of the Gateway API servers the gateway implements (and their CAs). */
  private static Set<String> verifiedCertificateReferences(Proxy proxy, PushContext push) {
    Set<String> out = new java.util.HashSet<>();
    for (var server : io.jistiod.pilot.envoy.gateway.MergedGateway.of(proxy, push).servers()) {
      var tls = server.server().getTls();
      List<String> names = new ArrayList<>(tls.getCredentialNamesList());
      names.add(tls.getCredentialName());
      for (String n : names) {
        if (n.startsWith(GATEWAY_PREFIX)) {
          out.add(n);
          out.add(n + CA_SUFFIX);
        }
      }
    }
    return out;
  }

  /** Key and certificate: {@code cert}/{@code key} first, then {@code tls.crt}/{@code tls.key}. */
  private Optional<Secret> tlsSecret(String resourceName, String namespace, String name) {
    SecretData s = credentials.secret(namespace, name).orElse(null);
    if (s == null) {
      return Optional.empty();
    }
    TlsCertificate.Builder cert = TlsCertificate.newBuilder();
    if (!s.get(GENERIC_CERT).isEmpty() && !s.get(GENERIC_KEY).isEmpty()) {
      cert.setCertificateChain(inline(s.get(GENERIC_CERT)))
          .setPrivateKey(inline(s.get(GENERIC_KEY)));
    } else if (!s.get(TLS_CERT).isEmpty() && !s.get(TLS_KEY).isEmpty()) {
      cert.setCertificateChain(inline(s.get(TLS_CERT))).setPrivateKey(inline(s.get(TLS_KEY)));
      if (!s.get(TLS_OCSP).isEmpty()) {
        cert.setOcspStaple(inline(s.get(TLS_OCSP)));
      }
    } else {
      log.warn(
          "secret {}/{}: expected keys (cert and key) or (tls.crt and tls.key), found {}",
          namespace,
          name,
          new TreeSet<>(s.data().keySet()));
      return Optional.empty();
    }
    return Optional.of(Secret.newBuilder().setName(resourceName).setTlsCertificate(cert).build());
  }

  /**
   * The CA: Secret NAME-cacert if there is one, else NAME itself; {@code cacert} or {@code ca.crt}.
   */
  private Optional<Secret> caSecret(String resourceName, String namespace, String name) {
    SecretData s =
        credentials
            .secret(namespace, name)
            .or(
                () ->
                    credentials.secret(
                        namespace, name.substring(0, name.length() - CA_SUFFIX.length())))
            .orElse(null);
    if (s == null) {
      return Optional.empty();
    }
    CertificateValidationContext.Builder v = CertificateValidationContext.newBuilder();
    if (!s.get(GENERIC_CA).isEmpty()) {
      v.setTrustedCa(inline(s.get(GENERIC_CA)));
      if (!s.get(GENERIC_CRL).isEmpty()) {
        v.setCrl(inline(s.get(GENERIC_CRL)));
      }
    } else if (!s.get(TLS_CA).isEmpty()) {
      v.setTrustedCa(inline(s.get(TLS_CA)));
      if (!s.get(TLS_CRL).isEmpty()) {
        v.setCrl(inline(s.get(TLS_CRL)));
      }
    } else {
      log.warn("secret {}/{}: expected key cacert or ca.crt", namespace, s.name());
      return Optional.empty();
    }
    return Optional.of(Secret.newBuilder().setName(resourceName).setValidationContext(v).build());
  }

  private static DataSource inline(ByteString bytes) {
    return DataSource.newBuilder().setInlineBytes(bytes).build();
  }
}

package io.jistiod.pilot.envoy.secret;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.jistiod.pilot.envoy.secret.CredentialSource.SecretData;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.xds.XdsResource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** SDS for gateway credentials: who gets which secret, and what it holds. */
class SecretGeneratorTest {
  private final Map<String, SecretData> secrets = new HashMap<>();
  private final SecretGenerator generator =
      new SecretGenerator((ns, name) -> Optional.ofNullable(secrets.get(ns + "/" + name)));

  private void secret(String ns, String name, String type, Map<String, String> data) {
    Map<String, ByteString> bytes = new HashMap<>();
    data.forEach((k, v) -> bytes.put(k, ByteString.copyFromUtf8(v)));
    secrets.put(ns + "/" + name, new SecretData(ns, name, type, bytes));
  }

  private static Proxy proxy(String type, String namespace) {
    Struct md =
        Struct.newBuilder()
            .putFields("NAMESPACE", Value.newBuilder().setStringValue(namespace).build())
            .build();
    try {
      return Proxy.fromNode(
          type + "~10.0.0.1~gw-1." + namespace + "~" + namespace + ".svc.cluster.local",
          md,
          Locality.UNKNOWN);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private List<XdsResource> generate(Proxy p, String... names) {
    return generator.generate(p, null, Set.of(names));
  }

  private static Secret unpack(XdsResource r) {
    try {
      return r.body().unpack(Secret.class);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void gatewayGetsTheKeyAndCertificateOfASecretInItsNamespace() {
    secret("ingress", "cred", "kubernetes.io/tls", Map.of("tls.crt", "CERT", "tls.key", "KEY"));
    List<XdsResource> out = generate(proxy("router", "ingress"), "kubernetes://cred");
    assertThat(out).extracting(XdsResource::name).containsExactly("kubernetes://cred");
    Secret s = unpack(out.get(0));
    assertThat(s.getTlsCertificate().getCertificateChain().getInlineBytes().toStringUtf8())
        .isEqualTo("CERT");
    assertThat(s.getTlsCertificate().getPrivateKey().getInlineBytes().toStringUtf8())
        .isEqualTo("KEY");
  }

  @Test
  void sidecarsNeverGetCredentials() {
    secret("ingress", "cred", "kubernetes.io/tls", Map.of("tls.crt", "CERT", "tls.key", "KEY"));
    assertThat(generate(proxy("sidecar", "ingress"), "kubernetes://cred")).isEmpty();
  }

  @Test
  void aGatewayInAnotherNamespaceGetsNothing() {
    secret("ingress", "cred", "kubernetes.io/tls", Map.of("tls.crt", "CERT", "tls.key", "KEY"));
    assertThat(generate(proxy("router", "other"), "kubernetes://cred")).isEmpty();
    assertThat(generate(proxy("router", "other"), "kubernetes://ingress/cred")).isEmpty();
    assertThat(generate(proxy("router", "other"), "kubernetes://ingress/cred-cacert")).isEmpty();
  }

  @Test
  void anExplicitOwnNamespaceIsAllowed() {
    secret("ingress", "cred", "kubernetes.io/tls", Map.of("tls.crt", "CERT", "tls.key", "KEY"));
    assertThat(generate(proxy("router", "ingress"), "kubernetes://ingress/cred"))
        .extracting(XdsResource::name)
        .containsExactly("kubernetes://ingress/cred");
  }

  @Test
  void caComesFromTheCacertSecretElseFromTheCredentialItself() {
    secret(
        "ingress",
        "cred",
        "kubernetes.io/tls",
        Map.of("tls.crt", "CERT", "tls.key", "KEY", "ca.crt", "OWN-CA"));
    Secret own = unpack(generate(proxy("router", "ingress"), "kubernetes://cred-cacert").get(0));
    assertThat(own.getName()).isEqualTo("kubernetes://cred-cacert");
    assertThat(own.getValidationContext().getTrustedCa().getInlineBytes().toStringUtf8())
        .isEqualTo("OWN-CA");
    assertThat(own.hasTlsCertificate()).isFalse();

    secret("ingress", "cred-cacert", "Opaque", Map.of("cacert", "SEPARATE-CA", "crl", "CRL"));
    Secret separate =
        unpack(generate(proxy("router", "ingress"), "kubernetes://cred-cacert").get(0));
    assertThat(separate.getValidationContext().getTrustedCa().getInlineBytes().toStringUtf8())
        .isEqualTo("SEPARATE-CA");
    assertThat(separate.getValidationContext().getCrl().getInlineBytes().toStringUtf8())
        .isEqualTo("CRL");
  }

  @Test
  void genericKeysAreAcceptedAndASecretWithoutKeysYieldsNothing() {
    secret("ingress", "generic", "Opaque", Map.of("cert", "C", "key", "K"));
    secret("ingress", "empty", "Opaque", Map.of("other", "x"));
    List<XdsResource> out =
        generate(proxy("router", "ingress"), "kubernetes://generic", "kubernetes://empty");
    assertThat(out).extracting(XdsResource::name).containsExactly("kubernetes://generic");
    assertThat(unpack(out.get(0)).getTlsCertificate().getCertificateChain().getInlineBytes())
        .isEqualTo(ByteString.copyFromUtf8("C"));
  }

  @Test
  void agentServedNamesAndUnknownSecretsAreLeftOut() {
    assertThat(generate(proxy("router", "ingress"), "default", "ROOTCA", "kubernetes://missing"))
        .isEmpty();
  }
}

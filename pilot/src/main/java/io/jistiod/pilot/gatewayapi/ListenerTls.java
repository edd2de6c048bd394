package io.jistiod.pilot.gatewayapi;

import com.google.protobuf.ByteString;
import io.jistiod.galley.api.gateway.v1.GatewayTLSConfig;
import io.jistiod.galley.api.gateway.v1.SecretObjectReference;
import io.jistiod.galley.api.networking.v1alpha3.ServerTLSSettings;
import io.jistiod.pilot.envoy.secret.CredentialSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A listener's {@code tls} as the Istio server TLS settings istiod generates ({@code buildTLS}):
 * the mode, and for Terminate the credentials its certificate references name, each checked (kind,
 * existence, keys, a parsable key pair, a ReferenceGrant across namespaces).
 */
final class ListenerTls {
  static final String TERMINATE_MODE_OPTION = "gateway.istio.io/tls-terminate-mode";
  static final String LISTENER_PROTOCOL_OPTION = "gateway.istio.io/listener-protocol";
  static final String INVALID_CERTIFICATE_REF = "InvalidCertificateRef";
  static final String REF_NOT_PERMITTED = "RefNotPermitted";

  /** The settings, and the problem that makes the listener invalid (null if none). */
  record Result(ServerTLSSettings tls, StatusError error) {}

  private final CredentialSource secrets;
  private final ReferenceGrants grants;

  ListenerTls(CredentialSource secrets, ReferenceGrants grants) {
    this.secrets = secrets;
    this.grants = grants;
  }

  /**
   * @param owner the kind of the object holding the listener (Gateway, or XListenerSet)
   * @param namespace that object's namespace
   * @param autoPassthrough whether a Passthrough listener is an east-west AUTO_PASSTHROUGH one
   */
  Result build(GatewayTLSConfig tls, GroupKind owner, String namespace, boolean autoPassthrough) {
    ServerTLSSettings.Builder out = ServerTLSSettings.newBuilder().setHttpsRedirect(false);
    String mode = tls.hasMode() ? tls.getMode() : "Terminate";
    if (mode.equals("Passthrough")) {
      out.setMode(
          autoPassthrough
              ? ServerTLSSettings.TLSmode.AUTO_PASSTHROUGH
              : ServerTLSSettings.TLSmode.PASSTHROUGH);
      return new Result(out.build(), null);
    }
    if (!mode.equals("Terminate")) {
      return new Result(out.build(), null); // an unknown mode leaves istiod's defaults
    }
    out.setMode(ServerTLSSettings.TLSmode.SIMPLE);
    switch (tls.getOptionsMap().getOrDefault(TERMINATE_MODE_OPTION, "")) {
      case "MUTUAL" -> out.setMode(ServerTLSSettings.TLSmode.MUTUAL);
      case "OPTIONAL_MUTUAL" -> out.setMode(ServerTLSSettings.TLSmode.OPTIONAL_MUTUAL);
      case "ISTIO_SIMPLE" -> {
        // the workload's own certificate
        return new Result(out.setCredentialName("builtin://").build(), null);
      }
      case "ISTIO_MUTUAL" -> {
        return new Result(out.setMode(ServerTLSSettings.TLSmode.ISTIO_MUTUAL).build(), null);
      }
      default -> {}
    }
    if (tls.getCertificateRefsCount() > 2) {
      return new Result(
          out.build(),
          new StatusError(
              INVALID_CERTIFICATE_REF, "TLS mode can only support up to 2 server certificates"));
    }
    List<String> credentials = new ArrayList<>();
    int valid = 0;
    StatusError errors = null;
    for (SecretObjectReference ref : tls.getCertificateRefsList()) {
      credentials.add("");
      String secretNamespace = ref.hasNamespace() ? ref.getNamespace() : namespace;
      StatusError problem = secretProblem(ref, namespace);
      if (problem == null
          && !secretNamespace.equals(namespace)
          && !grants.allows(owner, namespace, GroupKind.SECRET, secretNamespace, ref.getName())) {
        problem =
            new StatusError(
                REF_NOT_PERMITTED,
                "certificateRef %s/%s not accessible to a Gateway in namespace \"%s\" (missing a"
                        .formatted(ref.getName(), secretNamespace, namespace)
                    + " ReferenceGrant?)");
      }
      if (problem != null) {
        errors = StatusError.join(errors, problem);
        continue;
      }
      credentials.set(
          credentials.size() - 1, "kubernetes-gateway://" + secretNamespace + "/" + ref.getName());
      valid++;
    }
    if (valid == 0) {
      // With no references at all there is no error, and no credential either.
      return new Result(out.build(), errors);
    }
    if (valid == 1) {
      // As istiod: the first slot, even when only the second reference was good.
      out.setCredentialName(credentials.get(0));
    } else {
      out.addAllCredentialNames(credentials);
    }
    return new Result(out.build(), null);
  }

  /** Why the Secret a certificate reference names cannot serve, or null. */
  private StatusError secretProblem(SecretObjectReference ref, String namespace) {
    GroupKind kind =
        GroupKind.of(
            ref.hasGroup(), ref.getGroup(), ref.hasKind(), ref.getKind(), GroupKind.SECRET);
    String described = describe(ref);
    if (!kind.equals(GroupKind.SECRET)) {
      return invalid("invalid certificate reference " + described + ", only secret is allowed");
    }
    String secretNamespace = ref.hasNamespace() ? ref.getNamespace() : namespace;
    var secret = secrets.secret(secretNamespace, ref.getName());
    if (secret.isEmpty()) {
      return invalid(
          "invalid certificate reference %s, secret %s/%s not found"
              .formatted(described, secretNamespace, ref.getName()));
    }
    Map<String, ByteString> data = secret.get().data();
    byte[][] pair = certAndKey(data);
    if (pair == null) {
      return invalid("invalid certificate reference " + described + ", " + missingKeys(data));
    }
    String bad = KeyPairs.problem(pair[0], pair[1]);
    if (bad != null) {
      return invalid(
          "invalid certificate reference " + described + ", the certificate is malformed: " + bad);
    }
    return null;
  }

  private static StatusError invalid(String message) {
    return new StatusError(INVALID_CERTIFICATE_REF, message);
  }

  /** The certificate and key: {@code cert}/{@code key} if both are set, else the TLS keys. */
  private static byte[][] certAndKey(Map<String, ByteString> data) {
    for (String[] keys : new String[][] {{"cert", "key"}, {"tls.crt", "tls.key"}}) {
      ByteString cert = data.getOrDefault(keys[0], ByteString.EMPTY);
      ByteString key = data.getOrDefault(keys[1], ByteString.EMPTY);
      if (!cert.isEmpty() && !key.isEmpty()) {
        return new byte[][] {cert.toByteArray(), key.toByteArray()};
      }
    }
    return null;
  }

  private static String missingKeys(Map<String, ByteString> data) {
    if (data.containsKey("cert") && data.containsKey("key")) {
      return "found keys \"cert\" and \"key\", but they were empty";
    }
    if (data.containsKey("tls.crt") && data.containsKey("tls.key")) {
      return "found keys \"tls.crt\" and \"tls.key\", but they were empty";
    }
    List<String> keys = new ArrayList<>(new TreeSet<>(data.keySet()));
    String found =
        keys.size() < 3
            ? String.join(", ", keys)
            : String.join(", ", keys.subList(0, 3)) + ", and " + (keys.size() - 3) + " more...";
    return "found secret, but didn't have expected keys (cert and key) or (tls.crt and tls.key);"
        + " found: "
        + found;
  }

  /** {@code group/kind/name.namespace}, unset parts empty, as istiod prints a reference. */
  private static String describe(SecretObjectReference ref) {
    return ref.getGroup() + "/" + ref.getKind() + "/" + ref.getName() + "." + ref.getNamespace();
  }
}

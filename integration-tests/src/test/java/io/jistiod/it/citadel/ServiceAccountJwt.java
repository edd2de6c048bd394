package io.jistiod.it.citadel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jistiod.citadel.pki.Pem;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.RSAPublicKeySpec;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * Mints Kubernetes service account tokens (RS256 JWTs) with the API server's own signing key, so a
 * test can make tokens the API server itself would never hand out, such as one already expired. The
 * claims are those of a token from the TokenRequest API for a service account (not bound to a pod):
 * {@code iss}, {@code sub}, {@code aud}, {@code exp}, {@code iat}, {@code nbf}, {@code jti} and
 * {@code kubernetes.io: {namespace, serviceaccount: {name, uid}}}; the header's {@code kid} is the
 * API server's key id (base64url of the SHA-256 of the public key's DER), as it writes it.
 */
final class ServiceAccountJwt {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();

  private final RSAPrivateCrtKey key;
  private final String keyId;
  private final String issuer;

  private ServiceAccountJwt(RSAPrivateCrtKey key, String issuer) throws Exception {
    this.key = key;
    this.issuer = Objects.requireNonNull(issuer, "issuer");
    byte[] publicDer =
        KeyFactory.getInstance("RSA")
            .generatePublic(new RSAPublicKeySpec(key.getModulus(), key.getPublicExponent()))
            .getEncoded();
    this.keyId = B64URL.encodeToString(MessageDigest.getInstance("SHA-256").digest(publicDer));
  }

  /**
   * A signer with the PEM key the API server signs tokens with ({@code
   * --service-account-signing-key-file}) and its {@code --service-account-issuer}.
   */
  static ServiceAccountJwt fromKeyFile(Path pemKey, String issuer) throws Exception {
    if (!(Pem.parsePrivateKey(Files.readString(pemKey)) instanceof RSAPrivateCrtKey rsa)) {
      throw new IllegalArgumentException(pemKey + ": not an RSA private key");
    }
    return new ServiceAccountJwt(rsa, issuer);
  }

  String keyId() {
    return keyId;
  }

  /** A token for service account {@code namespace/name} (with {@code uid}), valid in [iat, exp). */
  String mint(
      String namespace, String name, String uid, List<String> audiences, Instant iat, Instant exp)
      throws Exception {
    ObjectNode header = JSON.createObjectNode().put("alg", "RS256").put("kid", keyId);
    ObjectNode claims = JSON.createObjectNode();
    claims.putArray("aud").addAll(audiences.stream().map(JSON.getNodeFactory()::textNode).toList());
    claims.put("exp", exp.getEpochSecond());
    claims.put("iat", iat.getEpochSecond());
    claims.put("iss", issuer);
    claims.put("jti", UUID.randomUUID().toString());
    ObjectNode kube = claims.putObject("kubernetes.io");
    kube.put("namespace", namespace);
    kube.putObject("serviceaccount").put("name", name).put("uid", uid);
    claims.put("nbf", iat.getEpochSecond());
    claims.put("sub", "system:serviceaccount:" + namespace + ":" + name);
    String signingInput = encode(header) + "." + encode(claims);
    Signature rs256 = Signature.getInstance("SHA256withRSA");
    rs256.initSign(key);
    rs256.update(signingInput.getBytes(StandardCharsets.US_ASCII));
    return signingInput + "." + B64URL.encodeToString(rs256.sign());
  }

  /** The decoded header (part 0) or claims (part 1) of {@code jwt}. */
  static JsonNode part(String jwt, int index) throws Exception {
    return JSON.readTree(Base64.getUrlDecoder().decode(jwt.split("\\.")[index]));
  }

  private static String encode(JsonNode node) throws Exception {
    return B64URL.encodeToString(JSON.writeValueAsBytes(node));
  }
}

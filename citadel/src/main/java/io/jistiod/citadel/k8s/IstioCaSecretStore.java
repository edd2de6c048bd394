package io.jistiod.citadel.k8s;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.jistiod.citadel.pki.CaKeyMaterial;
import io.jistiod.citadel.pki.InvalidKeyMaterialException;
import io.jistiod.citadel.pki.Pem;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The self-signed CA's key material in Secret {@code istio-ca-secret} of istiod's namespace, in the
 * exact layout Istio uses, so that istiod and jistiod can take over each other's CA.
 *
 * <p>Type {@code istio.io/ca-root}; keys {@code ca-cert.pem} (the root that signs), {@code
 * ca-key.pem}, {@code root-cert.pem} (the trusted roots), and {@code cert-chain.pem} and {@code
 * key.pem}, both empty.
 */
public final class IstioCaSecretStore {
  public static final String SECRET_NAME = "istio-ca-secret";
  public static final String SECRET_TYPE = "istio.io/ca-root";
  static final String CA_CERT = "ca-cert.pem";
  static final String CA_KEY = "ca-key.pem";
  static final String ROOT_CERT = "root-cert.pem";
  static final String CERT_CHAIN = "cert-chain.pem";
  static final String PRIVATE_KEY = "key.pem";

  private final KubernetesClient client;
  private final String namespace;

  public IstioCaSecretStore(KubernetesClient client, String namespace) {
    this.client = Objects.requireNonNull(client, "client");
    this.namespace = Objects.requireNonNull(namespace, "namespace");
  }

  public String namespace() {
    return namespace;
  }

  /**
   * The stored material, or empty if the Secret does not exist.
   *
   * @throws InvalidKeyMaterialException if the Secret exists but cannot be used
   * @throws KubernetesClientException if the API server cannot be read
   */
  public Optional<CaKeyMaterial> load() {
    return loadVersioned().map(Stored::material);
  }

  /**
   * The stored material with the Secret's resourceVersion, for a later {@link #replace}; empty if
   * the Secret does not exist.
   *
   * @throws InvalidKeyMaterialException if the Secret exists but cannot be used
   * @throws KubernetesClientException if the API server cannot be read
   */
  public Optional<Stored> loadVersioned() {
    Secret secret = client.secrets().inNamespace(namespace).withName(SECRET_NAME).get();
    if (secret == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(new Stored(decode(secret), secret.getMetadata().getResourceVersion()));
    } catch (InvalidKeyMaterialException e) {
      throw new InvalidKeyMaterialException(
          "Secret " + namespace + "/" + SECRET_NAME + ": " + e.getMessage(), e);
    }
  }

  /**
   * Writes {@code material} over the Secret if it is still at {@code resourceVersion}: an
   * optimistic lock, so two replicas rotating at once cannot both win. Other keys, labels and
   * annotations of the Secret are kept.
   *
   * @return false when the Secret changed (or vanished) since it was read; reload and decide again
   * @throws KubernetesClientException if the API server fails otherwise
   */
  public boolean replace(CaKeyMaterial material, String resourceVersion) {
    Objects.requireNonNull(material, "material");
    Objects.requireNonNull(resourceVersion, "resourceVersion");
    Secret live = client.secrets().inNamespace(namespace).withName(SECRET_NAME).get();
    if (live == null || !resourceVersion.equals(live.getMetadata().getResourceVersion())) {
      return false;
    }
    Map<String, String> data =
        new LinkedHashMap<>(live.getData() == null ? Map.of() : live.getData());
    data.putAll(encode(material).getData());
    Secret updated = new SecretBuilder(live).withData(data).build();
    try {
      client.secrets().inNamespace(namespace).resource(updated).update();
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT
          || e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
        return false;
      }
      throw e;
    }
  }

  /** The CA as stored, and the Secret version it was read from. */
  public record Stored(CaKeyMaterial material, String resourceVersion) {
    public Stored {
      Objects.requireNonNull(material, "material");
      Objects.requireNonNull(resourceVersion, "resourceVersion");
    }
  }

  /**
   * Creates the Secret with {@code material} unless it already exists.
   *
   * @return false when another istiod created it first; the caller should then {@link #load()}
   */
  public boolean create(CaKeyMaterial material) {
    Objects.requireNonNull(material, "material");
    try {
      client.secrets().inNamespace(namespace).resource(encode(material)).create();
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        return false;
      }
      throw e;
    }
  }

  Secret encode(CaKeyMaterial material) {
    Map<String, String> data = new LinkedHashMap<>();
    data.put(CA_CERT, base64(Pem.encode(material.signingCert())));
    data.put(CA_KEY, base64(Pem.encode(material.signingKey())));
    data.put(CERT_CHAIN, base64(Pem.encodeAll(material.certChain())));
    data.put(PRIVATE_KEY, "");
    data.put(ROOT_CERT, base64(material.rootBundlePem()));
    return new SecretBuilder()
        .withNewMetadata()
        .withName(SECRET_NAME)
        .withNamespace(namespace)
        .endMetadata()
        .withType(SECRET_TYPE)
        .withData(data)
        .build();
  }

  static CaKeyMaterial decode(Secret secret) {
    Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
    String caCert = text(data, CA_CERT);
    String caKey = text(data, CA_KEY);
    if (caCert.isBlank() || caKey.isBlank()) {
      throw new InvalidKeyMaterialException("missing " + CA_CERT + " or " + CA_KEY);
    }
    String roots = text(data, ROOT_CERT);
    // Older Secrets may lack root-cert.pem; then the signing root is the only root.
    return CaKeyMaterial.fromPem(
        caCert, caKey, text(data, CERT_CHAIN), roots.isBlank() ? caCert : roots);
  }

  private static String text(Map<String, String> data, String key) {
    String value = data.get(key);
    if (value == null || value.isEmpty()) {
      return "";
    }
    try {
      return new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new InvalidKeyMaterialException(key + " is not valid base64");
    }
  }

  private static String base64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }
}

package io.jistiod.citadel.k8s;

import io.jistiod.citadel.pki.CaKeyMaterial;
import io.jistiod.citadel.pki.InvalidKeyMaterialException;
import io.jistiod.citadel.pki.KeyAlgorithm;
import io.jistiod.citadel.pki.SelfSignedRootGenerator;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the self-signed CA from {@code istio-ca-secret}, creating it on the very first start.
 *
 * <p>Restarts and other replicas reuse the stored root, so workload certificates stay valid. If two
 * replicas start together, the one whose create loses takes the winner's Secret. A Secret that
 * exists but cannot be used is never replaced: overwriting it would orphan every certificate in the
 * mesh, so the error goes to the operator and the CA stays not ready.
 */
public final class SelfSignedCaProvisioner {
  private static final Logger log = LoggerFactory.getLogger(SelfSignedCaProvisioner.class);

  private final IstioCaSecretStore store;
  private final SelfSignedRootGenerator generator;
  private final String trustDomain;
  private final KeyAlgorithm keyAlgorithm;
  private final Duration rootTtl;

  public SelfSignedCaProvisioner(
      IstioCaSecretStore store,
      SelfSignedRootGenerator generator,
      String trustDomain,
      KeyAlgorithm keyAlgorithm,
      Duration rootTtl) {
    this.store = Objects.requireNonNull(store, "store");
    this.generator = Objects.requireNonNull(generator, "generator");
    this.trustDomain = Objects.requireNonNull(trustDomain, "trustDomain");
    this.keyAlgorithm = Objects.requireNonNull(keyAlgorithm, "keyAlgorithm");
    this.rootTtl = Objects.requireNonNull(rootTtl, "rootTtl");
  }

  /**
   * The CA to sign with.
   *
   * @throws InvalidKeyMaterialException if the stored Secret is unusable (it is left untouched)
   * @throws io.fabric8.kubernetes.client.KubernetesClientException if the API server fails
   */
  public CaKeyMaterial loadOrCreate() {
    Optional<CaKeyMaterial> stored = store.load();
    if (stored.isPresent()) {
      log.info("using self-signed CA from Secret {}: {}", secretName(), stored.get());
      return stored.get();
    }
    CaKeyMaterial created = generator.generate(trustDomain, keyAlgorithm, rootTtl);
    if (store.create(created)) {
      log.info("created self-signed CA in Secret {}: {}", secretName(), created);
      return created;
    }
    CaKeyMaterial winner =
        store
            .load()
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "Secret " + secretName() + " conflicted on create but cannot be read"));
    log.info("another istiod created Secret {} first; using it: {}", secretName(), winner);
    return winner;
  }

  private String secretName() {
    return store.namespace() + "/" + IstioCaSecretStore.SECRET_NAME;
  }
}

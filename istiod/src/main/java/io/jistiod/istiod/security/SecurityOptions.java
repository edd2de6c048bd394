package io.jistiod.istiod.security;

import io.jistiod.citadel.ca.TtlPolicy;
import io.jistiod.citadel.pki.KeyAlgorithm;
import io.jistiod.citadel.pki.SelfSignedRootGenerator;
import io.jistiod.citadel.server.authn.KubeJwtAuthenticator;
import io.jistiod.citadel.server.node.TrustedNodeAccounts;
import io.jistiod.galley.parse.GoDurations;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * The CA and the TLS server on 15012, with Istio's flag and environment names.
 *
 * @param secureGrpcAddr {@code --secureGRPCAddr}; empty turns the CA and the TLS server off
 * @param namespace {@code --namespace} / {@code POD_NAMESPACE}: where {@code istio-ca-secret} lives
 *     and what istiod's DNS names end in
 * @param clusterId {@code --clusterID} / {@code CLUSTER_ID}; tokens naming another cluster are
 *     refused
 * @param revision {@code REVISION}; a non-default one adds {@code istiod-<rev>.<ns>.svc}
 * @param tlsCertFile {@code --tlsCertFile}, with {@code tlsKeyFile}: serve this certificate instead
 *     of one from the CA; null for none
 * @param caCertFile {@code --caCertFile}: the roots client certificates must chain to when the
 *     serving certificate comes from files; null means the mesh roots
 * @param rootCaDir {@code ROOT_CA_DIR}: a plug-in CA folder ({@code cacerts}), used if it holds a
 *     key
 * @param customHosts {@code ISTIOD_CUSTOM_HOST}: more DNS names for the serving certificate
 * @param tokenAudiences {@code TOKEN_AUDIENCES}: what a TokenReview asks a token to be bound to
 * @param xdsIdentityCheck {@code PILOT_ENABLE_XDS_IDENTITY_CHECK}: an xDS client's identity must
 *     match its node's namespace and service account
 * @param selfSignedCaTtl {@code CITADEL_SELF_SIGNED_CA_CERT_TTL}: lifetime of a self-signed root
 *     and of istiod's serving certificate
 * @param selfSignedKey {@code CITADEL_SELF_SIGNED_CA_RSA_KEY_SIZE}: key of a new self-signed root;
 *     {@code JISTIOD_SELF_SIGNED_CA_KEY_ALGORITHM=ECDSA} makes it ECDSA P-256 instead (our
 *     extension: Istio's self-signed root is always RSA)
 * @param rootCheckInterval {@code CITADEL_SELF_SIGNED_ROOT_CERT_CHECK_INTERVAL}
 * @param rootGracePercent {@code CITADEL_SELF_SIGNED_ROOT_CERT_GRACE_PERIOD_PERCENTILE}
 * @param rootRotatorJitter {@code CITADEL_ENABLE_JITTER_FOR_ROOT_CERT_ROTATOR}
 * @param workloadTtl {@code DEFAULT_WORKLOAD_CERT_TTL} and {@code MAX_WORKLOAD_CERT_TTL}
 * @param trustedNodeAccounts {@code CA_TRUSTED_NODE_ACCOUNTS} ({@code ns/sa,...}, default none):
 *     the node proxies (ztunnel) that may request certificates for the pods on their node; none
 *     refuses every such request
 */
public record SecurityOptions(
    String secureGrpcAddr,
    String namespace,
    String clusterId,
    String revision,
    Path tlsCertFile,
    Path tlsKeyFile,
    Path caCertFile,
    Path rootCaDir,
    List<String> customHosts,
    List<String> tokenAudiences,
    boolean xdsIdentityCheck,
    Duration selfSignedCaTtl,
    KeyAlgorithm selfSignedKey,
    Duration rootCheckInterval,
    int rootGracePercent,
    boolean rootRotatorJitter,
    TtlPolicy workloadTtl,
    TrustedNodeAccounts trustedNodeAccounts) {

  public static final String DEFAULT_NAMESPACE = "istio-system";
  public static final String DEFAULT_CLUSTER_ID = "Kubernetes";

  public SecurityOptions {
    Objects.requireNonNull(secureGrpcAddr, "secureGrpcAddr");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(clusterId, "clusterId");
    Objects.requireNonNull(revision, "revision");
    Objects.requireNonNull(rootCaDir, "rootCaDir");
    customHosts = List.copyOf(customHosts);
    tokenAudiences = List.copyOf(tokenAudiences);
    Objects.requireNonNull(selfSignedCaTtl, "selfSignedCaTtl");
    Objects.requireNonNull(selfSignedKey, "selfSignedKey");
    Objects.requireNonNull(rootCheckInterval, "rootCheckInterval");
    Objects.requireNonNull(workloadTtl, "workloadTtl");
    Objects.requireNonNull(trustedNodeAccounts, "trustedNodeAccounts");
    if ((tlsCertFile == null) != (tlsKeyFile == null)) {
      throw new IllegalArgumentException(
          "--tlsCertFile and --tlsKeyFile: give both or neither (got "
              + tlsCertFile
              + ", "
              + tlsKeyFile
              + ")");
    }
  }

  /** CA and 15012 off: what programmatic users get unless they opt in. */
  public static SecurityOptions disabled() {
    return fromEnvironment(name -> null).withSecureGrpcAddr("");
  }

  /**
   * istiod's defaults (15012 on, namespace {@code istio-system}), overridden by Istio's environment
   * variables where set.
   *
   * @throws IllegalArgumentException naming the variable whose value cannot be used
   */
  public static SecurityOptions fromEnvironment(Function<String, String> env) {
    return new SecurityOptions(
        ":15012",
        text(env, "POD_NAMESPACE", DEFAULT_NAMESPACE),
        text(env, "CLUSTER_ID", DEFAULT_CLUSTER_ID),
        text(env, "REVISION", "default"),
        null,
        null,
        null,
        Path.of(text(env, "ROOT_CA_DIR", "./etc/cacerts")),
        list(env, "ISTIOD_CUSTOM_HOST", List.of()),
        list(env, "TOKEN_AUDIENCES", KubeJwtAuthenticator.DEFAULT_AUDIENCES),
        bool(env, "PILOT_ENABLE_XDS_IDENTITY_CHECK", true),
        duration(env, "CITADEL_SELF_SIGNED_CA_CERT_TTL", SelfSignedRootGenerator.DEFAULT_TTL),
        selfSignedKey(env),
        duration(env, "CITADEL_SELF_SIGNED_ROOT_CERT_CHECK_INTERVAL", Duration.ofHours(1)),
        integer(env, "CITADEL_SELF_SIGNED_ROOT_CERT_GRACE_PERIOD_PERCENTILE", 20),
        bool(env, "CITADEL_ENABLE_JITTER_FOR_ROOT_CERT_ROTATOR", true),
        new TtlPolicy(
            duration(env, "DEFAULT_WORKLOAD_CERT_TTL", TtlPolicy.ISTIO_DEFAULTS.defaultTtl()),
            duration(env, "MAX_WORKLOAD_CERT_TTL", TtlPolicy.ISTIO_DEFAULTS.maxTtl())),
        // Read raw: istiod neither trims nor rejects, it ignores entries without a slash.
        TrustedNodeAccounts.parse(env.apply("CA_TRUSTED_NODE_ACCOUNTS")));
  }

  public boolean enabled() {
    return !secureGrpcAddr.isEmpty();
  }

  public SecurityOptions withSecureGrpcAddr(String addr) {
    return new SecurityOptions(
        addr,
        namespace,
        clusterId,
        revision,
        tlsCertFile,
        tlsKeyFile,
        caCertFile,
        rootCaDir,
        customHosts,
        tokenAudiences,
        xdsIdentityCheck,
        selfSignedCaTtl,
        selfSignedKey,
        rootCheckInterval,
        rootGracePercent,
        rootRotatorJitter,
        workloadTtl,
        trustedNodeAccounts);
  }

  /** The flags of {@code istiod discovery} that concern the CA and 15012. */
  public SecurityOptions withFlags(
      String secureGrpcAddr,
      String namespace,
      String clusterId,
      Path tlsCertFile,
      Path tlsKeyFile,
      Path caCertFile) {
    return new SecurityOptions(
        secureGrpcAddr,
        namespace,
        clusterId,
        revision,
        tlsCertFile,
        tlsKeyFile,
        caCertFile,
        rootCaDir,
        customHosts,
        tokenAudiences,
        xdsIdentityCheck,
        selfSignedCaTtl,
        selfSignedKey,
        rootCheckInterval,
        rootGracePercent,
        rootRotatorJitter,
        workloadTtl,
        trustedNodeAccounts);
  }

  public SecurityOptions withNamespace(String namespace) {
    return withFlags(secureGrpcAddr, namespace, clusterId, tlsCertFile, tlsKeyFile, caCertFile);
  }

  public SecurityOptions withRootCaDir(Path dir) {
    return new SecurityOptions(
        secureGrpcAddr,
        namespace,
        clusterId,
        revision,
        tlsCertFile,
        tlsKeyFile,
        caCertFile,
        dir,
        customHosts,
        tokenAudiences,
        xdsIdentityCheck,
        selfSignedCaTtl,
        selfSignedKey,
        rootCheckInterval,
        rootGracePercent,
        rootRotatorJitter,
        workloadTtl,
        trustedNodeAccounts);
  }

  private static String text(Function<String, String> env, String name, String fallback) {
    String v = env.apply(name);
    return v == null || v.isBlank() ? fallback : v.trim();
  }

  private static List<String> list(
      Function<String, String> env, String name, List<String> fallback) {
    String v = env.apply(name);
    if (v == null || v.isBlank()) {
      return fallback;
    }
    return Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  private static boolean bool(Function<String, String> env, String name, boolean fallback) {
    String v = env.apply(name);
    if (v == null || v.isBlank()) {
      return fallback;
    }
    return switch (v.trim().toLowerCase(Locale.ROOT)) {
      case "true", "1", "t" -> true;
      case "false", "0", "f" -> false;
      default ->
          throw new IllegalArgumentException(
              name + ": \"" + v + "\" is not a boolean (expected: true or false)");
    };
  }

  private static KeyAlgorithm selfSignedKey(Function<String, String> env) {
    String name = "JISTIOD_SELF_SIGNED_CA_KEY_ALGORITHM";
    String v = env.apply(name);
    if (v == null || v.isBlank() || v.trim().equalsIgnoreCase("RSA")) {
      return KeyAlgorithm.rsa(integer(env, "CITADEL_SELF_SIGNED_CA_RSA_KEY_SIZE", 2048));
    }
    if (v.trim().equalsIgnoreCase("ECDSA")) {
      return KeyAlgorithm.ECDSA_P256;
    }
    throw new IllegalArgumentException(
        name + ": \"" + v + "\" is not a key algorithm (expected: RSA or ECDSA)");
  }

  private static int integer(Function<String, String> env, String name, int fallback) {
    String v = env.apply(name);
    if (v == null || v.isBlank()) {
      return fallback;
    }
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          name + ": \"" + v + "\" is not an integer (expected: e.g. 2048)");
    }
  }

  private static Duration duration(Function<String, String> env, String name, Duration fallback) {
    String v = env.apply(name);
    if (v == null || v.isBlank()) {
      return fallback;
    }
    Duration d = GoDurations.parse(v.trim());
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(
          name + ": \"" + v + "\" is not a positive duration (expected: e.g. 24h, 87600h)");
    }
    return d;
  }
}

package io.jistiod.istiod.security;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.jistiod.citadel.ca.WorkloadCertificateSigner;
import io.jistiod.citadel.k8s.IstioCaSecretStore;
import io.jistiod.citadel.k8s.KubernetesPodIndex;
import io.jistiod.citadel.k8s.SelfSignedCaProvisioner;
import io.jistiod.citadel.k8s.SelfSignedRootRotator;
import io.jistiod.citadel.pki.CaKeyMaterial;
import io.jistiod.citadel.pki.CaKeyMaterialHolder;
import io.jistiod.citadel.pki.InvalidKeyMaterialException;
import io.jistiod.citadel.pki.Pem;
import io.jistiod.citadel.pki.PluggedCaLoader;
import io.jistiod.citadel.pki.SelfSignedRootGenerator;
import io.jistiod.citadel.server.Authenticator;
import io.jistiod.citadel.server.CaExpiryMetrics;
import io.jistiod.citadel.server.ImpersonationAuthorizer;
import io.jistiod.citadel.server.IstioCertificateService;
import io.jistiod.citadel.server.authn.ClientCertAuthenticator;
import io.jistiod.citadel.server.authn.KubeJwtAuthenticator;
import io.jistiod.citadel.server.authn.KubernetesTokenReviewer;
import io.jistiod.citadel.server.node.NodeAuthorizer;
import io.jistiod.citadel.server.node.TrustedNodeAccounts;
import io.jistiod.citadel.time.ExecutorTaskScheduler;
import io.jistiod.citadel.time.TaskScheduler;
import io.jistiod.istiod.KubernetesAccess;
import io.jistiod.pilot.xds.AdsService;
import io.jistiod.pilot.xds.DiscoveryServer;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Citadel inside istiod: the CA, its root publication and rotation, istiod's serving certificate,
 * and the TLS server on 15012 that serves the CSR API and authenticated xDS.
 *
 * <p>Where the CA comes from, in Istio's order:
 *
 * <ol>
 *   <li>a plug-in CA in {@code ROOT_CA_DIR} ({@code ./etc/cacerts}), in both modes;
 *   <li>in Kubernetes mode, the self-signed CA in Secret {@code istio-ca-secret} of istiod's
 *       namespace, created on first start, reused after restarts and by other replicas, and rotated
 *       before it expires;
 *   <li>in standalone mode (no Kubernetes), a self-signed CA kept in memory: a new root on every
 *       start, so workloads must be given the new root after a restart. Without an API server there
 *       is no TokenReview, so only clients with a certificate from this CA authenticate.
 * </ol>
 *
 * In Kubernetes mode the roots are published as ConfigMap {@code istio-ca-root-cert} in every
 * namespace and tokens are checked with TokenReviews, on a client of their own that gives up
 * quickly instead of retrying for seconds.
 */
public final class IstiodSecurity implements AutoCloseable {
  private List<Authenticator> authenticators = List.of();
  private IstioCertificateService certificates;
  private static final Logger log = LoggerFactory.getLogger(IstiodSecurity.class);

  /** Where cert-manager / istio-csr mount istiod's certificate (Istio's well-known paths). */
  static final Path WELL_KNOWN_TLS_DIR = Path.of("./var/run/secrets/istiod/tls");

  static final Path WELL_KNOWN_CA_FILE = Path.of("./var/run/secrets/istiod/ca/root-cert.pem");

  /** A TokenReview that takes longer than this fails the call instead of holding a thread. */
  static final int TOKEN_REVIEW_TIMEOUT_MILLIS = 5_000;

  private final Deque<AutoCloseable> closeables = new ArrayDeque<>();
  private final Clock clock = Clock.systemUTC();
  private final SecureRandom random = new SecureRandom();
  private TaskScheduler scheduler;
  private CaKeyMaterialHolder ca;
  private ServingKeyManager servingKeys;
  private SecureGrpcServer server;
  private String caSource;
  private Supplier<Optional<String>> servingRoots = Optional::empty;

  private io.jistiod.istiod.StartupRetry retry;
  private Predicate<String> discoveryNamespaces = namespace -> true;

  private IstiodSecurity() {}

  /**
   * Loads or creates the CA, issues istiod's certificate and opens the TLS server.
   *
   * @param kubernetes null in standalone mode
   * @throws IOException when the address cannot be bound or a given file cannot be used
   */
  public static IstiodSecurity start(
      InetSocketAddress address,
      SecurityOptions options,
      String trustDomain,
      KubernetesAccess kubernetes,
      DiscoveryServer discovery,
      MeterRegistry metrics)
      throws IOException {
    return start(
        address,
        options,
        trustDomain,
        kubernetes,
        discovery,
        metrics,
        new io.jistiod.istiod.StartupRetry(reason -> {}));
  }

  /**
   * As {@link #start(InetSocketAddress, SecurityOptions, String, KubernetesAccess, DiscoveryServer,
   * MeterRegistry)}, retrying the API server steps (loading or creating {@code istio-ca-secret})
   * with {@code retry} until they succeed: a namespace that does not exist yet delays the start,
   * never ends it.
   */
  public static IstiodSecurity start(
      InetSocketAddress address,
      SecurityOptions options,
      String trustDomain,
      KubernetesAccess kubernetes,
      DiscoveryServer discovery,
      MeterRegistry metrics,
      io.jistiod.istiod.StartupRetry retry)
      throws IOException {
    return start(
        address, options, trustDomain, kubernetes, discovery, metrics, retry, namespace -> true);
  }

  /**
   * As {@link #start(InetSocketAddress, SecurityOptions, String, KubernetesAccess, DiscoveryServer,
   * MeterRegistry, io.jistiod.istiod.StartupRetry)}, node authorization seeing only the pods of the
   * namespaces {@code discoveryNamespaces} selects (MeshConfig discoverySelectors), as istiod's pod
   * client is filtered.
   */
  public static IstiodSecurity start(
      InetSocketAddress address,
      SecurityOptions options,
      String trustDomain,
      KubernetesAccess kubernetes,
      DiscoveryServer discovery,
      MeterRegistry metrics,
      io.jistiod.istiod.StartupRetry retry,
      Predicate<String> discoveryNamespaces)
      throws IOException {
    IstiodSecurity security = new IstiodSecurity();
    security.retry = retry;
    security.discoveryNamespaces = discoveryNamespaces;
    try {
      security.doStart(address, options, trustDomain, kubernetes, discovery, metrics);
      return security;
    } catch (IOException | RuntimeException e) {
      security.close();
      throw e;
    }
  }

  private void doStart(
      InetSocketAddress address,
      SecurityOptions options,
      String trustDomain,
      KubernetesAccess kubernetes,
      DiscoveryServer discovery,
      MeterRegistry metrics)
      throws IOException {
    ScheduledExecutorService timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "citadel-timer");
              t.setDaemon(true);
              return t;
            });
    closeables.push(timer::shutdownNow);
    scheduler = new ExecutorTaskScheduler(timer);
    KubernetesClient client = null;
    KubernetesClient reviewClient = null;
    if (kubernetes != null) {
      client = kubernetes.client();
      closeables.push(client);
      reviewClient = reviewClient(client);
      closeables.push(reviewClient);
    }

    // 1. The CA, and in Kubernetes mode its roots in every namespace.
    startCa(options, trustDomain, client);
    CaExpiryMetrics.register(metrics, ca, clock);
    log.info("CA: {}: {}", caSource, ca.current().orElseThrow());

    // 2. istiod's own certificate, and the roots client certificates must chain to.
    servingKeys = new ServingKeyManager();
    Supplier<List<X509Certificate>> clientRoots = startServingCertificate(options);

    // 3. The TLS server: CSRs and authenticated xDS.
    authenticators = new ArrayList<>();
    authenticators.add(new ClientCertAuthenticator(ca, clock));
    if (reviewClient != null) {
      authenticators.add(
          new KubeJwtAuthenticator(
              trustDomain,
              options.tokenAudiences(),
              options.clusterId(),
              new KubernetesTokenReviewer(reviewClient)));
    }
    certificates =
        new IstioCertificateService(
            authenticators,
            new WorkloadCertificateSigner(ca, options.workloadTtl(), clock, random),
            metrics,
            nodeAuthorizer(options, client));
    List<ServerServiceDefinition> services =
        List.of(
            certificates.bindService(),
            ServerInterceptors.intercept(
                new AdsService(discovery).withPeerAddress(),
                new XdsAuthInterceptor(authenticators, options.xdsIdentityCheck())),
            ProtoReflectionServiceV1.newInstance().bindService());
    try {
      server =
          SecureGrpcServer.start(
              address, servingKeys, new MeshTrustManager(clientRoots, clock), services);
    } catch (IOException e) {
      throw new IOException(
          "--secureGRPCAddr " + options.secureGrpcAddr() + ": " + SecureGrpcServer.bindReason(e),
          e);
    }
    closeables.push(server);
  }

  /**
   * Node authorization when {@code CA_TRUSTED_NODE_ACCOUNTS} names accounts (Istio's chart always
   * sets {@code <ns>/ztunnel}), else null: no impersonation at all. It needs the pods, so only in
   * Kubernetes mode. Like istiod, CSRs are served before the pod watch has its first list: until
   * then impersonations are refused and ztunnel retries.
   */
  private ImpersonationAuthorizer nodeAuthorizer(SecurityOptions options, KubernetesClient client) {
    TrustedNodeAccounts trusted = options.trustedNodeAccounts();
    for (String invalid : trusted.invalid()) {
      log.warn("Invalid CA_TRUSTED_NODE_ACCOUNTS, ignoring: \"{}\" (expected: ns/sa)", invalid);
    }
    if (trusted.isEmpty()) {
      return null;
    }
    if (client == null) {
      log.warn(
          "CA_TRUSTED_NODE_ACCOUNTS {} ignored: node authorization needs Kubernetes",
          trusted.accounts());
      return null;
    }
    KubernetesPodIndex pods = new KubernetesPodIndex(client, discoveryNamespaces).start();
    closeables.push(pods);
    log.info("node authorization for CSRs: trusted node accounts {}", trusted.accounts());
    return new NodeAuthorizer(trusted, options.clusterId(), pods);
  }

  /** A client for TokenReviews that gives up quickly: a caller waits on every review. */
  private static KubernetesClient reviewClient(KubernetesClient client) {
    return new KubernetesClientBuilder()
        .withConfig(
            new ConfigBuilder(client.getConfiguration())
                .withRequestRetryBackoffLimit(1)
                .withRequestTimeout(TOKEN_REVIEW_TIMEOUT_MILLIS)
                .build())
        .build();
  }

  /** Loads the CA in Istio's order: plug-in folder, Secret (with rotation), memory. */
  private void startCa(SecurityOptions options, String trustDomain, KubernetesClient client)
      throws IOException {
    ca = new CaKeyMaterialHolder();
    SelfSignedRootGenerator generator = new SelfSignedRootGenerator(clock, random);
    Optional<CaKeyMaterial> plugged = loadPlugged(options.rootCaDir());
    if (plugged.isPresent()) {
      ca.set(plugged.get());
      caSource = "plug-in CA in " + options.rootCaDir();
      return;
    }
    if (client == null) {
      ca.set(generator.generate(trustDomain, options.selfSignedKey(), options.selfSignedCaTtl()));
      caSource = "self-signed CA in memory (standalone mode: a new root on every start)";
      return;
    }
    IstioCaSecretStore store = new IstioCaSecretStore(client, options.namespace());
    SelfSignedCaProvisioner provisioner =
        new SelfSignedCaProvisioner(
            store, generator, trustDomain, options.selfSignedKey(), options.selfSignedCaTtl());
    // istiod's namespace may not exist yet (the Secret's create then fails with 404): retry.
    ca.set(
        retry.until(
            "CA: Secret " + options.namespace() + "/" + IstioCaSecretStore.SECRET_NAME,
            provisioner::loadOrCreate));
    caSource =
        "self-signed CA in Secret " + options.namespace() + "/" + IstioCaSecretStore.SECRET_NAME;
    SelfSignedRootRotator rotator =
        new SelfSignedRootRotator(
            store,
            ca,
            generator,
            options.selfSignedCaTtl(),
            clock,
            scheduler,
            options.rootCheckInterval(),
            options.rootGracePercent());
    closeables.push(rotator);
    long intervalSeconds = Math.max(1, options.rootCheckInterval().toSeconds());
    rotator.start(
        options.rootRotatorJitter()
            ? Duration.ofSeconds(random.nextInt((int) Math.min(Integer.MAX_VALUE, intervalSeconds)))
            : Duration.ZERO);
  }

  private Supplier<List<X509Certificate>> startServingCertificate(SecurityOptions options)
      throws IOException {
    Path certFile = options.tlsCertFile();
    Path keyFile = options.tlsKeyFile();
    Path caFile = options.caCertFile();
    if (certFile == null && Files.exists(WELL_KNOWN_TLS_DIR.resolve("tls.key"))) {
      certFile = WELL_KNOWN_TLS_DIR.resolve("tls.crt");
      keyFile = WELL_KNOWN_TLS_DIR.resolve("tls.key");
      if (caFile == null) {
        caFile =
            Files.exists(WELL_KNOWN_CA_FILE)
                ? WELL_KNOWN_CA_FILE
                : WELL_KNOWN_TLS_DIR.resolve("ca.crt");
      }
    }
    if (certFile != null) {
      FileServingCertificate files =
          new FileServingCertificate(
              certFile, keyFile, servingKeys, scheduler, CaServingCertificate.CHECK_INTERVAL);
      closeables.push(files);
      files.start();
    } else {
      CaServingCertificate issued =
          new CaServingCertificate(
              ca,
              IstiodDnsNames.of(options.namespace(), options.revision(), options.customHosts()),
              options.selfSignedCaTtl(),
              servingKeys,
              clock,
              scheduler,
              random);
      closeables.push(issued);
      issued.start();
    }
    if (caFile == null) {
      if (certFile == null) {
        servingRoots = () -> ca.current().map(CaKeyMaterial::rootBundlePem);
      } else {
        log.warn(
            "--tlsCertFile {} without --caCertFile: no roots to publish for it, so the validation"
                + " webhook's caBundle cannot be set",
            certFile);
      }
      return () -> ca.current().map(CaKeyMaterial::rootBundle).orElse(List.of());
    }
    List<X509Certificate> roots;
    String rootsPem;
    try {
      rootsPem = Files.readString(caFile, StandardCharsets.UTF_8);
      roots = Pem.parseCertificates(rootsPem);
    } catch (IOException | InvalidKeyMaterialException e) {
      throw new IOException("--caCertFile " + caFile + ": " + e.getMessage(), e);
    }
    if (roots.isEmpty()) {
      throw new IOException("--caCertFile " + caFile + ": no certificate in it");
    }
    // An external serving certificate is verified with the roots given for it, not with the CA's
    // (Istio publishes the --caCertFile bundle); istiod's own certificate with the CA's roots.
    servingRoots =
        certFile != null
            ? () -> Optional.of(rootsPem)
            : () -> ca.current().map(CaKeyMaterial::rootBundlePem);
    return () -> roots;
  }

  private static Optional<CaKeyMaterial> loadPlugged(Path dir) throws IOException {
    try {
      return PluggedCaLoader.load(dir);
    } catch (InvalidKeyMaterialException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  public int port() {
    return server.port();
  }

  /** The CA's current key material, as the CSR API signs with it. */
  /**
   * The authenticators of the CSR API and xDS on this port (client certificate, Kubernetes JWT).
   */
  public List<Authenticator> authenticators() {
    return List.copyOf(authenticators);
  }

  /** The CSR service: what it issued, for the dashboard. */
  public IstioCertificateService certificates() {
    return certificates;
  }

  public CaKeyMaterialHolder ca() {
    return ca;
  }

  /**
   * The key manager behind 15012's certificate, for other TLS ports that serve the same certificate
   * (the webhook): renewals reach them too. Empty before start.
   */
  public Optional<ServingKeyManager> servingKeys() {
    return Optional.ofNullable(servingKeys);
  }

  /** The certificate 15012 serves now. */
  public Optional<ServingCertificate> servingCertificate() {
    return servingKeys == null ? Optional.empty() : servingKeys.current();
  }

  /**
   * The PEM roots a client needs to verify the certificate istiod serves, as the validation
   * webhook's {@code caBundle}: the {@code --caCertFile} bundle when the certificate comes from
   * files ({@code --tlsCertFile}, or the well-known cert-manager mount), else the CA's roots. Empty
   * for a certificate from files without a CA file.
   */
  public Optional<String> servingRootsPem() {
    return servingRoots.get();
  }

  public String describe() {
    return caSource;
  }

  @Override
  public void close() {
    while (!closeables.isEmpty()) {
      try {
        closeables.pop().close();
      } catch (Exception e) {
        log.debug("close: {}", e.getMessage());
      }
    }
  }
}

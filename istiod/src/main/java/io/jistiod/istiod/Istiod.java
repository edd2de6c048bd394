package io.jistiod.istiod;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.jistiod.galley.analysis.Analysis;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.config.AggregateConfigStore;
import io.jistiod.galley.config.ConfigKind;
import io.jistiod.galley.config.ConfigStore;
import io.jistiod.galley.config.GatewayApiKinds;
import io.jistiod.galley.config.IngressKinds;
import io.jistiod.galley.config.MemoryConfigStore;
import io.jistiod.galley.config.NamespaceFilteredConfigStore;
import io.jistiod.galley.file.FileConfigSource;
import io.jistiod.galley.kube.KubernetesConfigStore;
import io.jistiod.galley.mesh.MeshConfigWatcher;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.galley.validation.NetworkingValidators;
import io.jistiod.istiod.gatewayapi.GatewayStatusWriter;
import io.jistiod.istiod.gatewayapi.KubeConfigMapSource;
import io.jistiod.istiod.ha.LeaderElection;
import io.jistiod.istiod.http.HttpEndpoints;
import io.jistiod.istiod.ingress.IngressStatusWriter;
import io.jistiod.istiod.ingress.KubeIngressStatusApi;
import io.jistiod.istiod.metrics.PrometheusTextWriter;
import io.jistiod.istiod.metrics.RuntimeMetrics;
import io.jistiod.pilot.envoy.EnvoyGenerators;
import io.jistiod.pilot.envoy.secret.CredentialSource;
import io.jistiod.pilot.envoy.secret.KubeCredentialSource;
import io.jistiod.pilot.gatewayapi.BackendTlsPolicies;
import io.jistiod.pilot.gatewayapi.ConfigMapSource;
import io.jistiod.pilot.gatewayapi.GatewayApiOptions;
import io.jistiod.pilot.gatewayapi.GatewayApiSources;
import io.jistiod.pilot.grpcgen.GrpcClusterGenerator;
import io.jistiod.pilot.grpcgen.GrpcListenerGenerator;
import io.jistiod.pilot.grpcgen.GrpcRouteGenerator;
import io.jistiod.pilot.ingress.IngressOptions;
import io.jistiod.pilot.ingress.IngressStatuses;
import io.jistiod.pilot.kube.DiscoveryNamespaces;
import io.jistiod.pilot.kube.KubeServiceRegistry;
import io.jistiod.pilot.model.ServiceDiscovery;
import io.jistiod.pilot.push.ConfigKey;
import io.jistiod.pilot.push.Debouncer;
import io.jistiod.pilot.push.ExecutorScheduler;
import io.jistiod.pilot.push.Kind;
import io.jistiod.pilot.push.PushContextBuilder;
import io.jistiod.pilot.push.PushRequest;
import io.jistiod.pilot.security.JwksResolver;
import io.jistiod.pilot.security.JwksUriAnalyzer;
import io.jistiod.pilot.serviceentry.ConfigChangePushes;
import io.jistiod.pilot.serviceentry.ServiceEntryRegistry;
import io.jistiod.pilot.xds.AdsService;
import io.jistiod.pilot.xds.DiscoveryServer;
import io.jistiod.pilot.xds.GeneratorRegistry;
import io.jistiod.pilot.xds.TypeUrls;
import io.jistiod.pilot.xds.XdsMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One istiod process: wires config sources, Pilot and the servers, and starts them in istiod's
 * order: load config, build the first push context, then open the xDS port, so no client is ever
 * served an empty config.
 */
public final class Istiod implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Istiod.class);

  private final IstiodOptions options;
  private final MeterRegistry metrics = RuntimeMetrics.newRegistry();
  private final MemoryConfigStore fileStore = new MemoryConfigStore();
  private AggregateConfigStore config;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final long startNanos = System.nanoTime();
  private volatile DiscoveryServer discovery;
  private volatile KubeServiceRegistry kube;
  private Server grpc;
  private volatile io.jistiod.istiod.security.IstiodSecurity security;
  private io.jistiod.istiod.webhook.ValidationWebhook webhook;
  private io.jistiod.istiod.inject.SidecarInjection injection;
  private volatile HttpEndpoints http;
  private MeshConfigWatcher meshWatcher;
  private final java.util.concurrent.atomic.AtomicBoolean closed =
      new java.util.concurrent.atomic.AtomicBoolean();
  private volatile java.time.Duration shutdownDuration = java.time.Duration.ofSeconds(10);
  private HttpEndpoints monitoring;
  private volatile boolean serving;
  private java.time.Duration xdsMaxConnectionIdle;
  // Why a startup step is still waiting (e.g. for istiod's namespace), shown on /ready; or null.
  private volatile String waitingFor;

  public Istiod(IstiodOptions options) {
    this.options = options;
  }

  /** Starts everything; throws with a one-line reason if it cannot (bad folder, port in use). */
  public void start() throws IOException {
    if (options.configDir() == null && options.kubernetes() == null) {
      throw new IllegalArgumentException(
          "no config source: give --configDir, --kubeconfig, or run in a Kubernetes pod");
    }
    InetSocketAddress grpcAddress = ListenAddress.parse("--grpcAddr", options.grpcAddr());
    InetSocketAddress httpAddress = ListenAddress.parse("--httpAddr", options.httpAddr());
    InetSocketAddress monitoringAddress =
        ListenAddress.parse("--monitoringAddr", options.monitoringAddr());

    // Process, JVM and build metrics from the start, as istiod's Prometheus registry has them.
    closeables.add(RuntimeMetrics.register(metrics, BuildInfo.ISTIO_VERSION));

    // 1. HTTP first: a port in use fails fast, and /ready answers 503 while sources sync.
    http = bind("--httpAddr", httpAddress, "http-8080");
    http.text("/ready", "text/plain", this::ready);
    monitoring = bind("--monitoringAddr", monitoringAddress, "http-monitoring");
    monitoring
        .text(
            "/metrics",
            "text/plain; version=0.0.4; charset=utf-8",
            () -> HttpEndpoints.Response.ok(PrometheusTextWriter.write(metrics)))
        .text(
            "/version",
            "text/plain",
            () ->
                HttpEndpoints.Response.ok(
                    BuildInfo.ISTIO_VERSION + "-jistiod-" + BuildInfo.ownVersion() + "-Clean"));
    http.start();
    monitoring.start();

    // 2. Changes from every source are debounced into pushes.
    ScheduledExecutorService debounceThread =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "push-debounce");
              t.setDaemon(true);
              return t;
            });
    closeables.add(debounceThread::shutdownNow);
    Debouncer debouncer =
        new Debouncer(
            options.debounceAfter(),
            options.debounceMax(),
            new ExecutorScheduler(debounceThread),
            request -> {
              // Changes seen while sources sync are already in the first push context, which is
              // built once they have synced; until then there is nothing to push to.
              DiscoveryServer d = discovery;
              if (d != null) {
                d.push(request);
              }
            });

    // The API server's client first: the mesh config may come from a ConfigMap.
    KubernetesClient client = null;
    if (options.kubernetes() != null) {
      client = options.kubernetes().client();
      closeables.add(client);
    }
    // MeshConfig, live: the --meshConfig file if it exists, else the istio[-rev] ConfigMap of
    // istiod's namespace (SHARED_MESH_CONFIG's under either); a change is a full push, as istiod's.
    MeshConfigWatcher meshWatcher =
        MeshConfigWatcher.start(
            options.meshConfigFile(),
            client,
            systemNamespace(),
            meshConfigMapName(),
            options.getenv("SHARED_MESH_CONFIG"),
            java.time.Duration.ofSeconds(1));
    closeables.add(meshWatcher);
    this.meshWatcher = meshWatcher;
    java.util.function.Supplier<MeshConfig> mesh = meshWatcher::current;
    meshWatcher.addListener(
        changed -> debouncer.enqueue(PushRequest.fullForAll("global", System.nanoTime())));
    // MeshConfig discoverySelectors: the Kubernetes namespaces whose Services, endpoints and Istio
    // config istiod sees (namespace labels from the service registry's namespace informer).
    DiscoveryNamespaces discoveryNamespaces =
        new DiscoveryNamespaces(mesh, ns -> kube == null ? null : kube.namespaceLabels(ns));

    // 3. Sources, loaded completely before anything is served: a config folder and/or the
    //    Kubernetes API server (Istio CRDs, Services, EndpointSlices, Pods).
    List<ConfigStore> stores = new ArrayList<>();
    // Istio's kinds and, as istiod 1.27 reads them, the Gateway API's: the standard ones unless
    // PILOT_ENABLE_GATEWAY_API=false, the alpha TCPRoute/TLSRoute/XListenerSet only with
    // PILOT_ENABLE_ALPHA_GATEWAY_API=true. A kind whose CRD is not installed is simply empty.
    boolean gatewayApi = Main.envBool(options::getenv, "PILOT_ENABLE_GATEWAY_API", true);
    boolean gatewayApiAlpha =
        Main.envBool(options::getenv, "PILOT_ENABLE_ALPHA_GATEWAY_API", false);
    List<ConfigKind> kinds = GatewayApiKinds.withIstioKinds(gatewayApi, gatewayApiAlpha);
    if (options.configDir() != null) {
      ConfigParser parser = new ConfigParser(kinds, "default");
      FileConfigSource files =
          new FileConfigSource(
              options.configDir(), parser, NetworkingValidators.forKinds(), fileStore);
      files.start();
      closeables.add(files);
      stores.add(fileStore);
    }
    KubeCredentialSource credentials = null;
    KubeConfigMapSource configMaps = null;
    KubernetesConfigStore crds = null;
    // Kubernetes Ingresses, as istiod serves them: only from the API server (a config folder never
    // holds them) and only if the mesh config at startup does not turn them OFF; afterwards the
    // mode and ingress class are read at every push.
    boolean ingresses =
        options.kubernetes() != null
            && meshWatcher.current().getIngressControllerMode()
                != MeshConfig.IngressControllerMode.OFF;
    if (options.kubernetes() != null) {
      List<ConfigKind> watched = kinds;
      if (ingresses) {
        watched = new ArrayList<>(kinds);
        watched.addAll(IngressKinds.ALL);
      }
      crds = new KubernetesConfigStore(client, watched, metrics);
      closeables.add(crds);
      crds.start();
      stores.add(new NamespaceFilteredConfigStore(crds, discoveryNamespaces));
    }
    config = new AggregateConfigStore(stores);
    // ServiceEntry and WorkloadEntry changes that only move endpoints are EDS-only, as istiod's
    // serviceentry controller decides; every other kind is a full push keyed by the object.
    ConfigChangePushes configPushes =
        new ConfigChangePushes(
            config,
            (namespace, labels) -> {
              KubeServiceRegistry k = kube;
              return k == null ? java.util.Set.of() : k.servicesSelecting(namespace, labels);
            });
    config.addHandler(
        e -> configPushes.pushFor(e, System.nanoTime()).ifPresent(debouncer::enqueue));
    List<ServiceDiscovery> registries = new ArrayList<>();
    // a ServiceEntry's workloadSelector also selects pods, once the Kubernetes registry is up
    ServiceEntryRegistry serviceEntries =
        new ServiceEntryRegistry(
            config,
            options.trustDomain(),
            namespace -> {
              KubeServiceRegistry k = kube;
              return k == null ? List.of() : k.workloadInstances(namespace);
            });
    registries.add(serviceEntries);
    if (client != null) {
      kube =
          new KubeServiceRegistry(
              client, options.domain(), options.trustDomain(), debouncer::enqueue);
      kube.setNamespaceFilter(discoveryNamespaces);
      // a Service's selector also selects WorkloadEntries (VMs), as in istiod
      kube.setWorkloadEntries(serviceEntries::workloadEntryInstances);
      kube.countEventsWith(
          (type, event) ->
              Counter.builder("pilot_k8s_reg_events")
                  .description("Events from k8s registry.")
                  .tag("type", type)
                  .tag("event", event)
                  .register(metrics)
                  .increment());
      closeables.add(kube);
      kube.start();
      // gateway credentials (credentialName Secrets); a change is an incremental push that
      // resends SDS only, to the gateways watching that Secret, as istiod does
      credentials =
          new KubeCredentialSource(
              client,
              changed ->
                  debouncer.enqueue(
                      PushRequest.incremental(
                          "secret",
                          java.util.Set.of(ConfigKey.parse("Secret/" + changed)),
                          System.nanoTime())));
      closeables.add(credentials);
      credentials.start();
      if (gatewayApi && gatewayApiAlpha) {
        // BackendTLSPolicy CA certificates: a change to a ConfigMap a policy names converts the
        // Gateway API again (a full push, as istiod's DestinationRule collection recomputes)
        ConfigStore policies = config;
        configMaps =
            new KubeConfigMapSource(
                client,
                (ns, name) -> {
                  if (BackendTlsPolicies.refersTo(policies, ns, name)) {
                    debouncer.enqueue(
                        PushRequest.full(
                            "configmap", ConfigKey.of(Kind.UNKNOWN, ns, name), System.nanoTime()));
                  }
                });
        closeables.add(configMaps);
        configMaps.start();
      }
      KubernetesConfigStore crdStore = crds;
      KubeCredentialSource secrets = credentials;
      KubeConfigMapSource caConfigMaps = configMaps;
      awaitSync(
          () ->
              kube.hasSynced()
                  && crdStore.hasSynced()
                  && secrets.hasSynced()
                  && (caConfigMaps == null || caConfigMaps.hasSynced()),
          options.kubernetes().describe());
      registries.add(kube);
    }

    // 4. Pilot: registries -> push context -> generators -> discovery server.
    log.info(
        "mesh config: {}",
        options.meshConfigFile() != null && java.nio.file.Files.exists(options.meshConfigFile())
            ? options.meshConfigFile() + " (watched)"
            : client != null
                ? "ConfigMap " + systemNamespace() + "/" + meshConfigMapName() + " (watched)"
                : "defaults");
    PushContextBuilder pushContexts =
        new PushContextBuilder(config, registries, options.domain(), mesh);
    if (gatewayApi) {
      // Gateway API objects become Istio Gateways, VirtualServices and (backend policies, alpha)
      // DestinationRules at each push, as istiod's
      // gateway controller makes them (the built-in classes its flags switch on, Gateways with
      // Hostname addresses served by those Services, as istiod 1.27's defaults).
      // Without a cluster no namespace has labels: allowedRoutes selectors select none.
      io.jistiod.istiod.gatewayapi.BuiltinClasses gatewayClasses = builtinGatewayClasses();
      pushContexts.gatewayApi(
          new GatewayApiSources(
              () -> kube == null ? java.util.Map.of() : kube.namespaceLabels(),
              credentials == null ? CredentialSource.NONE : credentials,
              configMaps == null ? ConfigMapSource.NONE : configMaps,
              new GatewayApiOptions(
                  options.domain(),
                  gatewayApiAlpha,
                  false,
                  gatewayClasses.remote(),
                  gatewayClasses.waypoints(),
                  gatewayClasses.eastWest(),
                  true,
                  false),
              java.time.Clock.systemUTC()));
      // The status each conversion computes, written by one replica per revision (istiod's
      // per-revision Lease istio-gateway-status-leader-REV), unless
      // PILOT_ENABLE_GATEWAY_API_STATUS=false. Only objects of the API server are written.
      if (client != null
          && crds != null
          && Main.envBool(options::getenv, "PILOT_ENABLE_GATEWAY_API_STATUS", true)) {
        KubernetesConfigStore liveStore = crds;
        GatewayStatusWriter statusWriter =
            GatewayStatusWriter.start(
                client, key -> liveStore.get(key.kind(), key.namespace(), key.name()));
        closeables.add(statusWriter);
        pushContexts.onGatewayApiResult(statusWriter);
        closeables.add(
            singleton(
                client,
                perRevision("istio-gateway-status-leader"),
                () -> {
                  AutoCloseable leading = statusWriter.lead();
                  // as istiod: a new leader converts again, against the status as it is now
                  // (the previous leader, or another controller, may have changed it since)
                  debouncer.enqueue(
                      PushRequest.full(
                          "gateway-status-leader",
                          ConfigKey.of(Kind.UNKNOWN, "", "gateway-status-leader"),
                          System.nanoTime()));
                  return leading;
                }));
      }
    }
    if (ingresses) {
      // Gateways in K8S_INGRESS_NS (istio-system unless set, whatever istiod's own namespace)
      IngressOptions ingressOptions =
          new IngressOptions(
              options.domain(),
              java.util.Optional.ofNullable(options.getenv("K8S_INGRESS_NS"))
                  .filter(v -> !v.isEmpty())
                  .orElse(IngressOptions.DEFAULT_INGRESS_NAMESPACE));
      pushContexts.ingress(ingressOptions);
      // The served Ingresses' status (the ingress gateway's addresses), written by the replica
      // holding istiod's istio-leader election, when istiod has a status manager: with the Gateway
      // API's status (the default) or PILOT_ENABLE_ANALYSIS.
      boolean statusManager =
          (gatewayApi && Main.envBool(options::getenv, "PILOT_ENABLE_GATEWAY_API_STATUS", true))
              || Main.envBool(options::getenv, "PILOT_ENABLE_ANALYSIS", false);
      if (client != null && statusManager) {
        IngressStatusWriter ingressStatus =
            new IngressStatusWriter(
                new KubeIngressStatusApi(client),
                () -> {
                  KubeServiceRegistry k = kube;
                  if (k == null) {
                    return List.of();
                  }
                  var in = k.ambientInputs(systemNamespace());
                  return IngressStatuses.addresses(
                      mesh.get(), ingressOptions, in.services(), in.pods(), in.nodes());
                });
        closeables.add(ingressStatus);
        pushContexts.onIngressResult(ingressStatus);
        closeables.add(singleton(client, "istio-leader", ingressStatus::lead));
      }
    }
    // RequestAuthentication jwksUri key sets: fetched by istiod and inlined; a changed set pushes.
    JwksResolver jwks =
        JwksResolver.start(
            metrics,
            Main.envDuration(
                options::getenv,
                "PILOT_JWT_PUB_KEY_REFRESH_INTERVAL",
                JwksResolver.REFRESH_INTERVAL),
            () ->
                debouncer.enqueue(
                    PushRequest.full(
                        "unknown",
                        // which RequestAuthentications use the key set is not known here: an
                        // unnamed namespace reaches every proxy, but only listeners are rebuilt
                        ConfigKey.of(Kind.REQUEST_AUTHENTICATION, "", "jwks"),
                        System.nanoTime())));
    closeables.add(jwks);
    pushContexts.jwks(jwks);
    JwksResolver.warnUnsupportedFetchMode(options.getenv("PILOT_JWT_ENABLE_REMOTE_JWKS"));
    GeneratorRegistry generators =
        new GeneratorRegistry()
            .register("grpc", TypeUrls.LISTENER, new GrpcListenerGenerator())
            .register("grpc", TypeUrls.ROUTE, new GrpcRouteGenerator())
            .register("grpc", TypeUrls.CLUSTER, new GrpcClusterGenerator());
    if (options.ambient()) {
      // The workload API for ztunnel: addresses from the Kubernetes registry (pods and Services
      // only, for now: no ServiceEntries, WorkloadEntries or waypoints), AuthorizationPolicies in
      // ztunnel's form (no PeerAuthentications yet); see docs/ambient.md.
      KubeServiceRegistry ambientSource = kube;
      pushContexts.ambient(
          () ->
              ambientSource == null
                  ? io.jistiod.pilot.ambient.AmbientInputs.EMPTY
                  : ambientSource.ambientInputs(systemNamespace()),
          new io.jistiod.pilot.ambient.AmbientSettings(
              options.security() == null ? "Kubernetes" : options.security().clusterId(),
              options.domain(),
              // how sidecars and gateways reach ambient workloads; istiod's defaults with ambient
              Main.envBool(options::getenv, "PILOT_ENABLE_SENDING_HBONE", true),
              Main.envBool(options::getenv, "PILOT_PREFER_SENDING_HBONE", false),
              Main.envBool(options::getenv, "ENABLE_INGRESS_WAYPOINT_ROUTING", true),
              Main.envBool(options::getenv, "PILOT_ENABLE_SIDECAR_LISTENING_HBONE", true)));
      // The status conditions istiod writes in ambient mode (WaypointBound, ZtunnelAccepted,
      // WaypointAccepted), unless AMBIENT_ENABLE_STATUS=false; written by the replica holding
      // istiod's Lease istio-status-leader (not per revision, as istiod elects it).
      if (client != null && Main.envBool(options::getenv, "AMBIENT_ENABLE_STATUS", true)) {
        io.jistiod.istiod.ambient.AmbientStatusWriter ambientStatus =
            new io.jistiod.istiod.ambient.AmbientStatusWriter(
                new io.jistiod.istiod.ambient.KubeAmbientStatusApi(client),
                java.time.Clock.systemUTC());
        closeables.add(ambientStatus);
        pushContexts.onAmbientStatus(ambientStatus);
        closeables.add(singleton(client, "istio-status-leader", ambientStatus::lead));
      }
      generators.register(TypeUrls.ADDRESS, new io.jistiod.pilot.ambient.AddressGenerator());
      generators.register(
          TypeUrls.AUTHORIZATION, new io.jistiod.pilot.ambient.AuthorizationGenerator());
    }
    EnvoyGenerators.registerDefaults(
        generators, credentials == null ? CredentialSource.NONE : credentials);
    XdsMetrics xdsMetrics = new XdsMetrics(metrics, BuildInfo.ISTIO_VERSION);
    discovery =
        new DiscoveryServer(
            generators, pushContexts, xdsMetrics, options.pushWorkers(), xdsSendTimeout());
    closeables.add(discovery);
    discovery.serveZtunnel(options.ambient());
    // istioctl proxy-status names the istiod of each proxy by its pod (Istio's POD_NAME)
    discovery.identify(podName(), BuildInfo.ISTIO_VERSION, "jistiod-" + BuildInfo.ownVersion());
    if (client != null) {
      workloadEntries(client).ifPresent(discovery::lifecycle);
    }
    discovery.start(System.nanoTime());
    Gauge.builder("pilot_services", () -> discovery.current().services().size())
        .description("Total services known to pilot.")
        .register(metrics);
    DebugEndpoints debug = new DebugEndpoints(discovery, config, mesh);
    debug.register(http);
    debug.register(monitoring);
    // As istiod: /debug/* (and our /ui) answer loopback callers, or callers the xDS
    // authenticators accept (a Kubernetes token); others get 401.
    io.jistiod.istiod.security.DebugAccess access =
        new io.jistiod.istiod.security.DebugAccess(
            () -> security == null ? List.of() : security.authenticators());
    http.guard("/debug/", access);
    monitoring.guard("/debug/", access).guard("/ui", access);
    // istioctl x internal-debug: the same endpoints over ADS, for callers verified on the TLS port
    discovery.serveHttpDebug(systemNamespace(), debug::internal);
    // the live mesh dashboard (/ui) on the monitoring port
    new MeshDashboard(
            discovery,
            config,
            metrics,
            new Analysis(
                analyzers(jwks, mesh),
                config,
                kube == null ? null : new RegistryMeshView(registries, kube),
                options.domain(),
                () -> mesh.get().getRootNamespace()),
            () -> security,
            meshWatcher,
            podName())
        .register(monitoring);

    // 5. The CA and the TLS port (CSRs and authenticated xDS); before plaintext xDS so it is ready.
    if (options.security() != null && options.security().enabled()) {
      security =
          io.jistiod.istiod.security.IstiodSecurity.start(
              ListenAddress.parse("--secureGRPCAddr", options.security().secureGrpcAddr()),
              options.security(),
              options.trustDomain(),
              options.kubernetes(),
              discovery,
              metrics,
              new StartupRetry(reason -> waitingFor = reason),
              discoveryNamespaces);
      closeables.add(security);
      log.info("secure gRPC (CSRs, xDS over TLS) on {}; {}", security.port(), security.describe());
      // The CA's roots in every namespace (istio-ca-root-cert): one replica publishes, as
      // istiod's namespace controller.
      if (client != null) {
        KubernetesClient kc = client;
        io.jistiod.citadel.pki.CaKeyMaterialHolder roots = security.ca();
        closeables.add(
            singleton(
                kc,
                "istio-namespace-controller-election",
                () -> {
                  var publisher = new io.jistiod.citadel.k8s.RootCertPublisher(kc, roots);
                  publisher.start();
                  return publisher;
                }));
      }
    }

    // 5b. The webhook port (15017): config validation, and in Kubernetes mode the controller that
    //     keeps the ValidatingWebhookConfigurations' caBundle and failurePolicy.
    if (options.webhook() != null && options.webhook().enabled()) {
      webhook =
          io.jistiod.istiod.webhook.ValidationWebhook.start(
              ListenAddress.parse("--httpsAddr", options.webhook().httpsAddr()),
              options.webhook(),
              client,
              security,
              client == null
                  ? null
                  : new Analysis(
                      analyzers(jwks, mesh),
                      config,
                      new RegistryMeshView(registries, kube),
                      options.domain(),
                      () -> mesh.get().getRootNamespace()),
              () -> ready().status() == 200,
              metrics);
      closeables.add(webhook);
      // The webhook configurations' caBundle and failurePolicy: one replica per revision patches.
      if (client != null && options.webhook().patchWebhooks()) {
        KubernetesClient kc = client;
        io.jistiod.istiod.webhook.ValidationWebhook v = webhook;
        io.jistiod.istiod.security.IstiodSecurity sec = security;
        closeables.add(
            singleton(
                kc,
                revisioned("istio-validation-controller-election"),
                () -> v.startPatching(kc, sec, metrics)));
      }
      // 5c. Sidecar injection on the same port (/inject), config from files or the ConfigMap.
      injection =
          io.jistiod.istiod.inject.SidecarInjection.start(
              options.injection(),
              options.webhook().namespace(),
              options.webhook().revision(),
              client,
              webhook.server(),
              mesh,
              this::proxyConfigResources,
              io.jistiod.istiod.inject.TemplateParsers.goTemplates(),
              metrics);
      if (injection != null) {
        closeables.add(injection);
        // As istiod: the injector's webhook configurations are patched only when it injects.
        if (client != null && options.webhook().patchInjectionWebhooks()) {
          KubernetesClient kc = client;
          io.jistiod.istiod.webhook.ValidationWebhook v = webhook;
          io.jistiod.istiod.security.IstiodSecurity sec = security;
          String revision = options.webhook().revision();
          closeables.add(
              singleton(
                  kc,
                  revisioned("istio-injection-webhook-election"),
                  () -> v.startInjectionPatcher(kc, revision, sec, metrics)));
        }
      }
    }

    // 5d. The Gateway API's automated deployment and built-in GatewayClass, as istiod runs them.
    if (client != null && gatewayApi) {
      startGatewayDeployment(client, mesh, discoveryNamespaces);
    }

    // 6. xDS last, so no client ever sees config from unsynced sources.
    try {
      grpc =
          io.jistiod.istiod.grpc.GrpcConnectionLimits.apply(
                  NettyServerBuilder.forAddress(grpcAddress), xdsMaxConnectionIdle())
              .addService(new AdsService(discovery).withPeerAddress())
              .addService(ProtoReflectionServiceV1.newInstance())
              .maxInboundMessageSize(4 * 1024 * 1024)
              // Agents ping every 30 s; allow it (istiod enforces half of that), or Netty's
              // 5-minute default would close their connections with "too_many_pings".
              .permitKeepAliveTime(15, java.util.concurrent.TimeUnit.SECONDS)
              .permitKeepAliveWithoutCalls(true)
              .build()
              .start();
    } catch (IOException e) {
      throw new IOException("--grpcAddr " + options.grpcAddr() + ": " + bindReason(e), e);
    }
    serving = true;
    log.info(
        "istiod {} serving: xDS (plaintext ADS) on {}, readiness on {}, metrics on {}; config from {}: {} objects, {} services",
        BuildInfo.ISTIO_VERSION,
        grpcPort(),
        http.port(),
        monitoring.port(),
        sources(),
        config.keys().size(),
        discovery.current().services().size());
  }

  private String sources() {
    List<String> out = new ArrayList<>();
    if (options.configDir() != null) {
      out.add(options.configDir().toString());
    }
    if (options.kubernetes() != null) {
      out.add(options.kubernetes().describe());
    }
    return String.join(" and ", out);
  }

  /** Waits for the informers' initial lists, as istiod does before it serves. */
  private static void awaitSync(java.util.function.BooleanSupplier synced, String where)
      throws IOException {
    long started = System.nanoTime();
    long nextLog = started + 5_000_000_000L;
    while (!synced.getAsBoolean()) {
      if (System.nanoTime() > nextLog) {
        log.info("waiting for Kubernetes caches to sync ({})", where);
        nextLog = System.nanoTime() + 5_000_000_000L;
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for Kubernetes caches", e);
      }
    }
    log.info("Kubernetes caches synced in {} ms", (System.nanoTime() - started) / 1_000_000);
  }

  private static HttpEndpoints bind(String flag, InetSocketAddress address, String name)
      throws IOException {
    try {
      return new HttpEndpoints(address, name);
    } catch (IOException e) {
      throw new IOException(flag + " " + address + ": " + bindReason(e), e);
    }
  }

  /** The root cause's message: gRPC's bind error wraps the OS's ("Address already in use"). */
  private static String bindReason(IOException e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String reason = t.getMessage() == null ? t.toString() : t.getMessage();
    return reason.toLowerCase(java.util.Locale.ROOT).contains("in use")
        ? "address already in use"
        : reason;
  }

  /**
   * Ready once every source has synced and every server serves: a port whose server stopped or
   * whose threads are all stuck makes istiod not ready until it recovers.
   */
  private HttpEndpoints.Response ready() {
    if (serving
        && http.healthy()
        && monitoring.healthy()
        && (webhook == null || webhook.healthy())
        && config.hasSynced()
        && discovery.isReady()
        && (kube == null || kube.hasSynced())) {
      return HttpEndpoints.Response.ok("");
    }
    String reason = waitingFor;
    return new HttpEndpoints.Response(
        503, reason == null ? "not ready\n" : "not ready: " + reason + "\n");
  }

  /**
   * How long a connection to the xDS port may stay open without a call (see {@link
   * io.jistiod.istiod.grpc.GrpcConnectionLimits}); before {@link #start()}. Unset: {@code
   * JISTIOD_XDS_MAX_CONNECTION_IDLE}, else two minutes.
   */
  public Istiod withXdsMaxConnectionIdle(java.time.Duration idle) {
    this.xdsMaxConnectionIdle = idle;
    return this;
  }

  private java.time.Duration xdsMaxConnectionIdle() {
    return xdsMaxConnectionIdle != null
        ? xdsMaxConnectionIdle
        : Main.envDuration(
            options::getenv,
            "JISTIOD_XDS_MAX_CONNECTION_IDLE",
            io.jistiod.istiod.grpc.GrpcConnectionLimits.DEFAULT_MAX_CONNECTION_IDLE);
  }

  public int grpcPort() {
    return grpc.getPort();
  }

  public int httpPort() {
    return http.port();
  }

  /**
   * The built-in GatewayClasses ({@link #builtinGatewayClasses}) are created unless
   * PILOT_ENABLE_GATEWAY_API_GATEWAYCLASS_CONTROLLER=false; Gateways of class istio get their
   * ServiceAccount, Deployment and Service from the {@code kube-gateway} injection template, those
   * of the ambient classes from {@code waypoint}, by one replica per revision (Lease
   * istio-gateway-deployment-REV), unless PILOT_ENABLE_GATEWAY_API_DEPLOYMENT_CONTROLLER=false.
   * With no injection config there is no template: each Gateway logs why nothing was deployed, as
   * istiod does.
   */
  private void startGatewayDeployment(
      KubernetesClient client,
      java.util.function.Supplier<MeshConfig> mesh,
      java.util.function.Predicate<String> discoveryNamespaces) {
    io.jistiod.istiod.gatewayapi.BuiltinClasses builtins = builtinGatewayClasses();
    if (Main.envBool(options::getenv, "PILOT_ENABLE_GATEWAY_API_GATEWAYCLASS_CONTROLLER", true)) {
      closeables.add(
          io.jistiod.istiod.gatewayapi.GatewayClassCreator.start(client, builtins.toCreate()));
    }
    if (!Main.envBool(options::getenv, "PILOT_ENABLE_GATEWAY_API_DEPLOYMENT_CONTROLLER", true)) {
      return;
    }
    String revision = options.webhook() == null ? "" : options.webhook().revision();
    io.jistiod.istiod.inject.InjectorConfigHolder holder =
        injection == null ? null : injection.config();
    io.jistiod.injector.NativeSidecars.Mode nativeMode =
        options.injection() == null
            ? io.jistiod.injector.NativeSidecars.Mode.AUTO
            : options.injection().nativeSidecars();
    io.jistiod.istiod.gatewayapi.GatewayDeployments deployments =
        new io.jistiod.istiod.gatewayapi.GatewayDeployments(
            client,
            systemNamespace(),
            revision,
            discoveryNamespaces,
            holder == null ? () -> null : holder,
            mesh,
            this::proxyConfigResources,
            io.jistiod.istiod.gatewayapi.GatewayDeployments.settings(
                options.security() == null ? "Kubernetes" : options.security().clusterId(),
                revision,
                nativeMode != io.jistiod.injector.NativeSidecars.Mode.DISABLED,
                options.injection() == null ? "" : options.injection().compliancePolicy(),
                Main.envBool(
                    options::getenv, "PILOT_ENABLE_GATEWAY_API_COPY_LABELS_ANNOTATIONS", true),
                builtins.waypoints()),
            builtins,
            Main.envBool(options::getenv, "PILOT_ENABLE_ALPHA_GATEWAY_API", false));
    closeables.add(deployments);
    if (holder != null) {
      holder.addListener(deployments::requeueAll);
    }
    closeables.add(singleton(client, perRevision("istio-gateway-deployment"), deployments::lead));
  }

  private io.jistiod.istiod.gatewayapi.BuiltinClasses builtinGatewayClasses; // read once

  /**
   * istiod 1.27's built-in GatewayClasses as its flags switch them on: {@code istio} (renamed by
   * PILOT_GATEWAY_API_DEFAULT_GATEWAYCLASS_NAME, for PILOT_GATEWAY_API_CONTROLLER_NAME);
   * istio-remote unless PILOT_MULTI_NETWORK_DISCOVER_GATEWAY_API=false; with PILOT_ENABLE_AMBIENT,
   * istio-waypoint unless PILOT_ENABLE_AMBIENT_WAYPOINTS=false and istio-east-west if
   * AMBIENT_ENABLE_MULTI_NETWORK=true. Without ambient those two flags are off, and ignored with a
   * warning when set, as istiod ignores them.
   */
  private io.jistiod.istiod.gatewayapi.BuiltinClasses builtinGatewayClasses() {
    if (builtinGatewayClasses == null) {
      builtinGatewayClasses = readBuiltinGatewayClasses();
    }
    return builtinGatewayClasses;
  }

  private io.jistiod.istiod.gatewayapi.BuiltinClasses readBuiltinGatewayClasses() {
    boolean ambient = Main.envBool(options::getenv, "PILOT_ENABLE_AMBIENT", false);
    java.util.function.BiPredicate<String, Boolean> ambientFlag =
        (name, withAmbient) -> {
          if (ambient) {
            return Main.envBool(options::getenv, name, withAmbient);
          }
          if (options.getenv(name) != null) {
            log.warn("ignoring {}; requires PILOT_ENABLE_AMBIENT=true", name);
          }
          return false;
        };
    return new io.jistiod.istiod.gatewayapi.BuiltinClasses(
        Main.envString(options::getenv, "PILOT_GATEWAY_API_DEFAULT_GATEWAYCLASS_NAME", "istio"),
        Main.envString(
            options::getenv, "PILOT_GATEWAY_API_CONTROLLER_NAME", "istio.io/gateway-controller"),
        Main.envBool(options::getenv, "PILOT_MULTI_NETWORK_DISCOVER_GATEWAY_API", true),
        ambientFlag.test("PILOT_ENABLE_AMBIENT_WAYPOINTS", true),
        ambientFlag.test("AMBIENT_ENABLE_MULTI_NETWORK", false));
  }

  /**
   * The ProxyConfig resources of the config istiod sees (discovery namespaces applied), for the
   * injector and the Gateway deployments: read when a pod or Gateway is rendered.
   */
  private io.jistiod.injector.ProxyConfigResources proxyConfigResources() {
    AggregateConfigStore c = config;
    return c == null
        ? io.jistiod.injector.ProxyConfigResources.NONE
        : io.jistiod.injector.ProxyConfigResources.of(
            c.list(io.jistiod.galley.config.IstioKinds.PROXY_CONFIG, null));
  }

  /**
   * Runs {@code singleton} on the one replica holding the Lease {@code electionId} in istiod's
   * namespace (identity: POD_NAME). {@code ENABLE_LEADER_ELECTION=false} runs it unconditionally;
   * {@code JISTIOD_LEADER_ELECTION_TTL} (a Go duration such as {@code 30s}) shortens the lease for
   * tests.
   */
  private LeaderElection singleton(
      KubernetesClient client, String electionId, LeaderElection.Singleton singleton) {
    return LeaderElection.start(
        client,
        !"false".equalsIgnoreCase(options.getenv("ENABLE_LEADER_ELECTION")),
        systemNamespace(),
        podName(),
        electionId,
        Main.envDuration(
            options::getenv, "JISTIOD_LEADER_ELECTION_TTL", LeaderElection.DEFAULT_TTL),
        singleton);
  }

  /** A name per revision: {@code name} for the default revision, else {@code name-<rev>}. */
  private String revisioned(String electionId) {
    String revision = options.webhook() == null ? "" : options.webhook().revision();
    return revision == null || revision.isEmpty() || "default".equals(revision)
        ? electionId
        : electionId + "-" + revision;
  }

  /**
   * istiod's per-revision election ids: always suffixed, {@code default} for the default revision
   * (unlike {@link #revisioned}), as istiod's NewPerRevisionLeaderElection names them.
   */
  private String perRevision(String electionId) {
    String revision = options.webhook() == null ? "" : options.webhook().revision();
    return electionId + "-" + (revision == null || revision.isEmpty() ? "default" : revision);
  }

  /**
   * VM auto-registration and health (istiod's WorkloadEntry controller), run by every replica for
   * its own connections, unless both PILOT_ENABLE_WORKLOAD_ENTRY_AUTOREGISTRATION and
   * PILOT_ENABLE_WORKLOAD_ENTRY_HEALTHCHECKS are false.
   */
  private java.util.Optional<io.jistiod.istiod.autoregistration.WorkloadEntryController>
      workloadEntries(io.fabric8.kubernetes.client.KubernetesClient client) {
    var settings =
        new io.jistiod.istiod.autoregistration.WorkloadEntryController.Settings(
            Main.envBool(options::getenv, "PILOT_ENABLE_WORKLOAD_ENTRY_AUTOREGISTRATION", true),
            Main.envBool(options::getenv, "PILOT_ENABLE_WORKLOAD_ENTRY_HEALTHCHECKS", true),
            Main.envDuration(
                options::getenv,
                "PILOT_WORKLOAD_ENTRY_GRACE_PERIOD",
                java.time.Duration.ofSeconds(10)),
            Main.envBool(options::getenv, "ISTIO_WORKLOAD_ENTRY_VALIDATE_IDENTITY", true),
            // 1.5 times istiod's default maximum connection age (30m), which is not applied here
            java.time.Duration.ofMinutes(45));
    if (!settings.enabled()) {
      return java.util.Optional.empty();
    }
    var scheduler = new io.jistiod.istiod.autoregistration.SingleThreadScheduler();
    closeables.add(scheduler);
    var controller =
        new io.jistiod.istiod.autoregistration.WorkloadEntryController(
            podName(),
            new io.jistiod.istiod.autoregistration.KubeWorkloadEntryApi(client),
            settings,
            java.time.Clock.systemUTC(),
            scheduler);
    controller.startPeriodicCleanup();
    return java.util.Optional.of(controller);
  }

  /** This replica's name: POD_NAME, else HOSTNAME, else one made up for this process. */
  private String podName() {
    String pod = options.getenv("POD_NAME");
    if (pod == null || pod.isEmpty()) {
      pod = options.getenv("HOSTNAME");
    }
    if (pod == null || pod.isEmpty()) {
      pod = "istiod-" + ProcessHandle.current().pid();
    }
    return pod;
  }

  /** istiod's mesh ConfigMap: {@code istio}, or {@code istio-<revision>} for a named revision. */
  private String meshConfigMapName() {
    return revisioned("istio");
  }

  /** The live MeshConfig (after start). */
  public MeshConfigWatcher meshConfig() {
    return meshWatcher;
  }

  /**
   * istiod's own namespace: that of the CA if it runs, else of the webhook if it runs, else the CA
   * options', else POD_NAMESPACE, else istio-system.
   */
  private String systemNamespace() {
    // From the command line all three are --namespace; in tests the part that runs decides.
    if (options.security() != null && options.security().enabled()) {
      return options.security().namespace();
    }
    if (options.webhook() != null && options.webhook().enabled()) {
      return options.webhook().namespace();
    }
    if (options.security() != null && options.security().namespace() != null) {
      return options.security().namespace();
    }
    return java.util.Objects.requireNonNullElse(options.getenv("POD_NAMESPACE"), "istio-system");
  }

  public int secureGrpcPort() {
    return security == null ? -1 : security.port();
  }

  /** The webhook port (15017), or -1 when off. */
  public int webhookPort() {
    return webhook == null ? -1 : webhook.port();
  }

  /** Sidecar injection (on the webhook port), or null when off. */
  public io.jistiod.istiod.inject.SidecarInjection injection() {
    return injection;
  }

  /** Config validation (webhook port and controller), or null when off. */
  public io.jistiod.istiod.webhook.ValidationWebhook webhook() {
    return webhook;
  }

  /** The CA and TLS server, or null when off. */
  public io.jistiod.istiod.security.IstiodSecurity security() {
    return security;
  }

  public int monitoringPort() {
    return monitoring.port();
  }

  public DiscoveryServer discovery() {
    return discovery;
  }

  public MeterRegistry metrics() {
    return metrics;
  }

  /** Blocks until the gRPC server terminates. */
  public void awaitTermination() throws InterruptedException {
    grpc.awaitTermination();
  }

  /**
   * istiod's analyzers, plus the warning for a RequestAuthentication whose JWKS istiod cannot fetch
   * (admission waits at most a second for a first fetch of a new key set).
   */
  private static List<io.jistiod.galley.analysis.Analyzer> analyzers(
      JwksResolver jwks, java.util.function.Supplier<MeshConfig> mesh) {
    List<io.jistiod.galley.analysis.Analyzer> out = new ArrayList<>(Analysis.all(mesh));
    out.add(new JwksUriAnalyzer(jwks, java.time.Duration.ofSeconds(1)));
    return out;
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    serving = false; // /ready answers 503 from here on: no new traffic is sent this way
    drainXds();
    if (discovery == null) {
      log.debug("stopped before serving");
    }
    if (http != null) {
      http.close();
    }
    if (monitoring != null) {
      monitoring.close();
    }
    // last started, first stopped: a singleton releases its lease before the client closes
    for (int i = closeables.size() - 1; i >= 0; i--) {
      try {
        closeables.get(i).close();
      } catch (Exception e) {
        log.debug("close: {}", e.getMessage());
      }
    }
    log.info("istiod stopped after {} s", (System.nanoTime() - startNanos) / 1_000_000_000L);
  }

  /**
   * Istio's {@code --shutdownDuration}: how long a shutdown waits for in-flight calls on the xDS
   * port once it stopped taking new ones (default 10 s).
   */
  public void shutdownDuration(java.time.Duration d) {
    this.shutdownDuration = java.util.Objects.requireNonNull(d, "shutdownDuration");
  }

  /**
   * A graceful stop of the xDS port: GOAWAY (no new streams here), then every ADS stream (on both
   * ports) ended with UNAVAILABLE so its proxy reconnects to another replica at once, then up to
   * the shutdown duration for in-flight calls before the port is closed.
   */
  private void drainXds() {
    if (grpc == null) {
      return;
    }
    grpc.shutdown();
    if (discovery != null) {
      int ended =
          discovery.disconnectAll(
              io.grpc.Status.UNAVAILABLE.withDescription(
                  "istiod is shutting down; reconnect to another instance"));
      if (ended > 0) {
        log.info("shutting down: {} xDS streams asked to reconnect elsewhere", ended);
      }
    }
    try {
      if (!grpc.awaitTermination(shutdownDuration.toMillis(), TimeUnit.MILLISECONDS)) {
        log.info("shutting down: in-flight xDS calls cut after {}", shutdownDuration);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    grpc.shutdownNow();
  }

  /**
   * {@code PILOT_XDS_SEND_TIMEOUT}: how long a write waits for a proxy that does not read. Istio's
   * default, 0, waits forever; here 0 or unset means {@link DiscoveryServer#DEFAULT_SEND_TIMEOUT},
   * so a stalled proxy never holds a push worker for good.
   */
  private java.time.Duration xdsSendTimeout() {
    java.time.Duration d =
        Main.envDuration(
            options::getenv, "PILOT_XDS_SEND_TIMEOUT", DiscoveryServer.DEFAULT_SEND_TIMEOUT);
    if (d.isNegative()) {
      throw new IllegalArgumentException("PILOT_XDS_SEND_TIMEOUT: must not be negative, got " + d);
    }
    return d.isZero() ? DiscoveryServer.DEFAULT_SEND_TIMEOUT : d;
  }
}

package io.jistiod.istiod.gatewayapi;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.VersionInfo;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Kubernetes side of {@link GatewayDeploymentController}: informers for what a Gateway's
 * deployment depends on (Gateways, GatewayClasses, Namespaces, ConfigMaps, the revision's tag
 * webhooks, with PILOT_ENABLE_ALPHA_GATEWAY_API the XListenerSets, and the objects it manages, so
 * an edited or deleted one is put back), each change queueing the Gateways it affects; and
 * server-side apply for the writes. Informers run only while this replica leads (see {@link
 * #start}). When the XListenerSet CRD is not installed at the lead, the API server is asked again
 * every {@code listenerSetRecheck} and the XListenerSets are watched once it serves them, as istiod
 * starts that informer whenever the CRD appears.
 */
final class KubeGatewayDeployments
    implements GatewayDeploymentController.Sources, GatewayDeploymentController.Writer {
  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(KubeGatewayDeployments.class);
  private static final String GATEWAY_API_VERSION = "gateway.networking.k8s.io/v1beta1";
  private static final String REV_LABEL = "istio.io/rev";
  private static final String TAG_LABEL = "istio.io/tag";
  // Named in full: fabric8 would otherwise look the kind up in the API server's discovery, which
  // fails (not with a 404) while the CRD is not installed.
  private static final io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext
      LISTENER_SETS =
          new io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext.Builder()
              .withGroup("gateway.networking.x-k8s.io")
              .withVersion("v1alpha1")
              .withKind("XListenerSet")
              .withPlural("xlistenersets")
              .withNamespaced(true)
              .build();

  private final KubernetesClient client;
  private final String systemNamespace;
  private final String revision;
  private final Predicate<String> discoveryNamespaces;
  private final List<SharedIndexInformer<?>> informers =
      java.util.Collections.synchronizedList(new ArrayList<>());
  private volatile boolean stopped;
  private SharedIndexInformer<Gateway> gateways;
  private SharedIndexInformer<GatewayClass> classes;
  private SharedIndexInformer<Namespace> namespaces;
  private SharedIndexInformer<ConfigMap> configMaps;
  private SharedIndexInformer<MutatingWebhookConfiguration> tagWebhooks;
  private final boolean listenerSetsEnabled;
  private final java.time.Duration listenerSetRecheck;
  private volatile SharedIndexInformer<GenericKubernetesResource> listenerSets;
  // while leading without the XListenerSet CRD: asks again until it is served
  private java.util.concurrent.ScheduledExecutorService listenerSetCrdCheck;
  // what a late XListenerSet informer queues into; set while its CRD is awaited
  private java.util.function.BiConsumer<String, String> pendingListenerSets;

  /**
   * @param listenerSets PILOT_ENABLE_ALPHA_GATEWAY_API: XListenerSets add their listeners' ports to
   *     their parent Gateway's Service
   */
  KubeGatewayDeployments(
      KubernetesClient client,
      String systemNamespace,
      String revision,
      Predicate<String> discoveryNamespaces,
      boolean listenerSets) {
    this(
        client,
        systemNamespace,
        revision,
        discoveryNamespaces,
        listenerSets,
        java.time.Duration.ofSeconds(5));
  }

  /** As above, asking for a missing XListenerSet CRD every {@code listenerSetRecheck}. */
  KubeGatewayDeployments(
      KubernetesClient client,
      String systemNamespace,
      String revision,
      Predicate<String> discoveryNamespaces,
      boolean listenerSets,
      java.time.Duration listenerSetRecheck) {
    this.listenerSetRecheck = Objects.requireNonNull(listenerSetRecheck, "listenerSetRecheck");
    this.client = Objects.requireNonNull(client, "client");
    this.systemNamespace = systemNamespace;
    this.revision = revision == null ? "" : revision;
    this.discoveryNamespaces = discoveryNamespaces;
    this.listenerSetsEnabled = listenerSets;
  }

  /** The API server's version as istiod's templates see it: 1.30 is 130, -1 if unknown. */
  static int kubeVersion(VersionInfo v) {
    if (v == null) {
      return -1;
    }
    try {
      return Integer.parseInt(v.getMajor() + v.getMinor());
    } catch (NumberFormatException e) {
      Matcher m = Pattern.compile("^v?(\\d+)\\.(\\d+)").matcher(String.valueOf(v.getGitVersion()));
      return m.find() ? Integer.parseInt(m.group(1) + m.group(2)) : -1;
    }
  }

  int kubeVersion() {
    try {
      return kubeVersion(client.getKubernetesVersion());
    } catch (RuntimeException e) {
      return -1;
    }
  }

  /**
   * Whether the Gateway API's Gateway kind is served (its CRD installed): a list of at most one
   * object, which the read access istiod already has allows, answers 404 when it is not.
   */
  boolean gatewayCrdInstalled() {
    return served(client, Gateway.class);
  }

  static boolean served(KubernetesClient client, Class<? extends HasMetadata> kind) {
    return served(() -> client.resources(kind).inAnyNamespace().list(FIRST_ONLY));
  }

  private static final io.fabric8.kubernetes.api.model.ListOptions FIRST_ONLY =
      new io.fabric8.kubernetes.api.model.ListOptionsBuilder().withLimit(1L).build();

  /** Whether {@code list} (of at most one object) finds the kind served: false on a 404. */
  private static boolean served(Runnable list) {
    try {
      list.run();
      return true;
    } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
      if (e.getCode() == 404) {
        return false;
      }
      throw e;
    }
  }

  /**
   * Starts the informers; {@code enqueue} gets the namespace and name of each Gateway to reconcile
   * ({@code all} when every Gateway may be affected). Returns once they have synced.
   */
  void start(java.util.function.BiConsumer<String, String> enqueue) {
    stopped = false;
    Runnable all = () -> gatewaysWhere(g -> true).forEach(g -> enqueue.accept(ns(g), name(g)));
    gateways =
        inform(
            client.resources(Gateway.class).inAnyNamespace().runnableInformer(0),
            new ResourceEventHandler<>() {
              @Override
              public void onAdd(Gateway g) {
                enqueue.accept(ns(g), name(g));
              }

              @Override
              public void onUpdate(Gateway old, Gateway g) {
                // status writes (attached routes...) change none of these: no reconcile for them
                if (!Objects.equals(
                        old.getMetadata().getGeneration(), g.getMetadata().getGeneration())
                    || !Objects.equals(old.getMetadata().getLabels(), g.getMetadata().getLabels())
                    || !Objects.equals(
                        old.getMetadata().getAnnotations(), g.getMetadata().getAnnotations())) {
                  enqueue.accept(ns(g), name(g));
                }
              }

              @Override
              public void onDelete(Gateway g, boolean unknown) {}
            });
    boolean awaitListenerSetCrd = false;
    if (listenerSetsEnabled) {
      if (listenerSetsServed()) {
        listenerSets = inform(listenerSetInformer(), listenerSetHandler(enqueue));
      } else {
        awaitListenerSetCrd = true; // asked again once the others run
      }
    }
    classes =
        inform(
            client.resources(GatewayClass.class).runnableInformer(0),
            handler(
                c ->
                    gatewaysWhere(g -> name(c).equals(g.getSpec().getGatewayClassName()))
                        .forEach(g -> enqueue.accept(ns(g), name(g)))));
    namespaces =
        inform(
            client.namespaces().runnableInformer(0),
            handler(
                n ->
                    gatewaysWhere(g -> name(n).equals(ns(g)))
                        .forEach(g -> enqueue.accept(ns(g), name(g)))));
    configMaps =
        inform(
            client.configMaps().inAnyNamespace().runnableInformer(0),
            handler(
                cm -> {
                  for (Gateway g : gatewaysWhere(g -> ns(g).equals(ns(cm)))) {
                    var infra = g.getSpec().getInfrastructure();
                    if (infra != null
                        && infra.getParametersRef() != null
                        && name(cm).equals(infra.getParametersRef().getName())) {
                      enqueue.accept(ns(g), name(g));
                    }
                  }
                  String forClass =
                      labels(cm).get(GatewayDeploymentController.CLASS_DEFAULTS_LABEL);
                  if (forClass != null && systemNamespace.equals(ns(cm))) {
                    gatewaysWhere(g -> forClass.equals(g.getSpec().getGatewayClassName()))
                        .forEach(g -> enqueue.accept(ns(g), name(g)));
                  }
                }));
    tagWebhooks =
        inform(
            client
                .admissionRegistration()
                .v1()
                .mutatingWebhookConfigurations()
                .withLabel(TAG_LABEL)
                .runnableInformer(0),
            handler(w -> all.run()));
    ResourceEventHandler<HasMetadata> owners = handler(o -> enqueueOwner(o, enqueue));
    String managed = GatewayDeploymentController.MANAGED_LABEL;
    inform(
        client.apps().deployments().inAnyNamespace().withLabel(managed).runnableInformer(0),
        owners);
    inform(client.services().inAnyNamespace().withLabel(managed).runnableInformer(0), owners);
    inform(
        client.serviceAccounts().inAnyNamespace().withLabel(managed).runnableInformer(0), owners);
    inform(
        client
            .autoscaling()
            .v2()
            .horizontalPodAutoscalers()
            .inAnyNamespace()
            .withLabel(managed)
            .runnableInformer(0),
        owners);
    inform(
        client
            .policy()
            .v1()
            .podDisruptionBudget()
            .inAnyNamespace()
            .withLabel(managed)
            .runnableInformer(0),
        owners);
    for (SharedIndexInformer<?> i : List.copyOf(informers)) {
      if (stopped) {
        stop(); // lost the lead while starting: close what was added since
        return;
      }
      i.start().toCompletableFuture().join();
    }
    if (awaitListenerSetCrd) {
      awaitListenerSetCrd(enqueue);
    }
  }

  private SharedIndexInformer<GenericKubernetesResource> listenerSetInformer() {
    return client.genericKubernetesResources(LISTENER_SETS).inAnyNamespace().runnableInformer(0);
  }

  /** Each XListenerSet added, changed or deleted queues its parent Gateway (both, if it moved). */
  private static ResourceEventHandler<GenericKubernetesResource> listenerSetHandler(
      java.util.function.BiConsumer<String, String> enqueue) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(GenericKubernetesResource s) {
        enqueueParent(s, enqueue);
      }

      @Override
      public void onUpdate(GenericKubernetesResource old, GenericKubernetesResource s) {
        enqueueParent(old, enqueue);
        enqueueParent(s, enqueue);
      }

      @Override
      public void onDelete(GenericKubernetesResource s, boolean unknown) {
        enqueueParent(s, enqueue);
      }
    };
  }

  /**
   * Asks every {@link #listenerSetRecheck} whether XListenerSets are served, until {@link
   * #watchListenerSetsIfServed} starts their informer. Nothing starts once the lead is lost.
   */
  private void awaitListenerSetCrd(java.util.function.BiConsumer<String, String> enqueue) {
    java.util.concurrent.ScheduledExecutorService check =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "gateway-deployment-listenerset-crd");
              t.setDaemon(true);
              return t;
            });
    synchronized (informers) {
      if (stopped) {
        check.shutdown();
        return;
      }
      listenerSetCrdCheck = check;
      pendingListenerSets = enqueue;
    }
    long every = listenerSetRecheck.toMillis();
    check.scheduleWithFixedDelay(
        () -> {
          if (watchListenerSetsIfServed()) {
            check.shutdown(); // this run is the last
          }
        },
        every,
        every,
        java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /**
   * One check for the XListenerSet CRD while leading without it: when the API server serves the
   * kind now, starts its informer (whose first list queues the Gateways the existing ones attach
   * to). Returns whether the informer was started; false when still not served, when nothing waits
   * for the CRD (served at the lead, flag off) or when the lead was lost.
   */
  boolean watchListenerSetsIfServed() {
    java.util.function.BiConsumer<String, String> enqueue;
    synchronized (informers) {
      enqueue = pendingListenerSets;
    }
    if (enqueue == null) {
      return false;
    }
    try {
      if (!listenerSetsServed()) {
        return false;
      }
    } catch (RuntimeException e) {
      log.debug("gateway deployment: cannot ask for XListenerSets: {}", e.toString());
      return false;
    }
    SharedIndexInformer<GenericKubernetesResource> i;
    synchronized (informers) {
      if (stopped || pendingListenerSets == null) {
        return false;
      }
      i = inform(listenerSetInformer(), listenerSetHandler(enqueue));
      listenerSets = i;
      pendingListenerSets = null;
      listenerSetCrdCheck = null;
    }
    log.info("gateway deployment: XListenerSets are served now; watching them");
    try {
      i.start();
    } catch (RuntimeException e) {
      // closed by a stop that came in between: nothing to watch any more
      log.debug("gateway deployment: XListenerSet informer not started: {}", e.toString());
    }
    return true;
  }

  private boolean listenerSetsServed() {
    return served(
        () -> client.genericKubernetesResources(LISTENER_SETS).inAnyNamespace().list(FIRST_ONLY));
  }

  /** The Gateway an XListenerSet names as parent: {@code namespace/name}. */
  static String listenerSetParent(GenericKubernetesResource set) {
    Object spec = set.getAdditionalProperties().get("spec");
    Object ref = spec instanceof Map<?, ?> m ? m.get("parentRef") : null;
    if (!(ref instanceof Map<?, ?> r) || r.get("name") == null) {
      return null;
    }
    Object ns = r.get("namespace");
    return (ns == null ? ns(set) : String.valueOf(ns)) + "/" + r.get("name");
  }

  private static void enqueueParent(
      GenericKubernetesResource set, java.util.function.BiConsumer<String, String> enqueue) {
    String parent = listenerSetParent(set);
    if (parent != null) {
      int slash = parent.indexOf('/');
      enqueue.accept(parent.substring(0, slash), parent.substring(slash + 1));
    }
  }

  @SuppressWarnings("unchecked")
  private <T extends HasMetadata> SharedIndexInformer<T> inform(
      SharedIndexInformer<? extends T> informer, ResourceEventHandler<? super T> handler) {
    SharedIndexInformer<T> i = (SharedIndexInformer<T>) informer;
    i.addEventHandler((ResourceEventHandler<T>) handler);
    informers.add(i);
    return i;
  }

  private static <T extends HasMetadata> ResourceEventHandler<T> handler(
      java.util.function.Consumer<T> changed) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T o) {
        changed.accept(o);
      }

      @Override
      public void onUpdate(T old, T o) {
        changed.accept(o);
      }

      @Override
      public void onDelete(T o, boolean unknown) {
        changed.accept(o);
      }
    };
  }

  private static void enqueueOwner(
      HasMetadata o, java.util.function.BiConsumer<String, String> enqueue) {
    List<OwnerReference> refs = o.getMetadata().getOwnerReferences();
    if (refs == null) {
      return;
    }
    for (OwnerReference r : refs) {
      if ("Gateway".equals(r.getKind())
          && r.getApiVersion() != null
          && r.getApiVersion().startsWith("gateway.networking.k8s.io/")) {
        enqueue.accept(ns(o), r.getName());
      }
    }
  }

  List<Gateway> gatewaysWhere(Predicate<Gateway> p) {
    if (gateways == null) {
      return List.of();
    }
    List<Gateway> out = new ArrayList<>();
    for (Gateway g : gateways.getStore().list()) {
      if (g.getSpec() != null && discoveryNamespaces.test(ns(g)) && p.test(g)) {
        out.add(g);
      }
    }
    return out;
  }

  /**
   * Stops the informers. Their watches are closed on a thread of their own: losing the lead (or
   * istiod stopping) must not wait for them, since the leases istiod releases after this one are
   * what other replicas wait for.
   */
  void stop() {
    List<SharedIndexInformer<?>> closing;
    synchronized (informers) {
      stopped = true;
      if (listenerSetCrdCheck != null) {
        listenerSetCrdCheck.shutdownNow();
        listenerSetCrdCheck = null;
      }
      pendingListenerSets = null;
      closing = new ArrayList<>(informers);
      informers.clear();
    }
    gateways = null;
    listenerSets = null;
    Thread t =
        new Thread(
            () -> {
              for (SharedIndexInformer<?> i : closing) {
                i.close();
              }
            },
            "gateway-deployment-stop");
    t.setDaemon(true);
    t.start();
  }

  // --- Sources

  @Override
  public Optional<Gateway> gateway(String namespace, String name) {
    if (gateways == null || !discoveryNamespaces.test(namespace)) {
      return Optional.empty();
    }
    return Optional.ofNullable(
        gateways.getStore().getByKey(Cache.namespaceKeyFunc(namespace, name)));
  }

  @Override
  public Optional<GatewayClass> gatewayClass(String name) {
    return Optional.ofNullable(classes.getStore().getByKey(name));
  }

  @Override
  public Optional<Namespace> namespace(String name) {
    return Optional.ofNullable(namespaces.getStore().getByKey(name));
  }

  @Override
  public Optional<ConfigMap> configMap(String namespace, String name) {
    return Optional.ofNullable(
        configMaps.getStore().getByKey(Cache.namespaceKeyFunc(namespace, name)));
  }

  @Override
  public List<ConfigMap> classDefaults(String className) {
    List<ConfigMap> out = new ArrayList<>();
    for (ConfigMap cm : configMaps.getStore().list()) {
      if (systemNamespace.equals(ns(cm))
          && className.equals(labels(cm).get(GatewayDeploymentController.CLASS_DEFAULTS_LABEL))) {
        out.add(cm);
      }
    }
    return out;
  }

  /**
   * istiod's tag watcher: the Gateway's istio.io/rev label, else its namespace's; ours when it is
   * our revision or one of the tags pointing at it (webhooks labelled istio.io/tag), or when there
   * is none and "default" is among those.
   */
  @Override
  public boolean isMine(Gateway gw) {
    String selected = labels(gw).get(REV_LABEL);
    if (selected == null) {
      Namespace n = namespaces.getStore().getByKey(ns(gw));
      if (n == null) {
        return true;
      }
      selected = labels(n).getOrDefault(REV_LABEL, "");
    }
    Set<String> mine = new HashSet<>();
    mine.add(revision);
    for (MutatingWebhookConfiguration w : tagWebhooks.getStore().list()) {
      if (revision.equals(labels(w).get(REV_LABEL))) {
        mine.add(labels(w).getOrDefault(TAG_LABEL, ""));
      }
    }
    return mine.contains(selected) || (selected.isEmpty() && mine.contains("default"));
  }

  @Override
  public List<GenericKubernetesResource> listenerSets(String namespace, String name) {
    SharedIndexInformer<GenericKubernetesResource> sets = listenerSets;
    if (sets == null) {
      return List.of();
    }
    String parent = namespace + "/" + name;
    List<GenericKubernetesResource> out = new ArrayList<>();
    for (GenericKubernetesResource s : sets.getStore().list()) {
      if (discoveryNamespaces.test(ns(s)) && parent.equals(listenerSetParent(s))) {
        out.add(s);
      }
    }
    return out;
  }

  // --- Writer

  @Override
  public Optional<String> manageable(
      String apiVersion, String kind, String namespace, String name) {
    GenericKubernetesResource existing =
        client
            .genericKubernetesResources(apiVersion, kind)
            .inNamespace(namespace)
            .withName(name)
            .get();
    if (existing == null) {
      return Optional.empty();
    }
    if (!labels(existing).containsKey(GatewayDeploymentController.MANAGED_LABEL)) {
      return null;
    }
    return Optional.of(existing.getMetadata().getResourceVersion());
  }

  @Override
  public Optional<Map<String, String>> deploymentSelector(String namespace, String name) {
    var d = client.apps().deployments().inNamespace(namespace).withName(name).get();
    if (d == null || d.getSpec() == null || d.getSpec().getSelector() == null) {
      return Optional.empty();
    }
    return Optional.ofNullable(d.getSpec().getSelector().getMatchLabels());
  }

  private static PatchContext serverSideApply() {
    return new PatchContext.Builder()
        .withPatchType(PatchType.SERVER_SIDE_APPLY)
        .withFieldManager(GatewayDeploymentController.FIELD_MANAGER)
        .withForce(true)
        .build();
  }

  @Override
  public void apply(ObjectNode object) {
    // a server-side apply of the whole object, which creates it when it does not exist. The
    // patch is the object as rendered: through fabric8's ObjectMeta an empty map (annotations: {})
    // would be dropped, and the API server records in managedFields that istiod owns the empty
    // maps it applies. The typed copy only names the resource (and spares a read of it).
    GenericKubernetesResource r =
        io.fabric8.kubernetes.client.utils.Serialization.unmarshal(
            object.toString(), GenericKubernetesResource.class);
    client.resource(r).patch(serverSideApply(), object.toString());
  }

  /** Through the status subresource, as istiod: status write access is all it needs. */
  @Override
  public void writeControllerVersion(Gateway gw, int version) {
    String patch =
        "{\"apiVersion\":\""
            + GATEWAY_API_VERSION
            + "\",\"kind\":\"Gateway\",\"metadata\":{\"annotations\":{\""
            + GatewayDeploymentInputs.CONTROLLER_VERSION
            + "\":\""
            + version
            + "\"}}}";
    client
        .genericKubernetesResources(GATEWAY_API_VERSION, "Gateway")
        .inNamespace(ns(gw))
        .withName(name(gw))
        .subresource("status")
        .patch(serverSideApply(), patch);
  }

  private static String ns(HasMetadata o) {
    return o.getMetadata().getNamespace() == null ? "" : o.getMetadata().getNamespace();
  }

  private static String name(HasMetadata o) {
    return o.getMetadata().getName();
  }

  private static Map<String, String> labels(HasMetadata o) {
    return o.getMetadata().getLabels() == null ? Map.of() : o.getMetadata().getLabels();
  }
}

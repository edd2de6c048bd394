package io.jistiod.citadel.k8s;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.jistiod.citadel.pki.CaKeyMaterial;
import io.jistiod.citadel.pki.CaKeyMaterialHolder;
import java.net.HttpURLConnection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes the CA's root bundle as ConfigMap {@code istio-ca-root-cert} (key {@code
 * root-cert.pem}, label {@code istio.io/config: "true"}) in every namespace, which is where
 * pilot-agent's injected volume reads the roots it trusts istiod with, as Istio's namespace
 * controller does.
 *
 * <p>A namespace is reconciled when it appears, when its ConfigMap is added, edited or deleted by
 * anyone, and when the roots change; each time the ConfigMap is created or made to hold exactly the
 * current bundle. Skipped: {@code kube-public}, {@code kube-node-lease}, {@code
 * local-path-storage}, and terminating namespaces (the API server refuses writes there).
 *
 * <p>Threads: informers only enqueue namespace names; one worker thread reconciles, so there is a
 * single writer, and a namespace queued several times before the worker reaches it is reconciled
 * once. A failed write is retried with backoff (0.2 s doubling to 30 s) until it succeeds.
 */
public final class RootCertPublisher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RootCertPublisher.class);

  public static final String CONFIG_MAP_NAME = "istio-ca-root-cert";
  public static final String DATA_KEY = "root-cert.pem";
  public static final String LABEL_KEY = "istio.io/config";
  public static final String LABEL_VALUE = "true";

  /** The namespaces Istio's namespace controller skips; kube-system is not among them. */
  public static final Set<String> EXCLUDED_NAMESPACES =
      Set.of("kube-public", "kube-node-lease", "local-path-storage");

  private static final long FIRST_RETRY_MILLIS = 200;
  private static final long MAX_RETRY_MILLIS = 30_000;
  private static final String NAMESPACE_TERMINATING_CAUSE = "NamespaceTerminating";

  private final KubernetesClient client;
  private final CaKeyMaterialHolder roots;
  private final ScheduledExecutorService worker;
  private final Set<String> queued = ConcurrentHashMap.newKeySet();
  private final Map<String, Integer> failures = new HashMap<>(); // worker thread only
  private final Consumer<CaKeyMaterial> onRootsChanged = material -> enqueueAll();
  private volatile SharedIndexInformer<Namespace> namespaces;
  private volatile SharedIndexInformer<ConfigMap> configMaps;

  public RootCertPublisher(KubernetesClient client, CaKeyMaterialHolder roots) {
    this.client = Objects.requireNonNull(client, "client");
    this.roots = Objects.requireNonNull(roots, "roots");
    this.worker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "root-cert-publisher");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Starts the informers (blocking until their first lists are in) and publishes to every
   * namespace.
   */
  public void start() {
    configMaps =
        client
            .configMaps()
            .inAnyNamespace()
            .withField("metadata.name", CONFIG_MAP_NAME)
            .inform(configMapHandler(), 0);
    namespaces = client.namespaces().inform(namespaceHandler(), 0);
    roots.addListener(onRootsChanged);
    enqueueAll();
  }

  /** Whether both informers have their first lists. */
  public boolean hasSynced() {
    return namespaces != null
        && configMaps != null
        && namespaces.hasSynced()
        && configMaps.hasSynced();
  }

  private ResourceEventHandler<Namespace> namespaceHandler() {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(Namespace ns) {
        enqueue(ns.getMetadata().getName());
      }

      @Override
      public void onUpdate(Namespace oldNs, Namespace newNs) {}

      @Override
      public void onDelete(Namespace ns, boolean deletedFinalStateUnknown) {}
    };
  }

  private ResourceEventHandler<ConfigMap> configMapHandler() {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(ConfigMap cm) {
        changed(cm);
      }

      @Override
      public void onUpdate(ConfigMap oldCm, ConfigMap newCm) {
        changed(newCm);
      }

      @Override
      public void onDelete(ConfigMap cm, boolean deletedFinalStateUnknown) {
        changed(cm);
      }

      private void changed(ConfigMap cm) {
        // The field selector already filters; the check keeps a server without it harmless.
        if (CONFIG_MAP_NAME.equals(cm.getMetadata().getName())) {
          enqueue(cm.getMetadata().getNamespace());
        }
      }
    };
  }

  private void enqueueAll() {
    if (namespaces == null) {
      return;
    }
    for (String name : namespaces.getIndexer().listKeys()) {
      enqueue(name);
    }
  }

  private void enqueue(String namespace) {
    if (namespace == null || !queued.add(namespace)) {
      return;
    }
    try {
      worker.execute(() -> process(namespace));
    } catch (RejectedExecutionException e) {
      queued.remove(namespace); // closed
    }
  }

  private void process(String namespace) {
    // Dequeue first: a change arriving while this runs queues another pass.
    queued.remove(namespace);
    try {
      reconcile(namespace);
      failures.remove(namespace);
    } catch (RuntimeException e) {
      int attempt = failures.merge(namespace, 1, Integer::sum);
      long delay = Math.min(MAX_RETRY_MILLIS, FIRST_RETRY_MILLIS << Math.min(attempt - 1, 20));
      log.warn(
          "cannot publish {} to namespace {} (attempt {}), retrying in {} ms: {}",
          CONFIG_MAP_NAME,
          namespace,
          attempt,
          delay,
          e.getMessage());
      try {
        worker.schedule(() -> enqueue(namespace), delay, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException closed) {
        // shutting down
      }
    }
  }

  /** Makes {@code namespace}'s ConfigMap hold the current bundle; throws to be retried. */
  void reconcile(String namespace) {
    String bundle = roots.current().map(CaKeyMaterial::rootBundlePem).orElse(null);
    if (bundle == null || EXCLUDED_NAMESPACES.contains(namespace)) {
      return;
    }
    if (namespaces == null || configMaps == null) {
      return; // still starting: start() queues every namespace once both informers run
    }
    Namespace ns = namespaces.getIndexer().getByKey(namespace);
    if (ns == null || terminating(ns)) {
      return;
    }
    ConfigMap cached = configMaps.getIndexer().getByKey(namespace + "/" + CONFIG_MAP_NAME);
    if (cached == null) {
      create(namespace, bundle);
    } else if (!upToDate(cached, bundle)) {
      update(cached, bundle);
    }
  }

  private void create(String namespace, String bundle) {
    ConfigMap cm =
        new ConfigMapBuilder()
            .withNewMetadata()
            .withName(CONFIG_MAP_NAME)
            .withNamespace(namespace)
            .withLabels(Map.of(LABEL_KEY, LABEL_VALUE))
            .endMetadata()
            .withData(Map.of(DATA_KEY, bundle))
            .build();
    try {
      client.configMaps().inNamespace(namespace).resource(cm).create();
      log.info("created {}/{}", namespace, CONFIG_MAP_NAME);
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        // The informer has not seen it yet; look at the live object instead.
        ConfigMap live = client.configMaps().inNamespace(namespace).withName(CONFIG_MAP_NAME).get();
        if (live != null && !upToDate(live, bundle)) {
          update(live, bundle);
        }
        return;
      }
      if (gone(e)) {
        log.debug("namespace {} is going away; not publishing {}", namespace, CONFIG_MAP_NAME);
        return;
      }
      if (e.getCode() == HttpURLConnection.HTTP_FORBIDDEN) {
        // The reason says whose RBAC refused what, so a missing rule is seen, not hidden.
        log.info(
            "not allowed to write {}/{}; skipping: {}", namespace, CONFIG_MAP_NAME, e.getMessage());
        return;
      }
      throw e;
    }
  }

  private void update(ConfigMap current, String bundle) {
    Map<String, String> labels =
        new LinkedHashMap<>(
            current.getMetadata().getLabels() == null
                ? Map.of()
                : current.getMetadata().getLabels());
    labels.put(LABEL_KEY, LABEL_VALUE);
    ConfigMap desired =
        new ConfigMapBuilder(current)
            .editMetadata()
            .withLabels(labels)
            .endMetadata()
            .withData(Map.of(DATA_KEY, bundle))
            .withBinaryData(null)
            .build();
    try {
      // Carries the cached resourceVersion: a concurrent change makes this fail and retry.
      client
          .configMaps()
          .inNamespace(current.getMetadata().getNamespace())
          .resource(desired)
          .update();
      log.info("updated {}/{}", current.getMetadata().getNamespace(), CONFIG_MAP_NAME);
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
        create(current.getMetadata().getNamespace(), bundle);
        return;
      }
      if (gone(e)) {
        return;
      }
      throw e;
    }
  }

  static boolean upToDate(ConfigMap cm, String bundle) {
    Map<String, String> labels = cm.getMetadata().getLabels();
    return Map.of(DATA_KEY, bundle).equals(cm.getData())
        && (cm.getBinaryData() == null || cm.getBinaryData().isEmpty())
        && labels != null
        && LABEL_VALUE.equals(labels.get(LABEL_KEY));
  }

  private static boolean terminating(Namespace ns) {
    return ns.getMetadata().getDeletionTimestamp() != null
        || (ns.getStatus() != null && "Terminating".equals(ns.getStatus().getPhase()));
  }

  /** The namespace is terminating or deleted: writing there can never succeed. */
  private static boolean gone(KubernetesClientException e) {
    Status status = e.getStatus();
    if (status != null && status.getDetails() != null && status.getDetails().getCauses() != null) {
      for (StatusCause cause : status.getDetails().getCauses()) {
        if (NAMESPACE_TERMINATING_CAUSE.equals(cause.getReason())) {
          return true;
        }
      }
    }
    return e.getCode() == HttpURLConnection.HTTP_NOT_FOUND
        && status != null
        && status.getDetails() != null
        && "namespaces".equals(status.getDetails().getKind());
  }

  @Override
  public void close() {
    roots.removeListener(onRootsChanged);
    worker.shutdownNow();
    if (configMaps != null) {
      configMaps.stop();
    }
    if (namespaces != null) {
      namespaces.stop();
    }
  }
}

package io.jistiod.galley.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.google.protobuf.Message;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.ConfigEvent;
import io.jistiod.galley.config.ConfigEventHandler;
import io.jistiod.galley.config.ConfigKey;
import io.jistiod.galley.config.ConfigKind;
import io.jistiod.galley.config.ConfigMeta;
import io.jistiod.galley.config.ConfigStore;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.config.MemoryConfigStore;
import io.jistiod.galley.parse.ProtoJsonReader;
import io.jistiod.galley.parse.SpecConversionException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Config from a Kubernetes API server (Istio's kinds and the Gateway API's): one fabric8 informer
 * per kind (in every namespace, or cluster-wide for cluster-scoped kinds, on the kind's preferred
 * version, which the API server converts to from any version it was written in), each object turned
 * into an immutable {@link Config} once per resource version.
 *
 * <ul>
 *   <li>Handlers hear only content changes (spec, labels, annotations): a resync, a status-only
 *       update or a re-list reports nothing.
 *   <li>An object whose spec does not fit its message is logged with its kind, namespace/name and
 *       field path and counted in {@code pilot_total_rejected_configs}; it never holds up other
 *       objects. If an earlier version of it was good, that version stays in effect until a good
 *       one replaces it or the object is deleted.
 *   <li>A kind whose CRD is not installed (the API server answers 404) counts as synced and empty;
 *       this is logged once, and the store checks again every {@code recheckInterval}, starting the
 *       kind's informer when the CRD appears.
 * </ul>
 *
 * <p>Threads: fabric8 delivers each informer's events on that informer's own serial executor; the
 * store funnels every change through a {@link MemoryConfigStore}, whose lock serializes them, so
 * handlers run one event at a time, in the order changes were applied, on an informer thread (they
 * must not block for long). Reads ({@link #list}, {@link #get}) are lock-free and may run on any
 * thread. Re-checks of missing CRDs run on one daemon thread of the store's own.
 */
public final class KubernetesConfigStore implements ConfigStore, AutoCloseable {
  private static final String CFG_EVENTS = "pilot_k8s_cfg_events";
  private static final String CFG_EVENTS_HELP = "Events from k8s config.";

  private static final Logger log = LoggerFactory.getLogger(KubernetesConfigStore.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  static final Duration DEFAULT_RECHECK = Duration.ofSeconds(30);

  private final KubernetesClient client;
  private final List<ConfigKind> kinds;
  private final MeterRegistry registry;
  private final Duration recheckInterval;
  private final MemoryConfigStore store = new MemoryConfigStore();
  private final Map<ConfigKind, KindWatch> watches = new LinkedHashMap<>();
  private volatile ScheduledExecutorService scheduler;
  private volatile boolean started;
  private volatile boolean closed;

  /** Every kind in {@link IstioKinds#ALL}, without metrics. */
  public KubernetesConfigStore(KubernetesClient client) {
    this(client, IstioKinds.ALL, null);
  }

  /**
   * @param client the API server to read; the store does not close it
   * @param kinds the kinds to watch
   * @param registry where {@code pilot_total_rejected_configs} and {@code pilot_k8s_cfg_events} are
   *     counted; null for none
   */
  public KubernetesConfigStore(
      KubernetesClient client, List<ConfigKind> kinds, MeterRegistry registry) {
    this(client, kinds, registry, DEFAULT_RECHECK);
  }

  KubernetesConfigStore(
      KubernetesClient client,
      List<ConfigKind> kinds,
      MeterRegistry registry,
      Duration recheckInterval) {
    this.client = Objects.requireNonNull(client, "client");
    this.kinds = List.copyOf(kinds);
    this.registry = registry;
    this.recheckInterval = recheckInterval;
    for (ConfigKind kind : this.kinds) {
      watches.put(kind, new KindWatch(kind));
    }
    // Istio's pilot dashboard graphs these; every kind and event is known up front, so each series
    // exists from the start at 0 rather than appearing on its first event. istiod counts only its
    // own CRD client's kinds (its Gateway API informers count nothing), and a Gateway API Gateway
    // would otherwise add to the Istio Gateway's series.
    if (registry != null) {
      for (ConfigKind kind : this.kinds) {
        if (!IstioKinds.ALL.contains(kind)) {
          continue;
        }
        for (ConfigEvent.Type type : ConfigEvent.Type.values()) {
          Counter.builder(CFG_EVENTS)
              .description(CFG_EVENTS_HELP)
              .tags("type", kind.kind(), "event", type.name().toLowerCase(Locale.ROOT))
              .register(registry);
        }
      }
    }
    store.addHandler(
        event -> {
          if (IstioKinds.ALL.contains(event.key().kind())) {
            count(
                CFG_EVENTS,
                CFG_EVENTS_HELP,
                "type",
                event.key().kind().kind(),
                "event",
                event.type().name().toLowerCase(Locale.ROOT));
          }
        });
  }

  /**
   * Starts watching every kind; returns at once. {@link #hasSynced()} turns true when every kind
   * has its initial list (or is known not to be installed).
   */
  public synchronized void start() {
    if (started || closed) {
      return;
    }
    scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "kube-config-store");
              t.setDaemon(true);
              return t;
            });
    started = true;
    for (KindWatch w : watches.values()) {
      later(w::probe, 0);
    }
  }

  /** Runs {@code task} on the store's thread after {@code delayMillis}, unless closed. */
  private void later(Runnable task, long delayMillis) {
    var s = scheduler;
    if (closed || s == null) {
      return;
    }
    try {
      s.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // closed meanwhile
    }
  }

  @Override
  public boolean hasSynced() {
    if (!started) {
      return false;
    }
    for (KindWatch w : watches.values()) {
      if (!w.synced()) {
        return false;
      }
    }
    return true;
  }

  @Override
  public List<Config> list(ConfigKind kind, String namespace) {
    return store.list(kind, namespace);
  }

  @Override
  public Optional<Config> get(ConfigKind kind, String namespace, String name) {
    return store.get(kind, namespace, name);
  }

  @Override
  public void addHandler(ConfigEventHandler handler) {
    store.addHandler(handler);
  }

  /** The kinds this store watches. */
  public List<ConfigKind> kinds() {
    return kinds;
  }

  /** Stops every informer. The client stays open. */
  @Override
  public synchronized void close() {
    closed = true;
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
    for (KindWatch w : watches.values()) {
      w.stop();
    }
  }

  private void count(String name, String help, String... tags) {
    if (registry != null) {
      Counter.builder(name).description(help).tags(tags).register(registry).increment();
    }
  }

  private static boolean notFound(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof KubernetesClientException k && k.getCode() == 404) {
        return true;
      }
    }
    return false;
  }

  /** One kind: its informer, or the knowledge that its CRD is not installed. */
  private final class KindWatch implements ResourceEventHandler<GenericKubernetesResource> {
    private final ConfigKind kind;
    private final ResourceDefinitionContext context;

    /** The resource version last looked at per object, good or bad, so resyncs cost nothing. */
    private final Map<ConfigKey, String> seen = new ConcurrentHashMap<>();

    private volatile SharedIndexInformer<GenericKubernetesResource> informer;
    private volatile boolean absent;
    private volatile boolean initialListHandled;
    private boolean absenceLogged;

    KindWatch(ConfigKind kind) {
      this.kind = kind;
      this.context =
          new ResourceDefinitionContext.Builder()
              .withGroup(kind.group())
              .withVersion(kind.versions().get(0))
              .withKind(kind.kind())
              .withPlural(kind.plural())
              .withNamespaced(!kind.clusterScoped())
              .build();
    }

    boolean synced() {
      if (absent) {
        return true;
      }
      var i = informer;
      if (i == null || !i.hasSynced()) {
        return false;
      }
      if (initialListHandled) {
        return true;
      }
      // The informer reports its cache filled before its handler (this) has seen every object:
      // the store is synced once each object of the initial list is converted (or rejected).
      for (GenericKubernetesResource r : i.getStore().list()) {
        if (!seen.containsKey(key(r.getMetadata()))) {
          return false;
        }
      }
      initialListHandled = true;
      return true;
    }

    /** Asks whether the resource exists; starts the informer if so, else checks again later. */
    void probe() {
      if (closed) {
        return;
      }
      try {
        client
            .genericKubernetesResources(context)
            .inAnyNamespace()
            .list(new ListOptionsBuilder().withLimit(1L).build());
      } catch (KubernetesClientException e) {
        if (notFound(e)) {
          markAbsent();
          return;
        }
        // Anything else (no permission, API server unreachable): the informer retries and logs.
      } catch (RuntimeException e) {
        log.warn("{}: cannot list yet: {}", kind, e.toString());
      }
      startInformer();
    }

    private synchronized void markAbsent() {
      absent = true;
      if (!absenceLogged) {
        absenceLogged = true;
        log.info(
            "{} ({}/{}) is not served by the API server (CRD not installed?); treating it as empty"
                + " and checking again every {}",
            kind,
            kind.group(),
            context.getVersion(),
            recheckInterval.toMillis() % 1000 == 0
                ? recheckInterval.toSeconds() + "s"
                : recheckInterval.toMillis() + "ms");
      }
      later(this::probe, recheckInterval.toMillis());
    }

    private synchronized void startInformer() {
      if (closed || informer != null) {
        return;
      }
      var i = client.genericKubernetesResources(context).inAnyNamespace().runnableInformer(0);
      i.addEventHandler(this);
      i.exceptionHandler(
          (isStarted, t) -> {
            if (notFound(t)) {
              later(this::gone, 0);
              return false;
            }
            // Keep retrying, before the first list too: a control plane heals, it does not stop.
            return true;
          });
      initialListHandled = false;
      informer = i;
      i.start()
          .whenComplete(
              (ok, err) -> {
                if (err == null) {
                  if (absent) {
                    log.info("{} is served now; watching it", kind);
                  }
                  absent = false;
                  absenceLogged = false;
                }
              });
    }

    /** The resource went away (CRD deleted): drop its objects and wait for it to come back. */
    private void gone() {
      synchronized (this) {
        var i = informer;
        informer = null;
        if (i != null) {
          i.stop();
        }
      }
      for (Config c : store.list(kind, null)) {
        seen.remove(c.key());
        store.delete(c.key());
      }
      markAbsent();
    }

    synchronized void stop() {
      var i = informer;
      if (i != null) {
        i.stop();
      }
    }

    @Override
    public void onAdd(GenericKubernetesResource obj) {
      apply(obj, null);
    }

    @Override
    public void onUpdate(GenericKubernetesResource oldObj, GenericKubernetesResource newObj) {
      apply(newObj, oldObj);
    }

    @Override
    public void onDelete(GenericKubernetesResource obj, boolean deletedFinalStateUnknown) {
      ConfigKey key = key(obj.getMetadata());
      seen.remove(key);
      store.delete(key);
    }

    private ConfigKey key(ObjectMeta m) {
      return new ConfigKey(kind, m.getNamespace() == null ? "" : m.getNamespace(), m.getName());
    }

    private void apply(GenericKubernetesResource obj, GenericKubernetesResource previous) {
      ObjectMeta m = obj.getMetadata();
      ConfigKey key = key(m);
      String version = m.getResourceVersion() == null ? "" : m.getResourceVersion();
      if (!version.isEmpty() && version.equals(seen.get(key))) {
        return; // a resync or re-list of a version already handled
      }
      try {
        convertAndStore(obj, previous, m, key, version);
      } finally {
        seen.put(key, version); // handled, good or bad (see synced())
      }
    }

    private void convertAndStore(
        GenericKubernetesResource obj,
        GenericKubernetesResource previous,
        ObjectMeta m,
        ConfigKey key,
        String version) {
      ConfigMeta meta =
          new ConfigMeta(
              kind,
              m.getName(),
              key.namespace(),
              m.getLabels() == null ? Map.of() : m.getLabels(),
              m.getAnnotations() == null ? Map.of() : m.getAnnotations(),
              version,
              m.getGeneration() == null ? 0 : m.getGeneration(),
              ConfigMeta.parseTimestamp(m.getCreationTimestamp()));
      Object rawSpec = obj.getAdditionalProperties().get("spec");
      Message status = status(key, obj.getAdditionalProperties().get("status"));
      Config current = store.get(kind, key.namespace(), key.name()).orElse(null);
      if (current != null
          && previous != null
          && Objects.equals(rawSpec, previous.getAdditionalProperties().get("spec"))
          && specOf(previous, current)) {
        store.put(new Config(meta, current.spec(), status)); // same spec: no second conversion
        return;
      }
      Message spec;
      try {
        spec = convert(rawSpec);
      } catch (SpecConversionException e) {
        reject(key, e.path(), e.reason(), current != null);
        return;
      } catch (RuntimeException e) {
        reject(key, "spec", e.toString(), current != null);
        return;
      }
      store.put(new Config(meta, spec, status));
    }

    /**
     * The status of a kind whose status istiod reads (the Gateway API's), else null. Status is
     * controllers' output that istiod merges into, never a reason to drop the object: one that does
     * not fit its message is logged and read as absent.
     */
    private Message status(ConfigKey key, Object rawStatus) {
      if (kind.statusPrototype() == null || rawStatus == null) {
        return null;
      }
      Message.Builder builder = kind.statusPrototype().newBuilderForType();
      try {
        ProtoJsonReader.merge(JSON.valueToTree(rawStatus), builder, "status");
        return builder.build();
      } catch (SpecConversionException | RuntimeException e) {
        log.warn(
            "{} {}/{}: status ignored: {}",
            kind,
            key.namespace(),
            key.name(),
            e instanceof SpecConversionException s ? s.path() + ": " + s.reason() : e.toString());
        return null;
      }
    }

    /** Whether {@code current} was converted from {@code previous} (not an older good version). */
    private boolean specOf(GenericKubernetesResource previous, Config current) {
      String v = previous.getMetadata().getResourceVersion();
      return v != null && v.equals(current.meta().resourceVersion());
    }

    private Message convert(Object rawSpec) throws SpecConversionException {
      Message.Builder builder = kind.specPrototype().newBuilderForType();
      JsonNode json =
          rawSpec == null ? JsonNodeFactory.instance.objectNode() : JSON.valueToTree(rawSpec);
      ProtoJsonReader.merge(json, builder, "spec");
      return builder.build();
    }

    private void reject(ConfigKey key, String field, String reason, boolean keptPrevious) {
      log.warn(
          "{} {}/{} rejected: {}: {}{}",
          kind,
          key.namespace(),
          key.name(),
          field,
          reason,
          keptPrevious ? " (its last good version stays in effect)" : "");
      count(
          "pilot_total_rejected_configs",
          "Total number of configs that Pilot had to reject or ignore.",
          "type",
          kind.kind(),
          "name",
          key.namespace() + "/" + key.name());
    }
  }
}

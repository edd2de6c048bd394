package io.jistiod.istiod.autoregistration;

import com.google.protobuf.Timestamp;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.jistiod.galley.api.meta.v1alpha1.IstioCondition;
import io.jistiod.galley.api.meta.v1alpha1.IstioStatus;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.xds.StreamLifecycle;
import io.jistiod.pilot.xds.XdsCaller;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * istiod's WorkloadEntry controller for VMs, run by every istiod for the proxies connected to it
 * (no leader): a proxy naming a WorkloadGroup ({@code AUTO_REGISTER_GROUP}) gets a WorkloadEntry
 * built from the group when it connects, stamped with this istiod and the connect time; a proxy
 * naming an existing health-checked entry ({@code WORKLOAD_ENTRY}) takes control of it. When the
 * proxy's last stream ends the entry is stamped disconnected, and after the grace period, unless
 * the proxy came back (here or to another istiod, which then controls it), an auto-registered entry
 * is deleted and a health-checked one loses its Healthy condition. The agent's health reports
 * become that condition.
 *
 * <p>The entry is written through the API server, so the WorkloadEntry registry sees it like any
 * other. Connects are handled on the stream's thread, before it is served (a refusal ends it);
 * everything else runs on the {@link Scheduler}, retried a few times on failure.
 */
public final class WorkloadEntryController implements StreamLifecycle {
  private static final Logger log = LoggerFactory.getLogger(WorkloadEntryController.class);

  /** Attempts of a background step before it is dropped (istiod: 5, backing off from 5 ms). */
  static final int MAX_ATTEMPTS = 5;

  static final String HEALTHY = "Healthy";

  /**
   * The flags and durations istiod reads.
   *
   * @param autoRegistration PILOT_ENABLE_WORKLOAD_ENTRY_AUTOREGISTRATION
   * @param healthChecks PILOT_ENABLE_WORKLOAD_ENTRY_HEALTHCHECKS
   * @param gracePeriod PILOT_WORKLOAD_ENTRY_GRACE_PERIOD: how long a disconnected entry stays
   * @param validateIdentity ISTIO_WORKLOAD_ENTRY_VALIDATE_IDENTITY: a proxy may only control an
   *     entry of its own verified namespace and service account
   * @param maxConnectionAge an entry stamped connected for longer than this lost its istiod without
   *     a disconnect (istiod: 1.5 times the maximum xDS connection age)
   */
  public record Settings(
      boolean autoRegistration,
      boolean healthChecks,
      Duration gracePeriod,
      boolean validateIdentity,
      Duration maxConnectionAge) {
    /** istiod's defaults: both on, 10 s grace, identity validated, 30 min connections. */
    public static Settings defaults() {
      return new Settings(true, true, Duration.ofSeconds(10), true, Duration.ofMinutes(45));
    }

    public boolean enabled() {
      return autoRegistration || healthChecks;
    }
  }

  /** Runs background steps: one at a time, in order of their due time. */
  public interface Scheduler {
    void schedule(Duration delay, Runnable task);
  }

  /** What identifies one workload across its streams: istiod's proxy key. */
  private record ProxyKey(String network, String ip, String group, String namespace) {}

  /** A stream this controller accepted, and the entry it controls. */
  private record Tracked(
      String namespace,
      String entryName,
      boolean autoCreated,
      ProxyKey key,
      Instant connectedAt,
      String proxyId) {}

  private final String instance;
  private final WorkloadEntryApi api;
  private final Settings settings;
  private final Clock clock;
  private final Scheduler scheduler;

  private final Map<String, Tracked> streams = new HashMap<>();
  private final Map<ProxyKey, Set<String>> streamsByProxy = new HashMap<>();

  /**
   * @param instance this istiod's name (its pod), written as the entries' controller
   */
  public WorkloadEntryController(
      String instance, WorkloadEntryApi api, Settings settings, Clock clock, Scheduler scheduler) {
    this.instance = Objects.requireNonNull(instance, "instance");
    this.api = Objects.requireNonNull(api, "api");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
  }

  /**
   * Starts the periodic sweep (every ten grace periods) that removes the entries whose istiod went
   * away before it could: disconnected past the grace period, or connected for longer than any
   * connection lasts.
   */
  public void startPeriodicCleanup() {
    Duration every = settings.gracePeriod().multipliedBy(10);
    scheduler.schedule(
        every,
        () -> {
          try {
            sweep();
          } catch (RuntimeException e) {
            log.warn("periodic WorkloadEntry cleanup failed: {}", e.toString());
          }
          startPeriodicCleanup();
        });
  }

  void sweep() {
    for (EntryObject e : api.entries()) {
      if (shouldCleanup(e)) {
        cleanup(e, true);
      }
    }
  }

  // ---- connect

  @Override
  public void connected(Stream stream) {
    if (!settings.enabled()) {
      return;
    }
    Proxy proxy = stream.proxy();
    String namespace = proxy.metadata().namespace();
    Optional<String> group =
        settings.autoRegistration() ? AutoRegisteredEntries.groupOf(proxy) : Optional.empty();
    String entryName;
    boolean autoCreate;
    if (group.isPresent()) {
      Optional<String> name = AutoRegisteredEntries.name(proxy, group.get());
      if (name.isEmpty()) {
        log.error("auto-registration of {} failed: missing namespace", proxy.id());
        return;
      }
      entryName = name.get();
      autoCreate = true;
    } else if (settings.healthChecks() && !workloadEntryOf(proxy).isEmpty()) {
      String named = workloadEntryOf(proxy);
      EntryObject entry =
          api.entry(namespace, named)
              .orElseThrow(
                  () ->
                      refusal(
                          Status.UNKNOWN,
                          "proxy metadata indicates that it must correspond to an existing"
                              + " WorkloadEntry, however WorkloadEntry "
                              + namespace
                              + "/"
                              + named
                              + " is not found"));
      if (!entry.annotations().containsKey(WorkloadEntryAnnotations.HEALTH_CHECKS_ENABLED)) {
        return;
      }
      ensureCanControl(stream, entry);
      entryName = named;
      autoCreate = false;
    } else {
      return;
    }
    ProxyKey key =
        new ProxyKey(
            proxy.metadata().network(), proxy.ipAddresses().get(0), group.orElse(""), namespace);
    track(
        stream.connectionId(),
        new Tracked(namespace, entryName, autoCreate, key, stream.connectedAt(), proxy.id()));
    try {
      if (autoCreate) {
        register(entryName, group.get(), stream);
      } else if (toConnected(namespace, entryName, stream.connectedAt())) {
        log.info("updated health-checked WorkloadEntry {}/{}", namespace, entryName);
      }
    } catch (RuntimeException e) {
      untrack(stream.connectionId()); // the stream is refused: AdsService logs why
      throw e instanceof StatusRuntimeException s
          ? s
          : refusal(Status.UNKNOWN, e.getMessage() == null ? e.toString() : e.getMessage());
    }
  }

  /** The WORKLOAD_ENTRY metadata: the health-checked entry a proxy says it is. */
  private static String workloadEntryOf(Proxy proxy) {
    var v = proxy.metadata().raw().getFieldsMap().get("WORKLOAD_ENTRY");
    return v == null || !v.hasStringValue() ? "" : v.getStringValue();
  }

  private void register(String entryName, String group, Stream stream) {
    Proxy proxy = stream.proxy();
    String namespace = proxy.metadata().namespace();
    Optional<EntryObject> existing = api.entry(namespace, entryName);
    if (existing.isPresent()) {
      ensureCanControl(stream, existing.get());
      if (toConnected(namespace, entryName, stream.connectedAt())) {
        log.info("updated auto-registered WorkloadEntry {}/{} as connected", namespace, entryName);
      }
      return;
    }
    GroupObject g =
        api.group(namespace, group)
            .orElseThrow(
                () ->
                    refusal(
                        Status.FAILED_PRECONDITION,
                        "auto-registration WorkloadEntry of "
                            + proxy.id()
                            + " failed: cannot find WorkloadGroup "
                            + namespace
                            + "/"
                            + group));
    EntryObject entry =
        AutoRegisteredEntries.fromGroup(entryName, proxy, stream.nodeHasLocality(), g);
    ensureCanControl(stream, entry);
    Map<String, String> annotations = connectedStamps(entry.annotations(), stream.connectedAt());
    try {
      api.create(
          new EntryObject(
              entry.namespace(),
              entry.name(),
              entry.labels(),
              annotations,
              entry.owner(),
              entry.spec(),
              null,
              ""));
    } catch (RuntimeException e) {
      throw refusal(
          Status.UNKNOWN,
          "auto-registration WorkloadEntry of "
              + proxy.id()
              + " failed: error creating WorkloadEntry: "
              + e.getMessage());
    }
    log.info(
        "auto-registered WorkloadEntry {}/{}{}",
        namespace,
        entryName,
        annotations.containsKey(WorkloadEntryAnnotations.HEALTH_CHECKS_ENABLED)
            ? " with health checking enabled"
            : "");
  }

  /**
   * Stamps the entry connected to this istiod at {@code connectedAt}, unless a later disconnect or
   * connect was already written (a slow connect, or the proxy moved to another istiod since).
   * Returns whether it wrote.
   */
  private boolean toConnected(String namespace, String name, Instant connectedAt) {
    EntryObject e =
        api.entry(namespace, name)
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "failed updating WorkloadEntry "
                            + namespace
                            + "/"
                            + name
                            + ": WorkloadEntry not found"));
    Optional<Instant> disconnected =
        WorkloadEntryAnnotations.parse(
            e.annotations().get(WorkloadEntryAnnotations.DISCONNECTED_AT));
    if (disconnected.isPresent() && connectedAt.isBefore(disconnected.get())) {
      return false;
    }
    Optional<Instant> last =
        WorkloadEntryAnnotations.parse(e.annotations().get(WorkloadEntryAnnotations.CONNECTED_AT));
    if (last.isPresent() && connectedAt.isBefore(last.get())) {
      return false;
    }
    api.updateAnnotations(e, connectedStamps(e.annotations(), connectedAt));
    return true;
  }

  private Map<String, String> connectedStamps(Map<String, String> annotations, Instant at) {
    Map<String, String> out = new LinkedHashMap<>(annotations);
    out.put(WorkloadEntryAnnotations.WORKLOAD_CONTROLLER, instance);
    out.put(WorkloadEntryAnnotations.CONNECTED_AT, WorkloadEntryAnnotations.format(at));
    out.remove(WorkloadEntryAnnotations.DISCONNECTED_AT);
    return out;
  }

  /** A proxy controls only an entry of its verified namespace and service account. */
  private void ensureCanControl(Stream stream, EntryObject entry) {
    if (!settings.validateIdentity()) {
      return;
    }
    Optional<XdsCaller.Identity> id = stream.identity();
    if (id.isEmpty()) {
      throw refusal(Status.UNKNOWN, "registration of WorkloadEntry requires a verified identity");
    }
    if (!id.get().namespace().equals(entry.namespace())) {
      throw refusal(
          Status.UNKNOWN,
          "registration of WorkloadEntry namespace mismatch: \""
              + id.get().namespace()
              + "\" vs \""
              + entry.namespace()
              + "\"");
    }
    String sa = entry.spec().getServiceAccount();
    if (!sa.isEmpty() && !id.get().serviceAccount().equals(sa)) {
      throw refusal(
          Status.UNKNOWN,
          "registration of WorkloadEntry service account mismatch: \""
              + id.get().serviceAccount()
              + "\" vs \""
              + sa
              + "\"");
    }
  }

  private static StatusRuntimeException refusal(Status status, String message) {
    return status.withDescription(message).asRuntimeException();
  }

  // ---- disconnect

  @Override
  public void disconnected(String connectionId) {
    Tracked t;
    synchronized (this) {
      t = untrack(connectionId);
      if (t == null || streamsByProxy.containsKey(t.key())) {
        return; // not ours, or the workload still has another stream here
      }
    }
    Instant at = clock.instant();
    retrying("unregister " + t.namespace() + "/" + t.entryName(), () -> unregister(t, at), 0);
  }

  private void unregister(Tracked t, Instant disconnectedAt) {
    EntryObject e =
        api.entry(t.namespace(), t.entryName())
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "workloadentry " + t.namespace() + "/" + t.entryName() + " is not found"));
    Optional<Instant> connected =
        WorkloadEntryAnnotations.parse(e.annotations().get(WorkloadEntryAnnotations.CONNECTED_AT));
    if (connected.isPresent() && connected.get().isAfter(t.connectedAt())) {
      return; // reconnected since: this disconnect is old news
    }
    if (!instance.equals(e.annotations().get(WorkloadEntryAnnotations.WORKLOAD_CONTROLLER))) {
      return; // another istiod controls it now
    }
    if (connected.isPresent() && disconnectedAt.isBefore(connected.get())) {
      return;
    }
    Map<String, String> annotations = new LinkedHashMap<>(e.annotations());
    annotations.remove(WorkloadEntryAnnotations.CONNECTED_AT);
    annotations.put(
        WorkloadEntryAnnotations.DISCONNECTED_AT, WorkloadEntryAnnotations.format(disconnectedAt));
    api.updateAnnotations(e, annotations);
    log.info(
        "updated auto-registered WorkloadEntry {}/{} as disconnected",
        t.namespace(),
        t.entryName());
    scheduler.schedule(
        settings.gracePeriod(),
        () -> {
          try {
            api.entry(t.namespace(), t.entryName())
                .filter(this::shouldCleanup)
                .ifPresent(now -> cleanup(now, false));
          } catch (RuntimeException ex) {
            log.warn(
                "cleaning up WorkloadEntry {}/{} failed: {}",
                t.namespace(),
                t.entryName(),
                ex.toString());
          }
        });
  }

  /**
   * Whether the entry's workload is gone: an auto-registered (or health-checked, with a health
   * condition) entry disconnected for the grace period, or stamped connected longer ago than any
   * connection lasts (its istiod went away without a disconnect).
   */
  boolean shouldCleanup(EntryObject e) {
    if (!autoRegistered(e) && !(healthChecked(e) && healthCondition(e).isPresent())) {
      return false;
    }
    Instant now = clock.instant();
    String connected = e.annotations().get(WorkloadEntryAnnotations.CONNECTED_AT);
    if (connected != null && !connected.isEmpty()) {
      return WorkloadEntryAnnotations.parse(connected)
          .map(at -> Duration.between(at, now).compareTo(settings.maxConnectionAge()) > 0)
          .orElse(false);
    }
    String disconnected = e.annotations().get(WorkloadEntryAnnotations.DISCONNECTED_AT);
    if (disconnected == null || disconnected.isEmpty()) {
      return false;
    }
    Optional<Instant> at = WorkloadEntryAnnotations.parse(disconnected);
    return at.isEmpty() || Duration.between(at.get(), now).compareTo(settings.gracePeriod()) >= 0;
  }

  private void cleanup(EntryObject e, boolean periodic) {
    try {
      if (autoRegistered(e)) {
        api.delete(e.namespace(), e.name(), e.resourceVersion());
        log.info("cleaned up auto-registered WorkloadEntry {} periodic:{}", e.key(), periodic);
      } else if (healthChecked(e) && healthCondition(e).isPresent()) {
        IstioStatus.Builder s = e.status().toBuilder().clearConditions();
        e.status().getConditionsList().stream()
            .filter(c -> !HEALTHY.equals(c.getType()))
            .forEach(s::addConditions);
        api.updateStatus(e, s.build());
        log.info("cleaned up health-checked WorkloadEntry {} periodic:{}", e.key(), periodic);
      }
    } catch (RuntimeException ex) {
      log.warn("failed cleaning up WorkloadEntry {}: {}", e.key(), ex.toString());
    }
  }

  static boolean autoRegistered(EntryObject e) {
    String g = e.annotations().get(WorkloadEntryAnnotations.AUTO_REGISTRATION_GROUP);
    return g != null && !g.isEmpty();
  }

  static boolean healthChecked(EntryObject e) {
    String c = e.annotations().get(WorkloadEntryAnnotations.WORKLOAD_CONTROLLER);
    return c != null && !c.isEmpty() && !autoRegistered(e);
  }

  static Optional<IstioCondition> healthCondition(EntryObject e) {
    return e.status() == null
        ? Optional.empty()
        : e.status().getConditionsList().stream()
            .filter(c -> HEALTHY.equals(c.getType()))
            .findFirst();
  }

  // ---- health

  @Override
  public void healthReported(String connectionId, boolean healthy, String message) {
    if (!settings.healthChecks()) {
      return;
    }
    Tracked t;
    synchronized (this) {
      t = streams.get(connectionId);
    }
    if (t == null) {
      log.error("unable to derive WorkloadEntry for health update for {}", connectionId);
      return;
    }
    Instant now = clock.instant();
    Timestamp ts =
        Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()).build();
    // probe and transition are the same time: the agent reports only transitions
    IstioCondition.Builder c =
        IstioCondition.newBuilder()
            .setType(HEALTHY)
            .setStatus(healthy ? "True" : "False")
            .setLastProbeTime(ts)
            .setLastTransitionTime(ts);
    if (!healthy) {
      c.setMessage(message);
    }
    IstioCondition condition = c.build();
    retrying(
        "health of " + t.namespace() + "/" + t.entryName(), () -> writeHealth(t, condition), 0);
  }

  private void writeHealth(Tracked t, IstioCondition condition) {
    EntryObject e =
        api.entry(t.namespace(), t.entryName())
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "failed to update health status for "
                            + t.proxyId()
                            + ": WorkloadEntry "
                            + t.namespace()
                            + "/"
                            + t.entryName()
                            + " not found"));
    if (!instance.equals(e.annotations().get(WorkloadEntryAnnotations.WORKLOAD_CONTROLLER))) {
      return;
    }
    Optional<IstioCondition> current = healthCondition(e);
    if (current.isPresent()
        && com.google.protobuf.util.Timestamps.compare(
                current.get().getLastProbeTime(), condition.getLastProbeTime())
            > 0) {
      return; // a newer report was written already
    }
    IstioStatus status = e.status() == null ? IstioStatus.getDefaultInstance() : e.status();
    IstioStatus.Builder s = status.toBuilder().clearConditions();
    boolean replaced = false;
    for (IstioCondition existing : status.getConditionsList()) {
      if (HEALTHY.equals(existing.getType())) {
        s.addConditions(condition);
        replaced = true;
      } else {
        s.addConditions(existing);
      }
    }
    if (!replaced) {
      s.addConditions(condition);
    }
    api.updateStatus(e, s.build());
  }

  // ---- bookkeeping

  private synchronized void track(String connectionId, Tracked t) {
    streams.put(connectionId, t);
    streamsByProxy.computeIfAbsent(t.key(), k -> new HashSet<>()).add(connectionId);
  }

  private synchronized Tracked untrack(String connectionId) {
    Tracked t = streams.remove(connectionId);
    if (t != null) {
      Set<String> others = streamsByProxy.get(t.key());
      if (others != null) {
        others.remove(connectionId);
        if (others.isEmpty()) {
          streamsByProxy.remove(t.key());
        }
      }
    }
    return t;
  }

  /** Runs {@code step} now on the scheduler, again after a backoff if it fails, at most 5 times. */
  private void retrying(String what, Runnable step, int attempt) {
    Duration delay = attempt == 0 ? Duration.ZERO : Duration.ofMillis(5L << (attempt - 1));
    scheduler.schedule(
        delay,
        () -> {
          try {
            step.run();
          } catch (RuntimeException e) {
            if (attempt + 1 >= MAX_ATTEMPTS) {
              log.warn("{} failed {} times, giving up: {}", what, MAX_ATTEMPTS, e.getMessage());
            } else {
              log.debug("{} failed, retrying: {}", what, e.getMessage());
              retrying(what, step, attempt + 1);
            }
          }
        });
  }
}

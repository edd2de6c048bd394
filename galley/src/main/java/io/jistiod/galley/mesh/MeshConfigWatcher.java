package io.jistiod.galley.mesh;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live MeshConfig, from istiod's sources, layered over its defaults in istiod's order:
 *
 * <ol>
 *   <li>the ConfigMap named by {@code SHARED_MESH_CONFIG}, if any (the user's part);
 *   <li>the {@code --meshConfig} file if it exists (in a pod, the {@code istio} ConfigMap mounted
 *       by the chart), else the {@code istio} (or {@code istio-<revision>}) ConfigMap of istiod's
 *       namespace; its key {@code mesh} in both ConfigMaps.
 * </ol>
 *
 * <p>A change to any source is applied without a restart and reported to the listeners once the
 * resulting MeshConfig differs. An edit that does not parse is refused with an error naming the
 * source and the reason, and the last good MeshConfig stays (a deleted ConfigMap counts as empty,
 * as istiod). The file is read again every poll interval (a mounted ConfigMap is replaced by a
 * symlink swap, which file events do not report reliably) and a change applied once two reads in a
 * row agree.
 */
public final class MeshConfigWatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MeshConfigWatcher.class);

  /** The ConfigMap key istiod reads the mesh config from. */
  public static final String MESH_KEY = "mesh";

  private final Map<String, String> yamlBySource = new LinkedHashMap<>();
  private final List<Consumer<MeshConfig>> listeners = new CopyOnWriteArrayList<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private volatile MeshConfig current;
  private volatile String lastError;

  private MeshConfigWatcher() {}

  /** A fixed MeshConfig (tests, or no source at all): never changes. */
  public static MeshConfigWatcher fixed(MeshConfig mesh) {
    MeshConfigWatcher w = new MeshConfigWatcher();
    w.current = Objects.requireNonNull(mesh, "mesh");
    return w;
  }

  /**
   * Starts watching, having read every source once: a file that does not parse fails here, as it
   * fails istiod's start; a ConfigMap that does not parse is logged and left out.
   *
   * @param file {@code --meshConfig}, or null
   * @param client the API server, or null (standalone)
   * @param namespace istiod's namespace, where the ConfigMaps are
   * @param configMapName {@code istio} or {@code istio-<revision>}
   * @param sharedConfigMapName {@code SHARED_MESH_CONFIG}, or null/empty for none
   * @param filePoll how often the file is read again
   */
  public static MeshConfigWatcher start(
      Path file,
      KubernetesClient client,
      String namespace,
      String configMapName,
      String sharedConfigMapName,
      Duration filePoll)
      throws IOException {
    MeshConfigWatcher w = new MeshConfigWatcher();
    try {
      if (sharedConfigMapName != null && !sharedConfigMapName.isEmpty() && client != null) {
        w.watchConfigMap(client, namespace, sharedConfigMapName);
      }
      if (file != null && Files.exists(file)) {
        String yaml = Files.readString(file);
        MeshConfigs.parse(yaml, file.toString()); // refuses a bad file at start
        w.yamlBySource.put(file.toString(), yaml);
        w.pollFile(file, yaml, filePoll);
      } else if (client != null) {
        w.watchConfigMap(client, namespace, configMapName);
      }
      w.recompute(false);
    } catch (IOException | RuntimeException e) {
      w.close();
      throw e;
    }
    return w;
  }

  /** The MeshConfig in effect. */
  public MeshConfig current() {
    return current;
  }

  /** Why the latest edit of a source was refused, or null if the last one applied. */
  public String lastError() {
    return lastError;
  }

  /** Called with the new MeshConfig after each change that alters it. */
  public void addListener(Consumer<MeshConfig> listener) {
    listeners.add(listener);
  }

  private void watchConfigMap(KubernetesClient client, String namespace, String name) {
    String source = "ConfigMap " + namespace + "/" + name;
    synchronized (this) {
      yamlBySource.put(source, null);
    }
    SharedIndexInformer<ConfigMap> informer =
        client
            .configMaps()
            .inNamespace(namespace)
            .withName(name)
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(ConfigMap cm) {
                    update(source, meshOf(cm));
                  }

                  @Override
                  public void onUpdate(ConfigMap before, ConfigMap after) {
                    update(source, meshOf(after));
                  }

                  @Override
                  public void onDelete(ConfigMap cm, boolean finalStateUnknown) {
                    update(source, null);
                  }
                });
    closeables.add(informer::close);
    // read it before serving, as istiod waits for its mesh config
    try {
      informer.start().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("{}: not read before start ({}); using what is known", source, e.toString());
    }
  }

  private static String meshOf(ConfigMap cm) {
    return cm.getData() == null ? null : cm.getData().get(MESH_KEY);
  }

  private void pollFile(Path file, String initial, Duration every) {
    ScheduledExecutorService poller =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "mesh-config-file");
              t.setDaemon(true);
              return t;
            });
    closeables.add(poller::shutdownNow);
    io.jistiod.galley.file.SettledContent<String> content =
        new io.jistiod.galley.file.SettledContent<>(initial);
    poller.scheduleWithFixedDelay(
        () -> {
          String yaml;
          try {
            if (!Files.exists(file)) {
              return; // removed while a mount swaps it, or for good: keep what we have
            }
            yaml = Files.readString(file);
          } catch (IOException | RuntimeException e) {
            return; // mid-swap; the next poll reads it
          }
          content.offer(yaml).ifPresent(settled -> update(file.toString(), settled));
        },
        every.toMillis(),
        every.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  private synchronized void update(String source, String yaml) {
    if (yamlBySource.containsKey(source) && Objects.equals(yamlBySource.get(source), yaml)) {
      return; // a resync, or an edit elsewhere in the ConfigMap
    }
    yamlBySource.put(source, yaml);
    if (current != null) {
      recompute(true);
    }
  }

  /** Layers every source over the defaults; keeps the current MeshConfig if one does not parse. */
  private synchronized void recompute(boolean notify) {
    MeshConfig mesh = MeshConfigs.defaults();
    for (Map.Entry<String, String> e : yamlBySource.entrySet()) {
      if (e.getValue() == null) {
        continue;
      }
      try {
        mesh = MeshConfigs.parse(e.getValue(), e.getKey(), mesh);
      } catch (IllegalArgumentException ex) {
        lastError = ex.getMessage();
        if (current == null) {
          log.error("mesh config from {} left out: {}", e.getKey(), ex.getMessage());
          continue;
        }
        log.error("mesh config edit refused, keeping the last good one: {}", ex.getMessage());
        return;
      }
    }
    lastError = null;
    if (mesh.equals(current)) {
      return;
    }
    current = mesh;
    if (notify) {
      log.info("mesh config changed");
      for (Consumer<MeshConfig> l : listeners) {
        try {
          l.accept(mesh);
        } catch (RuntimeException ex) {
          log.warn("a mesh config listener failed", ex);
        }
      }
    }
  }

  @Override
  public void close() {
    for (AutoCloseable c : closeables) {
      try {
        c.close();
      } catch (Exception e) {
        log.debug("closing {}", c, e);
      }
    }
  }
}

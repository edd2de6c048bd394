package io.jistiod.istiod.gatewayapi;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.injector.InjectorConfig;
import io.jistiod.injector.ProxyConfigResources;
import io.jistiod.istiod.gatewayapi.GatewayDeploymentInputs.ClassInfo;
import io.jistiod.istiod.gatewayapi.GatewayDeploymentInputs.Settings;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * istiod's gateway deployment controller as it runs: while this replica holds the Lease {@code
 * istio-gateway-deployment-REV} ({@link #lead}), once the Gateway CRD is installed, it watches what
 * Gateways' deployments depend on and reconciles each affected Gateway on one worker thread. A
 * failed reconcile is retried with backoff, five attempts in all, as istiod's queue does; any later
 * change of the Gateway or what it depends on queues it again.
 */
public final class GatewayDeployments implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GatewayDeployments.class);
  private static final int MAX_ATTEMPTS = 5;

  private final KubeGatewayDeployments kube;
  private final Supplier<InjectorConfig> injector;
  private final Supplier<MeshConfig> mesh;
  private final Supplier<ProxyConfigResources> proxyConfigs;
  private final Settings settingsWithoutVersion;
  private final Map<String, ClassInfo> classes;
  private final Map<String, String> builtinClasses;
  private final LatestPerKeyQueue<String, Integer> queue = new LatestPerKeyQueue<>();
  private final Object lock = new Object();
  private ScheduledExecutorService worker; // guarded by lock
  private Thread waiter; // guarded by lock

  /**
   * @param proxyConfigs the mesh's ProxyConfig resources, merged into the template's ProxyConfig
   * @param builtins the built-in classes and their controllers (which classes deploy, with what)
   * @param listenerSets PILOT_ENABLE_ALPHA_GATEWAY_API: the listeners of XListenerSets attached to
   *     a Gateway are ports of its Service too
   */
  public GatewayDeployments(
      KubernetesClient client,
      String systemNamespace,
      String revision,
      Predicate<String> discoveryNamespaces,
      Supplier<InjectorConfig> injector,
      Supplier<MeshConfig> mesh,
      Supplier<ProxyConfigResources> proxyConfigs,
      Settings settings,
      BuiltinClasses builtins,
      boolean listenerSets) {
    this.kube =
        new KubeGatewayDeployments(
            client, systemNamespace, revision, discoveryNamespaces, listenerSets);
    this.injector = injector;
    this.mesh = mesh;
    this.proxyConfigs = proxyConfigs;
    this.settingsWithoutVersion = settings;
    this.classes = new LinkedHashMap<>(builtins.controllers());
    this.builtinClasses = new LinkedHashMap<>(builtins.classes());
  }

  /** istiod 1.27's classes with ambient off: {@code istio} deploys kube-gateway. */
  static Map<String, ClassInfo> defaultClasses(String controllerName) {
    return new BuiltinClasses("istio", controllerName, true, false, false).controllers();
  }

  /**
   * Settings that are the same for every Gateway (the API server's version is read at lead).
   *
   * @param ambientWaypoints whether ambient waypoints are on (PILOT_ENABLE_AMBIENT and
   *     PILOT_ENABLE_AMBIENT_WAYPOINTS): other gateways' pods are kept out of ztunnel's capture
   */
  public static Settings settings(
      String clusterId,
      String revision,
      boolean nativeSidecars,
      String compliancePolicy,
      boolean copyLabelsAnnotations,
      boolean ambientWaypoints) {
    return new Settings(
        clusterId,
        -1,
        revision,
        nativeSidecars,
        compliancePolicy,
        copyLabelsAnnotations,
        ambientWaypoints);
  }

  /** Starts reconciling; closing the handle stops. Fits {@code LeaderElection.Singleton}. */
  public AutoCloseable lead() {
    synchronized (lock) {
      waiter =
          new Thread(
              () -> {
                try {
                  while (!kube.gatewayCrdInstalled()) {
                    Thread.sleep(5000);
                  }
                } catch (InterruptedException e) {
                  return;
                } catch (RuntimeException e) {
                  log.warn("gateway deployment: cannot read CRDs: {}", e.getMessage());
                  return;
                }
                startReconciling();
              },
              "gateway-deployment-start");
      waiter.setDaemon(true);
      waiter.start();
    }
    return this::stopLeading;
  }

  private void startReconciling() {
    Settings s = settingsWithoutVersion;
    Settings settings =
        new Settings(
            s.clusterId(),
            kube.kubeVersion(),
            s.revision(),
            s.nativeSidecars(),
            s.compliancePolicy(),
            s.copyLabelsAnnotations(),
            s.ambientWaypoints());
    GatewayDeploymentController controller =
        new GatewayDeploymentController(
            kube, kube, injector, mesh, proxyConfigs, () -> settings, classes, builtinClasses);
    ScheduledExecutorService exec =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "gateway-deployment");
              t.setDaemon(true);
              return t;
            });
    synchronized (lock) {
      if (Thread.currentThread().isInterrupted()) {
        exec.shutdownNow();
        return;
      }
      worker = exec;
    }
    kube.start((ns, name) -> enqueue(ns + "/" + name, 0));
    exec.execute(() -> drain(controller));
    log.info(
        "gateway deployment: this replica deploys Gateways (kube version {})",
        settings.kubeVersion());
  }

  /** Queues every Gateway again (the injection templates changed). */
  public void requeueAll() {
    for (var g : kube.gatewaysWhere(g -> true)) {
      enqueue(g.getMetadata().getNamespace() + "/" + g.getMetadata().getName(), 0);
    }
  }

  private void enqueue(String key, int attempt) {
    synchronized (lock) {
      if (worker != null) {
        queue.put(key, attempt);
      }
    }
  }

  private void drain(GatewayDeploymentController controller) {
    while (!Thread.currentThread().isInterrupted()) {
      Map.Entry<String, Integer> next;
      try {
        next = queue.take();
      } catch (InterruptedException e) {
        return;
      }
      String key = next.getKey();
      int slash = key.indexOf('/');
      try {
        controller.reconcile(key.substring(0, slash), key.substring(slash + 1));
      } catch (GatewayDeploymentController.ApplyException e) {
        int attempt = next.getValue() + 1;
        if (attempt >= MAX_ATTEMPTS) {
          log.error("gateway {}: giving up after {} attempts: {}", key, attempt, e.getMessage());
        } else {
          log.warn("gateway {}: {} (retrying)", key, e.getMessage());
          retryLater(key, attempt);
        }
      } catch (RuntimeException e) {
        log.error("gateway {}: reconcile failed: {}", key, e.toString());
      }
    }
  }

  private void retryLater(String key, int attempt) {
    synchronized (lock) {
      if (worker != null) {
        long delay = 100L << Math.min(attempt, 10);
        worker.schedule(() -> enqueue(key, attempt), delay, TimeUnit.MILLISECONDS);
      }
    }
  }

  private void stopLeading() {
    synchronized (lock) {
      if (waiter != null) {
        waiter.interrupt();
        waiter = null;
      }
      if (worker != null) {
        worker.shutdownNow();
        worker = null;
      }
      queue.clear();
    }
    kube.stop();
    log.info("gateway deployment: no longer deploying Gateways");
  }

  @Override
  public void close() {
    stopLeading();
  }
}

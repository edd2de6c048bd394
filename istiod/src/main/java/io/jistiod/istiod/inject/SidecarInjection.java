package io.jistiod.istiod.inject;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.injector.InjectionConfig;
import io.jistiod.injector.InjectionMetrics;
import io.jistiod.injector.InjectionWebhook;
import io.jistiod.injector.NativeSidecars;
import io.jistiod.istiod.webhook.ValidationWebhookServer;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sidecar injection in istiod (pilot/pkg/bootstrap/sidecarinjector.go): picks the config source,
 * keeps the config current and serves {@code /inject} on the webhook port. Off, as in istiod, when
 * {@code INJECT_ENABLED=false} or when there is no config (no files and no ConfigMap at start).
 */
public final class SidecarInjection implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SidecarInjection.class);

  private final List<AutoCloseable> closeables = new ArrayList<>();
  private InjectorConfigHolder holder;
  private String source;

  private SidecarInjection() {}

  /**
   * @param client null in standalone mode
   * @param parser how templates are parsed (the Go template engine with Istio's functions)
   * @return the running injection, or null when it is off
   */
  public static SidecarInjection start(
      InjectionOptions options,
      String namespace,
      String revision,
      KubernetesClient client,
      ValidationWebhookServer server,
      Supplier<MeshConfig> mesh,
      Supplier<io.jistiod.injector.ProxyConfigResources> proxyConfigs,
      InjectionConfig.TemplateParser parser,
      MeterRegistry metrics) {
    if (options == null || !options.enabled()) {
      log.info("Skipping sidecar injector, injection path is missing or disabled.");
      return null;
    }
    SidecarInjection s = new SidecarInjection();
    s.holder = new InjectorConfigHolder(parser);
    String cm = InjectionOptions.configMapName(revision);
    if (FileInjectorConfigSource.present(options.directory())) {
      s.closeables.add(FileInjectorConfigSource.start(options.directory(), s.holder, 1000));
      s.source = "files in " + options.directory();
    } else if (client != null && ConfigMapInjectorConfigSource.present(client, namespace, cm)) {
      s.closeables.add(ConfigMapInjectorConfigSource.start(client, namespace, cm, s.holder));
      s.source = "ConfigMap " + namespace + "/" + cm;
    } else {
      log.info("Skipping sidecar injector, template not found");
      return null;
    }
    NativeSidecars.Nodes nodes = null;
    if (client != null && options.nativeSidecars() == NativeSidecars.Mode.AUTO) {
      SharedIndexInformer<Node> informer = client.nodes().inform();
      s.closeables.add(informer::close);
      nodes = kubeletVersions(informer);
    }
    server.injection(
        new InjectionWebhook(
            s.holder,
            mesh,
            proxyConfigs,
            revision,
            options.nativeSidecars(),
            nodes,
            options.compliancePolicy(),
            new InjectionMetrics(metrics)));
    log.info("sidecar injection on /inject, config from {}", s.source);
    return s;
  }

  private static NativeSidecars.Nodes kubeletVersions(SharedIndexInformer<Node> informer) {
    return new NativeSidecars.Nodes() {
      @Override
      public Optional<String> kubeletVersion(String node) {
        return Optional.ofNullable(informer.getStore().getByKey(node)).map(n -> version(n));
      }

      @Override
      public Collection<String> allKubeletVersions() {
        return informer.getStore().list().stream().map(n -> version(n)).toList();
      }
    };
  }

  private static String version(Node n) {
    return n.getStatus() == null || n.getStatus().getNodeInfo() == null
        ? ""
        : n.getStatus().getNodeInfo().getKubeletVersion();
  }

  /** Where the config comes from, for logs and tests. */
  public String source() {
    return source;
  }

  public InjectorConfigHolder config() {
    return holder;
  }

  @Override
  public void close() {
    for (AutoCloseable c : closeables) {
      try {
        c.close();
      } catch (Exception e) {
        log.debug("closing injection: {}", e.toString());
      }
    }
  }
}

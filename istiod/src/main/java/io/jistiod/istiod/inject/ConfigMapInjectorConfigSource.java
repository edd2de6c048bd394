package io.jistiod.istiod.inject;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The injector config from the {@code istio-sidecar-injector[-REV]} ConfigMap's {@code config} and
 * {@code values} keys, watched: every change is applied as it arrives. A deleted ConfigMap keeps
 * the last config (istiod keeps injecting with it too).
 */
public final class ConfigMapInjectorConfigSource implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ConfigMapInjectorConfigSource.class);

  private final SharedIndexInformer<ConfigMap> informer;

  private ConfigMapInjectorConfigSource(
      KubernetesClient client, String namespace, String name, InjectorConfigHolder holder) {
    String source = "ConfigMap " + namespace + "/" + name;
    informer =
        client
            .configMaps()
            .inNamespace(namespace)
            .withName(name)
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(ConfigMap cm) {
                    apply(cm);
                  }

                  @Override
                  public void onUpdate(ConfigMap old, ConfigMap cm) {
                    apply(cm);
                  }

                  @Override
                  public void onDelete(ConfigMap cm, boolean unknown) {
                    log.warn("{} was deleted; keeping the last injection config", source);
                  }

                  private void apply(ConfigMap cm) {
                    Map<String, String> data = cm.getData() == null ? Map.of() : cm.getData();
                    if (!data.containsKey("config")) {
                      log.error(
                          "{} has no \"config\" key; keeping the last injection config", source);
                      return;
                    }
                    holder.update(data.get("config"), data.getOrDefault("values", ""), source);
                  }
                },
                0);
  }

  /** Whether the ConfigMap exists now (istiod only serves injection if it does at start). */
  public static boolean present(KubernetesClient client, String namespace, String name) {
    return client.configMaps().inNamespace(namespace).withName(name).get() != null;
  }

  /** Watches the ConfigMap; returns once the first state has been read. */
  public static ConfigMapInjectorConfigSource start(
      KubernetesClient client, String namespace, String name, InjectorConfigHolder holder) {
    return new ConfigMapInjectorConfigSource(client, namespace, name, holder);
  }

  @Override
  public void close() {
    informer.close();
  }
}

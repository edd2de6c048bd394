package io.jistiod.istiod.gatewayapi;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.jistiod.pilot.gatewayapi.ConfigMapSource;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * The ConfigMaps of every namespace, from an informer, for the CA certificates BackendTLSPolicies
 * name (istiod's gateway controller reads them from its ConfigMap informer). A ConfigMap added,
 * deleted or whose data changed calls {@code onChange} with its namespace and name, on an informer
 * thread.
 */
public final class KubeConfigMapSource implements ConfigMapSource, AutoCloseable {
  private final KubernetesClient client;
  private final BiConsumer<String, String> onChange;
  private SharedIndexInformer<ConfigMap> informer;

  public KubeConfigMapSource(KubernetesClient client, BiConsumer<String, String> onChange) {
    this.client = Objects.requireNonNull(client, "client");
    this.onChange = Objects.requireNonNull(onChange, "onChange");
  }

  public void start() {
    informer =
        client
            .configMaps()
            .inAnyNamespace()
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(ConfigMap cm) {
                    changed(cm);
                  }

                  @Override
                  public void onUpdate(ConfigMap old, ConfigMap cm) {
                    if (!Objects.equals(old.getData(), cm.getData())) {
                      changed(cm);
                    }
                  }

                  @Override
                  public void onDelete(ConfigMap cm, boolean deletedFinalStateUnknown) {
                    changed(cm);
                  }
                },
                0);
  }

  public boolean hasSynced() {
    return informer != null && informer.hasSynced();
  }

  @Override
  public Optional<Map<String, String>> data(String namespace, String name) {
    if (informer == null) {
      return Optional.empty();
    }
    ConfigMap cm = informer.getStore().getByKey(namespace + "/" + name);
    if (cm == null) {
      return Optional.empty();
    }
    return Optional.of(cm.getData() == null ? Map.of() : Map.copyOf(cm.getData()));
  }

  private void changed(ConfigMap cm) {
    onChange.accept(cm.getMetadata().getNamespace(), cm.getMetadata().getName());
  }

  @Override
  public void close() {
    if (informer != null) {
      informer.close();
    }
  }
}

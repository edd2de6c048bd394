package io.jistiod.istiod.gatewayapi;

import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates istiod's built-in GatewayClasses ({@link BuiltinClasses#toCreate}: {@code istio}, {@code
 * istio-remote}, and with ambient {@code istio-waypoint} and {@code istio-east-west}) when they do
 * not exist, and again when one is deleted, as istiod's class controller does. It only creates,
 * never updates: users may change a class as they wish. No leader election: the first replica to
 * create a class wins and the others see it exists (or get a conflict, which is fine).
 */
public final class GatewayClassCreator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GatewayClassCreator.class);

  /** A built-in class: its controller and description. */
  public record Builtin(String controller, String description) {}

  private final KubernetesClient client;
  private final Map<String, Builtin> builtins;
  private volatile SharedIndexInformer<GatewayClass> informer;
  private final Thread starter;

  private GatewayClassCreator(KubernetesClient client, Map<String, Builtin> builtins) {
    this.client = client;
    this.builtins = Map.copyOf(builtins);
    this.starter = new Thread(this::startWhenInstalled, "gateway-class-creator");
    starter.setDaemon(true);
  }

  /** Starts once the GatewayClass CRD is installed (checked every 5 s until then). */
  public static GatewayClassCreator start(KubernetesClient client, Map<String, Builtin> builtins) {
    GatewayClassCreator c = new GatewayClassCreator(client, builtins);
    c.starter.start();
    return c;
  }

  private void startWhenInstalled() {
    try {
      while (!KubeGatewayDeployments.served(client, GatewayClass.class)) {
        Thread.sleep(5000);
      }
    } catch (InterruptedException e) {
      return;
    } catch (KubernetesClientException e) {
      log.warn("gateway classes: cannot read CRDs: {}", e.getMessage());
      return;
    }
    SharedIndexInformer<GatewayClass> i = client.resources(GatewayClass.class).runnableInformer(0);
    i.addEventHandler(
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(GatewayClass c) {}

          @Override
          public void onUpdate(GatewayClass o, GatewayClass c) {}

          @Override
          public void onDelete(GatewayClass c, boolean unknown) {
            if (builtins.containsKey(c.getMetadata().getName())) {
              ensure(c.getMetadata().getName());
            }
          }
        });
    informer = i;
    i.start().toCompletableFuture().join();
    for (String name : builtins.keySet()) {
      ensure(name);
    }
  }

  private void ensure(String name) {
    SharedIndexInformer<GatewayClass> i = informer;
    if (i == null || i.getStore().getByKey(name) != null) {
      return;
    }
    Builtin b = builtins.get(name);
    GatewayClass gc =
        new GatewayClassBuilder()
            .withNewMetadata()
            .withName(name)
            .endMetadata()
            .withNewSpec()
            .withControllerName(b.controller())
            .withDescription(b.description())
            .endSpec()
            .build();
    try {
      client.resources(GatewayClass.class).resource(gc).create();
      log.info("created GatewayClass/{}", name);
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        log.info("Attempted to create GatewayClass/{}, but it was already created", name);
      } else {
        log.warn("creating GatewayClass/{}: {}", name, e.getMessage());
      }
    }
  }

  @Override
  public void close() {
    starter.interrupt();
    SharedIndexInformer<GatewayClass> i = informer;
    if (i != null) {
      i.close();
    }
  }
}

package io.jistiod.istiod.gatewayapi;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The deployment controller's sources with PILOT_ENABLE_ALPHA_GATEWAY_API when the XListenerSet CRD
 * is installed only after this replica took the lead: its XListenerSets are watched once the API
 * server serves them, and those already there queue their parent Gateways.
 */
class KubeGatewayDeploymentsListenerSetCrdTest {
  /** A CRUD API server that answers 404 for the experimental group until its CRDs "install". */
  static final class LateCrds extends KubernetesCrudDispatcher {
    volatile boolean installed;

    LateCrds() {
      super(List.of());
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
      if (!installed && request.getPath().startsWith("/apis/gateway.networking.x-k8s.io/")) {
        return new MockResponse().setResponseCode(404);
      }
      return super.dispatch(request);
    }
  }

  private final LateCrds dispatcher = new LateCrds();
  private KubernetesMockServer server;
  private KubernetesClient client;
  private KubeGatewayDeployments kube;
  private final Set<String> queued = ConcurrentHashMap.newKeySet();

  @BeforeEach
  void serve() {
    server =
        new KubernetesMockServer(
            new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
    server.init();
    client = server.createClient();
  }

  @AfterEach
  void close() {
    if (kube != null) {
      kube.stop();
    }
    client.close();
    server.destroy();
  }

  private static GenericKubernetesResource listenerSet(String ns, String name, String parent) {
    GenericKubernetesResource r = new GenericKubernetesResource();
    r.setApiVersion("gateway.networking.x-k8s.io/v1alpha1");
    r.setKind("XListenerSet");
    r.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
    r.setAdditionalProperty("spec", Map.of("parentRef", Map.of("name", parent)));
    return r;
  }

  private void create(GenericKubernetesResource r) {
    client
        .genericKubernetesResources(
            new io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext.Builder()
                .withGroup("gateway.networking.x-k8s.io")
                .withVersion("v1alpha1")
                .withKind("XListenerSet")
                .withPlural("xlistenersets")
                .withNamespaced(true)
                .build())
        .inNamespace(r.getMetadata().getNamespace())
        .resource(r)
        .create();
  }

  private KubeGatewayDeployments lead(boolean alpha, Duration recheck) {
    kube = new KubeGatewayDeployments(client, "istio-system", "", ns -> true, alpha, recheck);
    kube.start((ns, name) -> queued.add(ns + "/" + name));
    return kube;
  }

  @Test
  void listenerSetsWhoseCrdAppearsAfterTheLeadAreWatched() {
    lead(true, Duration.ofMillis(50));
    assertThat(kube.listenerSets("apps", "gw")).isEmpty();

    dispatcher.installed = true;
    create(listenerSet("apps", "extra", "gw"));
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(queued).contains("apps/gw");
              assertThat(kube.listenerSets("apps", "gw"))
                  .extracting(s -> s.getMetadata().getName())
                  .containsExactly("extra");
            });

    // and later ones too: the informer runs
    create(listenerSet("apps", "more", "other"));
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(queued).contains("apps/other"));
  }

  @Test
  void eachCheckStartsTheInformerOnlyOnceServed() {
    lead(true, Duration.ofHours(1)); // checked by hand below
    assertThat(kube.watchListenerSetsIfServed()).isFalse();
    dispatcher.installed = true;
    create(listenerSet("apps", "extra", "gw"));
    assertThat(kube.watchListenerSetsIfServed()).isTrue();
    assertThat(kube.watchListenerSetsIfServed()).as("started once").isFalse();
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(kube.listenerSets("apps", "gw")).hasSize(1));
  }

  @Test
  void withoutTheAlphaFlagNothingWaitsForTheCrd() {
    lead(false, Duration.ofHours(1));
    dispatcher.installed = true;
    create(listenerSet("apps", "extra", "gw"));
    assertThat(kube.watchListenerSetsIfServed()).isFalse();
    assertThat(kube.listenerSets("apps", "gw")).isEmpty();
  }

  @Test
  void aLostLeadStopsWaiting() {
    lead(true, Duration.ofHours(1));
    kube.stop();
    dispatcher.installed = true;
    create(listenerSet("apps", "extra", "gw"));
    assertThat(kube.watchListenerSetsIfServed()).isFalse();
    assertThat(kube.listenerSets("apps", "gw")).isEmpty();
  }

  @Test
  void servedAtTheLeadIsWatchedAtOnce() {
    dispatcher.installed = true;
    create(listenerSet("apps", "extra", "gw"));
    lead(true, Duration.ofHours(1));
    assertThat(kube.listenerSets("apps", "gw")).hasSize(1); // synced before start returns
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(queued).contains("apps/gw"));
    assertThat(kube.watchListenerSetsIfServed()).as("nothing awaited").isFalse();
  }
}

package io.jistiod.galley.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.jistiod.galley.api.gateway.v1.GatewayClassSpec;
import io.jistiod.galley.api.gateway.v1.RouteStatus;
import io.jistiod.galley.api.ingress.v1.IngressClassSpec;
import io.jistiod.galley.api.ingress.v1.IngressSpec;
import io.jistiod.galley.api.ingress.v1.IngressStatus;
import io.jistiod.galley.api.networking.v1alpha3.DestinationRule;
import io.jistiod.galley.api.networking.v1alpha3.LoadBalancerSettings;
import io.jistiod.galley.api.networking.v1alpha3.VirtualService;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.ConfigEvent;
import io.jistiod.galley.config.ConfigKind;
import io.jistiod.galley.config.GatewayApiKinds;
import io.jistiod.galley.config.IngressKinds;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.crd.CrdGenerator;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class KubernetesConfigStoreTest {
  KubernetesClient client;
  KubernetesMockServer server;

  private final List<ConfigEvent> events = new CopyOnWriteArrayList<>();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private KubernetesConfigStore store;

  @AfterEach
  void stop() {
    if (store != null) {
      store.close();
    }
  }

  private static ConditionFactory await() {
    return Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20));
  }

  private void installCrd(ConfigKind kind) {
    Map<String, Object> crd = CrdGenerator.customResourceDefinition(kind);
    client
        .apiextensions()
        .v1()
        .customResourceDefinitions()
        .resource(
            client.getKubernetesSerialization().convertValue(crd, CustomResourceDefinition.class))
        .create();
  }

  private void start(List<ConfigKind> kinds) {
    store = new KubernetesConfigStore(client, kinds, meters, Duration.ofMillis(200));
    store.addHandler(events::add);
    store.start();
    await().until(store::hasSynced);
  }

  private static ResourceDefinitionContext context(ConfigKind kind, String version) {
    return new ResourceDefinitionContext.Builder()
        .withGroup(kind.group())
        .withVersion(version)
        .withKind(kind.kind())
        .withPlural(kind.plural())
        .withNamespaced(true)
        .build();
  }

  private GenericKubernetesResource apply(ConfigKind kind, String yaml) {
    GenericKubernetesResource obj =
        client.getKubernetesSerialization().unmarshal(yaml, GenericKubernetesResource.class);
    String version = obj.getApiVersion().substring(obj.getApiVersion().indexOf('/') + 1);
    return client
        .genericKubernetesResources(context(kind, version))
        .inNamespace(obj.getMetadata().getNamespace())
        .resource(obj)
        .createOr(existing -> existing.update());
  }

  private static String vs(String name, String host, Object weight) {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: %s, namespace: shop}
        spec:
          hosts: [%s]
          http:
          - route:
            - destination: {host: %s}
              weight: %s
        """
        .formatted(name, host, host, weight);
  }

  private double rejected() {
    return meters.find("pilot_total_rejected_configs").counters().stream()
        .mapToDouble(c -> c.count())
        .sum();
  }

  @Test
  void notSyncedUntilEveryObjectOfTheInitialListIsInTheStore() throws Exception {
    installCrd(IstioKinds.VIRTUAL_SERVICE);
    apply(IstioKinds.VIRTUAL_SERVICE, vs("cart", "cart", 100));
    apply(IstioKinds.VIRTUAL_SERVICE, vs("shop", "shop", 100));
    java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    store =
        new KubernetesConfigStore(
            client, List.of(IstioKinds.VIRTUAL_SERVICE), meters, Duration.ofMillis(200));
    // holds the informer's handler thread on the first object, as a slow conversion would
    store.addHandler(
        e -> {
          entered.countDown();
          try {
            release.await();
          } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
          }
        });
    store.start();
    assertThat(entered.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    // the informer has its whole list by now; the store has one object of two
    Awaitility.await()
        .pollDelay(Duration.ofMillis(500))
        .atMost(Duration.ofSeconds(2))
        .until(() -> true);
    assertThat(store.hasSynced()).isFalse();

    release.countDown();
    await().until(store::hasSynced);
    assertThat(store.list(IstioKinds.VIRTUAL_SERVICE, "shop")).hasSize(2);
  }

  @Test
  void addUpdateAndDeleteBecomeEvents() {
    installCrd(IstioKinds.VIRTUAL_SERVICE);
    installCrd(IstioKinds.DESTINATION_RULE);
    start(List.of(IstioKinds.VIRTUAL_SERVICE, IstioKinds.DESTINATION_RULE));

    apply(IstioKinds.VIRTUAL_SERVICE, vs("cart", "cart", 100));
    await().until(() -> events.size() == 1);
    ConfigEvent add = events.get(0);
    assertThat(add.type()).isEqualTo(ConfigEvent.Type.ADD);
    Config cart = add.current();
    assertThat(cart.key().toString()).isEqualTo("VirtualService/shop/cart");
    assertThat(cart.spec(VirtualService.class).getHosts(0)).isEqualTo("cart");
    assertThat(cart.meta().resourceVersion()).isNotEmpty();
    assertThat(store.get(IstioKinds.VIRTUAL_SERVICE, "shop", "cart")).contains(cart);

    apply(IstioKinds.VIRTUAL_SERVICE, vs("cart", "cart.shop.svc.cluster.local", 100));
    await().until(() -> events.size() == 2);
    assertThat(events.get(1).type()).isEqualTo(ConfigEvent.Type.UPDATE);
    assertThat(events.get(1).previous()).isEqualTo(cart);
    assertThat(events.get(1).current().spec(VirtualService.class).getHosts(0))
        .isEqualTo("cart.shop.svc.cluster.local");

    apply(
        IstioKinds.DESTINATION_RULE,
        """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: cart, namespace: shop, labels: {team: a}}
        spec:
          host: cart
          trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
        """);
    await().until(() -> events.size() == 3);
    Config dr = events.get(2).current();
    assertThat(dr.spec(DestinationRule.class).getTrafficPolicy().getLoadBalancer().getSimple())
        .isEqualTo(LoadBalancerSettings.SimpleLB.ROUND_ROBIN);
    assertThat(dr.meta().labels()).containsEntry("team", "a");
    assertThat(store.list(IstioKinds.DESTINATION_RULE, null)).hasSize(1);
    assertThat(store.list(IstioKinds.DESTINATION_RULE, "other")).isEmpty();

    client
        .genericKubernetesResources(context(IstioKinds.VIRTUAL_SERVICE, "v1"))
        .inNamespace("shop")
        .withName("cart")
        .delete();
    await().until(() -> events.size() == 4);
    assertThat(events.get(3).type()).isEqualTo(ConfigEvent.Type.DELETE);
    assertThat(store.get(IstioKinds.VIRTUAL_SERVICE, "shop", "cart")).isEmpty();
    assertThat(
            meters
                .find("pilot_k8s_cfg_events")
                .tags("type", "VirtualService", "event", "add")
                .counter()
                .count())
        .isEqualTo(1);
  }

  @Test
  void configEventCountersExistAtZeroFromStartForEveryKindAndEvent() {
    store =
        new KubernetesConfigStore(
            client, List.of(IstioKinds.VIRTUAL_SERVICE, IstioKinds.GATEWAY), meters);
    for (String kind : List.of("VirtualService", "Gateway")) {
      for (String event : List.of("add", "update", "delete")) {
        assertThat(
                meters
                    .get("pilot_k8s_cfg_events")
                    .tags("type", kind, "event", event)
                    .counter()
                    .count())
            .isZero();
      }
    }
    assertThat(meters.get("pilot_k8s_cfg_events").counters()).hasSize(6);
  }

  @Test
  void updatesThatChangeNoContentAreNotReported() {
    installCrd(IstioKinds.VIRTUAL_SERVICE);
    start(List.of(IstioKinds.VIRTUAL_SERVICE));
    GenericKubernetesResource created = apply(IstioKinds.VIRTUAL_SERVICE, vs("cart", "cart", 100));
    await().until(() -> events.size() == 1);

    // The same object again, and a status-only update: new resource versions, same content.
    apply(IstioKinds.VIRTUAL_SERVICE, vs("cart", "cart", 100));
    created.setAdditionalProperty("status", Map.of("observedGeneration", 1));
    GenericKubernetesResource withStatus =
        client
            .genericKubernetesResources(context(IstioKinds.VIRTUAL_SERVICE, "v1"))
            .inNamespace("shop")
            .resource(created)
            .updateStatus();
    String statusVersion = withStatus.getMetadata().getResourceVersion();
    await()
        .until(
            () ->
                store
                    .get(IstioKinds.VIRTUAL_SERVICE, "shop", "cart")
                    .map(c -> c.meta().resourceVersion().equals(statusVersion))
                    .orElse(false));
    assertThat(events).hasSize(1);

    // A label is content.
    apply(
        IstioKinds.VIRTUAL_SERVICE,
        vs("cart", "cart", 100).replace("namespace: shop}", "namespace: shop, labels: {a: b}}"));
    await().until(() -> events.size() == 2);
    assertThat(events.get(1).type()).isEqualTo(ConfigEvent.Type.UPDATE);
    assertThat(events.get(1).current().meta().labels()).containsEntry("a", "b");
  }

  @Test
  void aBadObjectDoesNotBlockGoodOnesAndAFixReplacesIt() {
    installCrd(IstioKinds.VIRTUAL_SERVICE);
    apply(IstioKinds.VIRTUAL_SERVICE, vs("broken", "cart", "abc"));
    apply(IstioKinds.VIRTUAL_SERVICE, vs("good", "cart", 100));
    start(List.of(IstioKinds.VIRTUAL_SERVICE));

    await().until(() -> events.size() == 1);
    assertThat(events.get(0).current().name()).isEqualTo("good");
    assertThat(store.get(IstioKinds.VIRTUAL_SERVICE, "shop", "broken")).isEmpty();
    await().until(() -> rejected() == 1);
    assertThat(
            meters
                .find("pilot_total_rejected_configs")
                .tags("type", "VirtualService", "name", "shop/broken")
                .counter())
        .isNotNull();

    apply(IstioKinds.VIRTUAL_SERVICE, vs("broken", "cart", 50));
    await().until(() -> events.size() == 2);
    assertThat(events.get(1).type()).isEqualTo(ConfigEvent.Type.ADD);
    assertThat(events.get(1).current().name()).isEqualTo("broken");
    assertThat(
            events.get(1).current().spec(VirtualService.class).getHttp(0).getRoute(0).getWeight())
        .isEqualTo(50);
  }

  @Test
  void aBadEditKeepsTheLastGoodVersionUntilFixed() {
    installCrd(IstioKinds.VIRTUAL_SERVICE);
    start(List.of(IstioKinds.VIRTUAL_SERVICE));
    apply(IstioKinds.VIRTUAL_SERVICE, vs("cart", "cart", 100));
    await().until(() -> events.size() == 1);
    Config good = events.get(0).current();

    apply(IstioKinds.VIRTUAL_SERVICE, vs("cart", "cart", "abc"));
    await().until(() -> rejected() == 1);
    assertThat(events).hasSize(1);
    assertThat(store.get(IstioKinds.VIRTUAL_SERVICE, "shop", "cart")).contains(good);

    apply(IstioKinds.VIRTUAL_SERVICE, vs("cart", "cart", 70));
    await().until(() -> events.size() == 2);
    assertThat(events.get(1).type()).isEqualTo(ConfigEvent.Type.UPDATE);
    assertThat(events.get(1).previous()).isEqualTo(good);
    assertThat(
            events.get(1).current().spec(VirtualService.class).getHttp(0).getRoute(0).getWeight())
        .isEqualTo(70);
    assertThat(rejected()).isEqualTo(1);
  }

  @Test
  void aKindWithoutItsCrdIsSyncedEmptyAndPickedUpOnceInstalled() {
    // The mock serves any resource; make it answer like an API server without the Gateway CRD.
    String notFound =
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
            + "\"reason\":\"NotFound\",\"code\":404}";
    server
        .expect()
        .get()
        .withPath("/apis/networking.istio.io/v1/gateways?limit=1")
        .andReturn(404, notFound)
        .always();
    installCrd(IstioKinds.VIRTUAL_SERVICE);
    start(List.of(IstioKinds.VIRTUAL_SERVICE, IstioKinds.GATEWAY));
    assertThat(store.list(IstioKinds.GATEWAY, null)).isEmpty();

    // Installed now, but the informer's first list still misses it once: the store goes back to
    // treating the kind as absent and checks again.
    server.clearExpectations();
    server
        .expect()
        .get()
        .withPath("/apis/networking.istio.io/v1/gateways?resourceVersion=0")
        .andReturn(404, notFound)
        .once();
    installCrd(IstioKinds.GATEWAY);
    apply(
        IstioKinds.GATEWAY,
        """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: ingress, namespace: shop}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: 80, name: http, protocol: HTTP}
            hosts: ["*"]
        """);
    await().until(() -> store.get(IstioKinds.GATEWAY, "shop", "ingress").isPresent());
    assertThat(events).extracting(e -> e.key().toString()).containsExactly("Gateway/shop/ingress");
    assertThat(store.hasSynced()).isTrue();
  }

  /** A minimal CRD for a Gateway API kind (the mock needs its scope, not its schema). */
  private void installGatewayApiCrd(ConfigKind kind) {
    String crd =
        """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: %s.%s}
        spec:
          group: %s
          names: {kind: %s, plural: %s}
          scope: %s
          versions:
          - name: %s
            served: true
            storage: true
            schema:
              openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
        """
            .formatted(
                kind.plural(),
                kind.group(),
                kind.group(),
                kind.kind(),
                kind.plural(),
                kind.clusterScoped() ? "Cluster" : "Namespaced",
                kind.versions().get(0));
    client
        .apiextensions()
        .v1()
        .customResourceDefinitions()
        .resource(
            client.getKubernetesSerialization().unmarshal(crd, CustomResourceDefinition.class))
        .create();
  }

  @Test
  void gatewayApiKindsAreWatchedWithTheirStatusAndClusterScopedClasses() {
    installGatewayApiCrd(GatewayApiKinds.GATEWAY_CLASS);
    installGatewayApiCrd(GatewayApiKinds.HTTP_ROUTE);
    String notFound =
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
            + "\"reason\":\"NotFound\",\"code\":404}";
    server
        .expect()
        .get()
        .withPath("/apis/gateway.networking.k8s.io/v1alpha2/tcproutes?limit=1")
        .andReturn(404, notFound)
        .always();
    client
        .genericKubernetesResources(
            new ResourceDefinitionContext.Builder()
                .withGroup(GatewayApiKinds.GROUP)
                .withVersion("v1beta1")
                .withKind("GatewayClass")
                .withPlural("gatewayclasses")
                .withNamespaced(false)
                .build())
        .resource(
            client
                .getKubernetesSerialization()
                .unmarshal(
                    """
                    apiVersion: gateway.networking.k8s.io/v1beta1
                    kind: GatewayClass
                    metadata: {name: istio}
                    spec: {controllerName: istio.io/gateway-controller}
                    """,
                    GenericKubernetesResource.class))
        .create();
    GenericKubernetesResource route =
        apply(
            GatewayApiKinds.HTTP_ROUTE,
            """
            apiVersion: gateway.networking.k8s.io/v1beta1
            kind: HTTPRoute
            metadata: {name: http, namespace: shop}
            spec:
              parentRefs: [{name: gateway}]
              rules: [{backendRefs: [{name: cart, port: 80}]}]
            """);
    // Without its CRD the alpha TCPRoute counts as synced and empty: istiod starts anyway.
    start(
        List.of(
            GatewayApiKinds.GATEWAY_CLASS, GatewayApiKinds.HTTP_ROUTE, GatewayApiKinds.TCP_ROUTE));
    await().until(() -> events.size() == 2);
    assertThat(store.list(GatewayApiKinds.TCP_ROUTE, null)).isEmpty();
    Config gatewayClass = store.get(GatewayApiKinds.GATEWAY_CLASS, "", "istio").orElseThrow();
    assertThat(gatewayClass.spec(GatewayClassSpec.class).getControllerName())
        .isEqualTo("istio.io/gateway-controller");

    // A status written by a controller is read (istiod merges into it), but is not a change.
    route.setAdditionalProperty(
        "status",
        Map.of(
            "parents",
            List.of(
                Map.of(
                    "parentRef", Map.of("name", "gateway"),
                    "controllerName", "example.com/other",
                    "conditions", List.of()))));
    client
        .genericKubernetesResources(context(GatewayApiKinds.HTTP_ROUTE, "v1beta1"))
        .inNamespace("shop")
        .resource(route)
        .updateStatus();
    await()
        .until(
            () ->
                store
                    .get(GatewayApiKinds.HTTP_ROUTE, "shop", "http")
                    .map(c -> c.status(RouteStatus.class).getParentsCount() == 1)
                    .orElse(false));
    assertThat(
            store
                .get(GatewayApiKinds.HTTP_ROUTE, "shop", "http")
                .orElseThrow()
                .status(RouteStatus.class)
                .getParents(0)
                .getControllerName())
        .isEqualTo("example.com/other");
    assertThat(events).hasSize(2);
  }

  @Test
  void builtInIngressKindsAreWatchedWithoutACrd() {
    client
        .genericKubernetesResources(
            new ResourceDefinitionContext.Builder()
                .withGroup(IngressKinds.GROUP)
                .withVersion("v1")
                .withKind("IngressClass")
                .withPlural("ingressclasses")
                .withNamespaced(false)
                .build())
        .resource(
            client
                .getKubernetesSerialization()
                .unmarshal(
                    """
                    apiVersion: networking.k8s.io/v1
                    kind: IngressClass
                    metadata: {name: istio}
                    spec: {controller: istio.io/ingress-controller}
                    """,
                    GenericKubernetesResource.class))
        .create();
    apply(
        IngressKinds.INGRESS,
        """
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: web, namespace: shop}
        spec:
          ingressClassName: istio
          tls: [{hosts: [web.example.com], secretName: web-cert}]
          rules:
          - host: web.example.com
            http:
              paths:
              - path: /
                pathType: Prefix
                backend: {service: {name: web, port: {name: http}}}
        status:
          loadBalancer: {ingress: [{ip: 203.0.113.9}]}
        """);
    start(IngressKinds.ALL);

    Config ingress = store.get(IngressKinds.INGRESS, "shop", "web").orElseThrow();
    IngressSpec spec = ingress.spec(IngressSpec.class);
    assertThat(spec.getIngressClassName()).isEqualTo("istio");
    assertThat(spec.getTls(0).getSecretName()).isEqualTo("web-cert");
    assertThat(spec.getRules(0).getHttp().getPaths(0).getBackend().getService().getPort().getName())
        .isEqualTo("http");
    assertThat(ingress.status(IngressStatus.class).getLoadBalancer().getIngress(0).getIp())
        .isEqualTo("203.0.113.9");
    assertThat(
            store
                .get(IngressKinds.INGRESS_CLASS, "", "istio")
                .orElseThrow()
                .spec(IngressClassSpec.class)
                .getController())
        .isEqualTo("istio.io/ingress-controller");
  }
}

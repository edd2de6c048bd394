package io.jistiod.istiod.gatewayapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.jistiod.galley.api.gateway.v1.Condition;
import io.jistiod.galley.api.gateway.v1.GatewayClassSpec;
import io.jistiod.galley.api.gateway.v1.GatewayClassStatus;
import io.jistiod.galley.api.gateway.v1.HTTPRouteSpec;
import io.jistiod.galley.api.gateway.v1.ParentReference;
import io.jistiod.galley.api.gateway.v1.RouteParentStatus;
import io.jistiod.galley.api.gateway.v1.RouteStatus;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.ConfigKey;
import io.jistiod.galley.config.ConfigKind;
import io.jistiod.galley.config.ConfigMeta;
import io.jistiod.galley.config.GatewayApiKinds;
import io.jistiod.galley.crd.CrdGenerator;
import io.jistiod.galley.parse.ProtoJsonReader;
import io.jistiod.galley.parse.ProtoJsonWriter;
import io.jistiod.pilot.gatewayapi.GatewayApiResult;
import io.jistiod.pilot.gatewayapi.GatewayApiResult.StatusUpdate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** GatewayStatusWriter against a CRUD mock API server with the Gateway API CRDs installed. */
@EnableKubernetesMockClient(crud = true)
class GatewayStatusWriterTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  KubernetesClient client;
  KubernetesMockServer server;

  /** Objects the "informer" still holds although the API server no longer has them. */
  private final Map<ConfigKey, Config> stale = new ConcurrentHashMap<>();

  /** Every write attempted, in order: the object and its status JSON. */
  private final List<String> attempts = new CopyOnWriteArrayList<>();

  /** The resourceVersion each object's last write was conditioned on. */
  private final Map<ConfigKey, String> sentVersions = new ConcurrentHashMap<>();

  private GatewayStatusWriter writer;

  @BeforeEach
  void crds() {
    for (ConfigKind kind : List.of(GatewayApiKinds.GATEWAY_CLASS, GatewayApiKinds.HTTP_ROUTE)) {
      client
          .apiextensions()
          .v1()
          .customResourceDefinitions()
          .resource(
              client
                  .getKubernetesSerialization()
                  .convertValue(
                      CrdGenerator.customResourceDefinition(kind), CustomResourceDefinition.class))
          .create();
    }
  }

  @AfterEach
  void stop() {
    if (writer != null) {
      writer.close();
    }
  }

  private static ConditionFactory await() {
    return Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20));
  }

  private GatewayStatusWriter writer(StatusSubresource api) {
    StatusSubresource recording =
        (key, resourceVersion, status) -> {
          attempts.add(key + " " + status);
          sentVersions.put(key, resourceVersion);
          api.replace(key, resourceVersion, status);
        };
    writer = new GatewayStatusWriter(recording, this::live);
    return writer;
  }

  private GatewayStatusWriter writer() {
    return writer(new KubeStatusSubresource(client));
  }

  // --- the API server's objects, as the config store would read them -------------------------

  private NonNamespaceOperation<
          GenericKubernetesResource,
          io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
          Resource<GenericKubernetesResource>>
      resources(ConfigKind kind, String namespace) {
    var all =
        client.genericKubernetesResources(
            new ResourceDefinitionContext.Builder()
                .withGroup(kind.group())
                .withVersion(kind.versions().get(0))
                .withKind(kind.kind())
                .withPlural(kind.plural())
                .withNamespaced(!kind.clusterScoped())
                .build());
    return kind.clusterScoped() ? all : all.inNamespace(namespace);
  }

  private Config create(ConfigKind kind, String namespace, String name) {
    GenericKubernetesResource r = new GenericKubernetesResource();
    r.setApiVersion(kind.apiVersion());
    r.setKind(kind.kind());
    r.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMeta());
    r.getMetadata().setName(name);
    if (!kind.clusterScoped()) {
      r.getMetadata().setNamespace(namespace);
    }
    r.setAdditionalProperty("spec", Map.of());
    return toConfig(kind, resources(kind, namespace).resource(r).create());
  }

  private GenericKubernetesResource get(ConfigKey key) {
    return resources(key.kind(), key.namespace()).withName(key.name()).get();
  }

  private Optional<Config> live(ConfigKey key) {
    Config cached = stale.get(key);
    if (cached != null) {
      return Optional.of(cached);
    }
    GenericKubernetesResource r = get(key);
    return r == null ? Optional.empty() : Optional.of(toConfig(key.kind(), r));
  }

  private Config toConfig(ConfigKind kind, GenericKubernetesResource r) {
    Object rawStatus = r.getAdditionalProperties().get("status");
    com.google.protobuf.Message status = null;
    if (rawStatus != null) {
      var builder = kind.statusPrototype().newBuilderForType();
      try {
        ProtoJsonReader.merge(JSON.valueToTree(rawStatus), builder, "status");
      } catch (io.jistiod.galley.parse.SpecConversionException e) {
        throw new AssertionError(e);
      }
      status = builder.build();
    }
    Long generation = r.getMetadata().getGeneration();
    return new Config(
        new ConfigMeta(
            kind,
            r.getMetadata().getName(),
            kind.clusterScoped() ? "" : r.getMetadata().getNamespace(),
            Map.of(),
            Map.of(),
            r.getMetadata().getResourceVersion(),
            generation == null ? 0 : generation),
        kind == GatewayApiKinds.GATEWAY_CLASS
            ? GatewayClassSpec.getDefaultInstance()
            : HTTPRouteSpec.getDefaultInstance(),
        status);
  }

  private JsonNode statusOf(ConfigKey key) {
    GenericKubernetesResource r = get(key);
    Object status = r == null ? null : r.getAdditionalProperties().get("status");
    return status == null ? NullNode.instance : JSON.valueToTree(status);
  }

  // --- statuses --------------------------------------------------------------------------------

  private static RouteStatus accepted(String reason) {
    return RouteStatus.newBuilder()
        .addParents(
            RouteParentStatus.newBuilder()
                .setParentRef(ParentReference.newBuilder().setName("gateway"))
                .setControllerName("istio.io/gateway-controller")
                .addConditions(
                    Condition.newBuilder()
                        .setType("Accepted")
                        .setStatus("True")
                        .setObservedGeneration(1)
                        .setLastTransitionTime("2025-01-01T00:00:00Z")
                        .setReason(reason)
                        .setMessage("Route was valid")))
        .build();
  }

  private static GatewayApiResult result(StatusUpdate... updates) {
    return new GatewayApiResult(List.of(), List.of(), List.of(updates));
  }

  private static ObjectNode json(com.google.protobuf.Message status) {
    return ProtoJsonWriter.write(status);
  }

  // --- tests -----------------------------------------------------------------------------------

  @Test
  void writesTheComputedStatusToTheStatusSubresourceAtTheWatchedVersion() throws Exception {
    Config route = create(GatewayApiKinds.HTTP_ROUTE, "shop", "cart");
    Config gatewayClass = create(GatewayApiKinds.GATEWAY_CLASS, "", "istio");
    GatewayClassStatus classStatus =
        GatewayClassStatus.newBuilder()
            .addConditions(
                Condition.newBuilder()
                    .setType("Accepted")
                    .setStatus("True")
                    .setReason("Accepted")
                    .setMessage("Handled by Istio controller")
                    .setLastTransitionTime("2025-01-01T00:00:00Z"))
            .build();
    writer().lead();

    writer.accept(
        result(
            new StatusUpdate(route, accepted("Accepted")),
            new StatusUpdate(gatewayClass, classStatus)));

    await().until(() -> json(accepted("Accepted")).equals(statusOf(route.key())));
    await().until(() -> json(classStatus).equals(statusOf(gatewayClass.key())));
    // the requests: a PUT of each object's /status at the version istiod watches, carrying the
    // resourceVersion it was computed from, under istiod's field manager
    List<RecordedRequest> puts = new ArrayList<>();
    for (RecordedRequest r = server.takeRequest(100, TimeUnit.MILLISECONDS);
        r != null;
        r = server.takeRequest(100, TimeUnit.MILLISECONDS)) {
      if ("PUT".equals(r.getMethod())) {
        puts.add(r);
      }
    }
    assertThat(puts)
        .extracting(RecordedRequest::getPath)
        .containsExactlyInAnyOrder(
            "/apis/gateway.networking.k8s.io/v1beta1/namespaces/shop/httproutes/cart/status"
                + "?fieldManager=pilot-discovery",
            "/apis/gateway.networking.k8s.io/v1beta1/gatewayclasses/istio/status"
                + "?fieldManager=pilot-discovery");
    // (the mock server keeps no request bodies; the 409 test shows the version is enforced)
    assertThat(sentVersions)
        .containsOnly(
            Map.entry(route.key(), route.meta().resourceVersion()),
            Map.entry(gatewayClass.key(), gatewayClass.meta().resourceVersion()));
  }

  @Test
  void aReplicaThatDoesNotLeadWritesNothingAndWritesTheLatestStatusWhenItLeads() {
    Config route = create(GatewayApiKinds.HTTP_ROUTE, "shop", "cart");
    writer();

    writer.accept(result(new StatusUpdate(route, accepted("First"))));
    writer.accept(result(new StatusUpdate(route, accepted("Latest"))));
    Awaitility.await()
        .during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(2))
        .until(() -> attempts.isEmpty() && statusOf(route.key()).isNull());

    // nothing changed since, but the new leader writes what the last conversion wants
    writer.lead();
    await().until(() -> json(accepted("Latest")).equals(statusOf(route.key())));
    assertThat(attempts).hasSize(1);
  }

  @Test
  void aReplicaThatStopsLeadingStopsWriting() {
    Config cart = create(GatewayApiKinds.HTTP_ROUTE, "shop", "cart");
    Config checkout = create(GatewayApiKinds.HTTP_ROUTE, "shop", "checkout");
    AutoCloseable leadership = writer().lead();
    writer.accept(result(new StatusUpdate(cart, accepted("Accepted"))));
    await().until(() -> json(accepted("Accepted")).equals(statusOf(cart.key())));

    assertThat(writer.isLeading()).isTrue();
    closeQuietly(leadership);
    assertThat(writer.isLeading()).isFalse();
    writer.accept(result(new StatusUpdate(checkout, accepted("Accepted"))));
    Awaitility.await()
        .during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(2))
        .until(() -> attempts.size() == 1 && statusOf(checkout.key()).isNull());
  }

  @Test
  void aFailedWriteDoesNotStopLaterWritesOfOtherObjects() {
    Config gone = create(GatewayApiKinds.HTTP_ROUTE, "shop", "gone");
    Config moved = create(GatewayApiKinds.HTTP_ROUTE, "shop", "moved");
    Config cart = create(GatewayApiKinds.HTTP_ROUTE, "shop", "cart");
    // the informer still holds "gone" (the API server answers 404) and an old "moved" (409)
    resources(GatewayApiKinds.HTTP_ROUTE, "shop").withName("gone").delete();
    await().until(() -> get(gone.key()) == null);
    stale.put(gone.key(), gone);
    GenericKubernetesResource newer = get(moved.key());
    newer.getMetadata().setLabels(Map.of("edited", "yes"));
    resources(GatewayApiKinds.HTTP_ROUTE, "shop").resource(newer).update();
    stale.put(moved.key(), moved);
    writer().lead();

    writer.accept(
        result(
            new StatusUpdate(gone, accepted("Accepted")),
            new StatusUpdate(moved, accepted("Accepted")),
            new StatusUpdate(cart, accepted("Accepted"))));
    await().until(() -> json(accepted("Accepted")).equals(statusOf(cart.key())));

    // the next result still writes: the writer survived both failures
    Config checkout = create(GatewayApiKinds.HTTP_ROUTE, "shop", "checkout");
    writer.accept(result(new StatusUpdate(checkout, accepted("Accepted"))));
    await().until(() -> json(accepted("Accepted")).equals(statusOf(checkout.key())));
    assertThat(attempts).hasSize(4);
    assertThat(statusOf(moved.key()).isNull()).isTrue();
  }

  @Test
  void aNewerResultSupersedesTheQueuedStatusOfTheSameObject() throws Exception {
    Config first = create(GatewayApiKinds.HTTP_ROUTE, "shop", "first");
    Config cart = create(GatewayApiKinds.HTTP_ROUTE, "shop", "cart");
    CountDownLatch writing = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    KubeStatusSubresource kube = new KubeStatusSubresource(client);
    writer(
            (key, resourceVersion, status) -> {
              if (key.equals(first.key())) {
                // hold the writer thread on its first write while results queue up
                writing.countDown();
                await(release);
              }
              kube.replace(key, resourceVersion, status);
            })
        .lead();

    writer.accept(result(new StatusUpdate(first, accepted("Accepted"))));
    assertThat(writing.await(10, TimeUnit.SECONDS)).isTrue();
    writer.accept(result(new StatusUpdate(cart, accepted("Older"))));
    writer.accept(result(new StatusUpdate(cart, accepted("Newer"))));
    release.countDown();

    await().until(() -> json(accepted("Newer")).equals(statusOf(cart.key())));
    assertThat(attempts)
        .containsExactly(
            first.key() + " " + json(accepted("Accepted")),
            cart.key() + " " + json(accepted("Newer")));
  }

  @Test
  void skipsObjectsWhoseStatusIsLiveOrWhoseGenerationMovedOn() {
    Config cart = create(GatewayApiKinds.HTTP_ROUTE, "shop", "cart");
    Config old = create(GatewayApiKinds.HTTP_ROUTE, "shop", "old");
    writer().lead();
    writer.accept(result(new StatusUpdate(cart, accepted("Accepted"))));
    await().until(() -> json(accepted("Accepted")).equals(statusOf(cart.key())));

    // the same status again (already live), and a status computed for an older generation
    Config oldGeneration =
        new Config(
            new ConfigMeta(
                old.meta().kind(),
                old.name(),
                old.namespace(),
                Map.of(),
                Map.of(),
                old.meta().resourceVersion(),
                old.meta().generation() - 1),
            old.spec());
    writer.accept(
        result(
            new StatusUpdate(cart, accepted("Accepted")),
            new StatusUpdate(oldGeneration, accepted("Accepted"))));
    Awaitility.await()
        .during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(2))
        .until(() -> attempts.size() == 1 && statusOf(old.key()).isNull());
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}

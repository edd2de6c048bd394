package io.jistiod.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.ApiListener;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.jistiod.istiod.Istiod;
import io.jistiod.istiod.IstiodOptions;
import io.jistiod.it.support.EnvoyValidator;
import io.jistiod.it.support.EnvoyValidator.Result;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every xDS resource istiod generates for the bundled sample mesh satisfies Envoy's own proto
 * constraints (protoc-gen-validate rules, checked by go-control-plane's generated code through
 * {@link EnvoyValidator}), including the configs nested in {@code Any} fields. Negative controls
 * prove the checker rejects what Envoy would, so the test cannot pass vacuously.
 */
class EnvoyConstraintsTest {
  private static final String LDS = "type.googleapis.com/envoy.config.listener.v3.Listener";
  private static final String RDS = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
  private static final String CDS = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
  private static final String EDS =
      "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

  private static final String GREETER = "greeter.default.svc.cluster.local";
  private static final String SERVER_LISTENER = "xds.istio.io/grpc/lds/inbound/0.0.0.0:50061";

  private static final String HCM_TYPE =
      "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";

  /**
   * Violations our generators are known to produce, as the validator words them. Istio's own
   * grpcgen produces the same: its HttpConnectionManagers have no stat_prefix, which gRPC ignores
   * but Envoy's rules require. Anything else fails the test; so does an entry that no longer occurs
   * (the generator was fixed: delete the entry).
   */
  /** Violations we accept on purpose; empty: every generated resource must pass. */
  private static final Set<String> KNOWN_VIOLATIONS = Set.of();

  private static Istiod istiod;
  private static ManagedChannel channel;

  @BeforeAll
  static void startIstiod() throws IOException {
    istiod =
        new Istiod(
            IstiodOptions.defaults(Path.of("../samples/mesh"))
                .withAddresses("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"));
    istiod.start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", istiod.grpcPort()).usePlaintext().build();
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (istiod != null) {
      istiod.close();
    }
  }

  @Test
  void resourcesAProxylessClientAndServerFetchSatisfyEnvoysConstraints() throws Exception {
    Map<String, Map<String, Any>> got;
    try (AdsSession ads = new AdsSession(channel, "client-1")) {
      got = ads.followReferences(Set.of(GREETER + ":50051", "ratings:9080", SERVER_LISTENER));
    }

    // The walk reached everything the sample mesh defines, so the check below is not vacuous.
    assertThat(got.get(LDS).keySet())
        .containsExactlyInAnyOrder(GREETER + ":50051", "ratings:9080", SERVER_LISTENER);
    assertThat(got.get(RDS).keySet())
        .contains("outbound|50051||" + GREETER, "outbound|9080||ratings.default.svc.cluster.local");
    assertThat(got.get(CDS).keySet())
        .contains(
            "outbound|50051|v1|" + GREETER,
            "outbound|50051|v2|" + GREETER,
            "outbound|9080||ratings.default.svc.cluster.local");
    assertThat(got.get(EDS)).isNotEmpty();

    assertThat(assertValidExceptKnown(all(got)))
        .as("known violations still produced (delete fixed ones from KNOWN_VIOLATIONS)")
        .isEqualTo(KNOWN_VIOLATIONS);
  }

  @Test
  void wildcardListenersAndClustersSatisfyEnvoysConstraints() throws Exception {
    List<Any> resources = new ArrayList<>();
    try (AdsSession ads = new AdsSession(channel, "client-2")) {
      ads.subscribe(LDS, Set.of());
      resources.addAll(ads.await(LDS, Set.of(GREETER + ":50051")).getResourcesList());
      ads.subscribe(CDS, Set.of());
      resources.addAll(ads.await(CDS, Set.of("outbound|50051||" + GREETER)).getResourcesList());
    }
    assertValidExceptKnown(resources);
  }

  @Test
  void invalidResourcesAreReported() {
    HttpFilter router = filter("envoy.filters.http.router", Any.pack(Router.getDefaultInstance()));
    // Two levels of Any: Listener -> HCM (itself valid) -> HTTPFault with an out-of-range status.
    HTTPFault badFault =
        HTTPFault.newBuilder().setAbort(FaultAbort.newBuilder().setHttpStatus(99)).build();
    HTTPFault goodFault =
        HTTPFault.newBuilder().setAbort(FaultAbort.newBuilder().setHttpStatus(503)).build();
    Listener good =
        socketListener(
            "good",
            hcm("in").addHttpFilters(filter("fault", Any.pack(goodFault))).addHttpFilters(router));
    Listener deepBad =
        socketListener(
            "deep-bad",
            hcm("in").addHttpFilters(filter("fault", Any.pack(badFault))).addHttpFilters(router));
    // An api_listener whose HCM has no route specifier and an unnamed filter.
    Listener apiBad =
        Listener.newBuilder()
            .setName("api-bad")
            .setApiListener(
                ApiListener.newBuilder()
                    .setApiListener(
                        Any.pack(
                            HttpConnectionManager.newBuilder()
                                .setStatPrefix("x")
                                .addHttpFilters(filter("", Any.pack(Router.getDefaultInstance())))
                                .build())))
            .build();
    Cluster badCluster =
        Cluster.newBuilder().setConnectTimeout(Duration.newBuilder().setSeconds(-1)).build();
    Any unknown =
        Any.newBuilder()
            .setTypeUrl("type.googleapis.com/istio.not.a.Type")
            .setValue(
                Struct.newBuilder()
                    .putFields("a", Value.newBuilder().setNumberValue(1).build())
                    .build()
                    .toByteString())
            .build();

    List<Any> input =
        List.of(Any.pack(good), Any.pack(deepBad), Any.pack(apiBad), Any.pack(badCluster), unknown);
    List<Result> results = EnvoyValidator.get().validate(input);

    assertThat(results).extracting(Result::ok).containsExactly(true, false, false, false, false);
    assertThat(results)
        .extracting(Result::name)
        .containsExactly("good", "deep-bad", "api-bad", "", "");
    assertThat(String.join("\n", results.get(1).errors()))
        .contains(
            "filter_chains[0].filters[0].typed_config"
                + "<envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager>"
                + ".http_filters[0].typed_config<envoy.extensions.filters.http.fault.v3.HTTPFault>",
            "FaultAbort.HttpStatus");
    assertThat(String.join("\n", results.get(2).errors()))
        .contains(
            "api_listener.api_listener<envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager>",
            "HttpConnectionManager.RouteSpecifier: value is required",
            "HttpFilter.Name");
    assertThat(results.get(3).errors())
        .anySatisfy(e -> assertThat(e).contains("Cluster.Name"))
        .anySatisfy(e -> assertThat(e).contains("Cluster.ConnectTimeout"));
    assertThat(results.get(4).errors())
        .singleElement()
        .asString()
        .contains("unknown type \"type.googleapis.com/istio.not.a.Type\"");

    // assertValid names each offender's type, name and errors.
    assertThatThrownBy(() -> EnvoyValidator.get().assertValid(input))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("4 of 5 resources")
        .hasMessageContaining("#1 " + LDS + " \"deep-bad\"")
        .hasMessageContaining("#3 " + CDS + " \"\"")
        .hasMessageContaining("Cluster.ConnectTimeout")
        .hasMessageNotContaining("\"good\"");
    EnvoyValidator.get().assertValid(List.of(Any.pack(good)));
  }

  /**
   * Fails on any violation outside {@link #KNOWN_VIOLATIONS}, naming each offender's type, name and
   * errors; returns the known violations seen.
   */
  private static Set<String> assertValidExceptKnown(List<Any> resources) {
    List<Result> results = EnvoyValidator.get().validate(resources);
    EnvoyValidator.logWarnings(results);
    Set<String> seen = new TreeSet<>();
    StringBuilder unexpected = new StringBuilder();
    for (Result r : results) {
      List<String> errors = new ArrayList<>();
      for (String e : r.errors()) {
        if (KNOWN_VIOLATIONS.contains(e)) {
          seen.add(e);
        } else {
          errors.add(e);
        }
      }
      if (!errors.isEmpty()) {
        Result left = new Result(r.index(), r.type(), r.name(), false, errors, r.warnings());
        unexpected.append("\n  ").append(left.describe());
      }
    }
    if (unexpected.length() > 0) {
      throw new AssertionError(
          "resources break Envoy's constraints (of " + resources.size() + "):" + unexpected);
    }
    return seen;
  }

  private static HttpFilter filter(String name, Any config) {
    return HttpFilter.newBuilder().setName(name).setTypedConfig(config).build();
  }

  private static HttpConnectionManager.Builder hcm(String statPrefix) {
    return HttpConnectionManager.newBuilder()
        .setStatPrefix(statPrefix)
        .setRds(
            Rds.newBuilder()
                .setRouteConfigName("r")
                .setConfigSource(
                    ConfigSource.newBuilder().setAds(AggregatedConfigSource.getDefaultInstance())));
  }

  private static Listener socketListener(String name, HttpConnectionManager.Builder hcm) {
    return Listener.newBuilder()
        .setName(name)
        .addFilterChains(
            FilterChain.newBuilder()
                .addFilters(
                    Filter.newBuilder()
                        .setName("envoy.filters.network.http_connection_manager")
                        .setTypedConfig(Any.pack(hcm.build()))))
        .build();
  }

  private static List<Any> all(Map<String, Map<String, Any>> byType) {
    List<Any> out = new ArrayList<>();
    byType.values().forEach(m -> out.addAll(m.values()));
    return out;
  }

  /**
   * A raw state-of-the-world ADS stream, as a proxyless gRPC client opens it: ACKs every response
   * and lets the test change subscriptions.
   */
  private static final class AdsSession implements AutoCloseable {
    private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    private final StreamObserver<DiscoveryRequest> requests;
    private final Node node;
    private final Map<String, Set<String>> subscriptions = new HashMap<>();
    private final Map<String, DiscoveryResponse> latest = new HashMap<>();
    private boolean first = true;

    AdsSession(ManagedChannel channel, String pod) {
      node =
          Node.newBuilder()
              .setId("sidecar~127.0.0.1~" + pod + ".default~default.svc.cluster.local")
              .setMetadata(
                  Struct.newBuilder()
                      .putFields("GENERATOR", Value.newBuilder().setStringValue("grpc").build())
                      .putFields("NAMESPACE", Value.newBuilder().setStringValue("default").build()))
              .build();
      requests =
          AggregatedDiscoveryServiceGrpc.newStub(channel)
              .streamAggregatedResources(
                  new StreamObserver<>() {
                    @Override
                    public void onNext(DiscoveryResponse r) {
                      events.add(r);
                    }

                    @Override
                    public void onError(Throwable t) {
                      events.add(t);
                    }

                    @Override
                    public void onCompleted() {
                      events.add(new IllegalStateException("stream closed by istiod"));
                    }
                  });
    }

    /**
     * LDS for {@code listeners}, then RDS, CDS and EDS for every name the resources received so far
     * refer to, until nothing new is referenced. Returns the resources by type and name.
     */
    Map<String, Map<String, Any>> followReferences(Set<String> listeners) throws Exception {
      Map<String, Map<String, Any>> got = new LinkedHashMap<>();
      for (String type : List.of(LDS, RDS, CDS, EDS)) {
        got.put(type, new LinkedHashMap<>());
      }
      Map<String, Set<String>> wanted = new HashMap<>();
      wanted.put(LDS, new TreeSet<>(listeners));
      boolean changed = true;
      while (changed) {
        changed = false;
        for (String type : List.of(LDS, RDS, CDS, EDS)) {
          Set<String> names = wanted.getOrDefault(type, Set.of());
          if (names.isEmpty() || names.equals(subscriptions.get(type))) {
            continue;
          }
          changed = true;
          subscribe(type, names);
          DiscoveryResponse r = await(type, names);
          for (Any a : r.getResourcesList()) {
            got.get(type).put(name(a), a);
            references(a, wanted);
          }
        }
      }
      return got;
    }

    void subscribe(String type, Set<String> names) {
      subscriptions.put(type, new TreeSet<>(names));
      send(type);
    }

    /** The first response of {@code type} that holds all of {@code names}, ACKing everything. */
    DiscoveryResponse await(String type, Set<String> names) throws Exception {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      DiscoveryResponse last = null;
      while (true) {
        Object e = events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (e == null) {
          throw new AssertionError(
              "no "
                  + type
                  + " response with "
                  + names
                  + " within 10 s; last: "
                  + (last == null ? "none" : names(last)));
        }
        if (e instanceof Throwable t) {
          throw new AssertionError("ADS stream failed", t);
        }
        DiscoveryResponse r = (DiscoveryResponse) e;
        latest.put(r.getTypeUrl(), r);
        send(r.getTypeUrl()); // ACK
        if (r.getTypeUrl().equals(type)) {
          last = r;
          if (names(r).containsAll(names)) {
            return r;
          }
        }
      }
    }

    private void send(String type) {
      DiscoveryRequest.Builder b =
          DiscoveryRequest.newBuilder()
              .setTypeUrl(type)
              .addAllResourceNames(subscriptions.getOrDefault(type, Set.of()));
      DiscoveryResponse r = latest.get(type);
      if (r != null) {
        b.setVersionInfo(r.getVersionInfo()).setResponseNonce(r.getNonce());
      }
      if (first) {
        b.setNode(node);
        first = false;
      }
      requests.onNext(b.build());
    }

    private static Set<String> names(DiscoveryResponse r) throws InvalidProtocolBufferException {
      Set<String> out = new TreeSet<>();
      for (Any a : r.getResourcesList()) {
        out.add(name(a));
      }
      return out;
    }

    private static String name(Any a) throws InvalidProtocolBufferException {
      switch (a.getTypeUrl()) {
        case LDS:
          return a.unpack(Listener.class).getName();
        case RDS:
          return a.unpack(RouteConfiguration.class).getName();
        case CDS:
          return a.unpack(Cluster.class).getName();
        case EDS:
          return a.unpack(ClusterLoadAssignment.class).getClusterName();
        default:
          throw new AssertionError("unexpected resource type " + a.getTypeUrl());
      }
    }

    /** Adds the RDS, CDS and EDS names resource {@code a} refers to. */
    private static void references(Any a, Map<String, Set<String>> wanted)
        throws InvalidProtocolBufferException {
      switch (a.getTypeUrl()) {
        case LDS -> {
          Listener l = a.unpack(Listener.class);
          List<Any> hcms = new ArrayList<>();
          if (l.hasApiListener()) {
            hcms.add(l.getApiListener().getApiListener());
          }
          for (FilterChain fc : l.getFilterChainsList()) {
            for (Filter f : fc.getFiltersList()) {
              hcms.add(f.getTypedConfig());
            }
          }
          for (Any h : hcms) {
            if (h.is(HttpConnectionManager.class)) {
              HttpConnectionManager hcm = h.unpack(HttpConnectionManager.class);
              if (hcm.hasRds()) {
                add(wanted, RDS, hcm.getRds().getRouteConfigName());
              }
              if (hcm.hasRouteConfig()) {
                routeClusters(hcm.getRouteConfig(), wanted);
              }
            }
          }
        }
        case RDS -> routeClusters(a.unpack(RouteConfiguration.class), wanted);
        case CDS -> {
          Cluster c = a.unpack(Cluster.class);
          if (c.getType() == Cluster.DiscoveryType.EDS) {
            String service = c.getEdsClusterConfig().getServiceName();
            add(wanted, EDS, service.isEmpty() ? c.getName() : service);
          }
        }
        default -> {}
      }
    }

    private static void routeClusters(RouteConfiguration rc, Map<String, Set<String>> wanted) {
      for (VirtualHost vh : rc.getVirtualHostsList()) {
        for (Route route : vh.getRoutesList()) {
          if (!route.hasRoute()) {
            continue;
          }
          if (!route.getRoute().getCluster().isEmpty()) {
            add(wanted, CDS, route.getRoute().getCluster());
          }
          for (WeightedCluster.ClusterWeight w :
              route.getRoute().getWeightedClusters().getClustersList()) {
            add(wanted, CDS, w.getName());
          }
        }
      }
    }

    private static void add(Map<String, Set<String>> wanted, String type, String name) {
      wanted.computeIfAbsent(type, t -> new TreeSet<>()).add(name);
    }

    @Override
    public void close() {
      requests.onCompleted();
    }
  }
}

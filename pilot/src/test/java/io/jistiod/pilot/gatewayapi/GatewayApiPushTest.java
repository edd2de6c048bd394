package io.jistiod.pilot.gatewayapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.GatewayApiKinds;
import io.jistiod.galley.config.MemoryConfigStore;
import io.jistiod.galley.mesh.MeshConfigs;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.galley.parse.ParseResult;
import io.jistiod.pilot.envoy.listener.EnvoyListenerGenerator;
import io.jistiod.pilot.envoy.route.EnvoyRouteGenerator;
import io.jistiod.pilot.envoy.secret.CredentialSource;
import io.jistiod.pilot.model.Endpoint;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServiceAttributes;
import io.jistiod.pilot.model.ServiceDiscovery;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.push.PushContextBuilder;
import io.jistiod.pilot.push.PushRequest;
import io.jistiod.pilot.serviceentry.ServiceEntryRegistry;
import io.jistiod.pilot.xds.XdsResource;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The Gateway API served end to end in one push: the generated Istio Gateway binds the gateway
 * proxy behind the Gateway's Service, and the HTTPRoute becomes its routes.
 */
class GatewayApiPushTest {
  private static final String GATEWAY_IP = "10.9.0.50";

  /** Services as a Kubernetes cluster would hold them (ServiceEntries relabelled as Services). */
  private static final String SERVICES =
      """
      apiVersion: networking.istio.io/v1
      kind: ServiceEntry
      metadata: {name: gw-istio, namespace: shop}
      spec:
        hosts: [gw-istio.shop.svc.cluster.local]
        addresses: [10.0.0.50]
        location: MESH_INTERNAL
        resolution: STATIC
        ports: [{name: http, number: 80, targetPort: 8080}]
        endpoints: [{address: 10.9.0.50, labels: {gateway.networking.k8s.io/gateway-name: gw}}]
      ---
      apiVersion: networking.istio.io/v1
      kind: ServiceEntry
      metadata: {name: httpbin, namespace: shop}
      spec:
        hosts: [httpbin.shop.svc.cluster.local]
        addresses: [10.0.0.60]
        location: MESH_INTERNAL
        resolution: STATIC
        ports: [{name: http, number: 8000, targetPort: 80}]
        endpoints: [{address: 10.1.0.1}]
      """;

  private static final String GATEWAY_AND_ROUTE =
      """
      apiVersion: gateway.networking.k8s.io/v1
      kind: Gateway
      metadata: {name: gw, namespace: shop, generation: 1}
      spec:
        gatewayClassName: istio
        listeners:
        - {name: http, port: 80, protocol: HTTP}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: get, namespace: shop, generation: 1}
      spec:
        parentRefs: [{name: gw}]
        hostnames: [a.example.com]
        rules:
        - matches: [{path: {type: PathPrefix, value: /get}}]
          backendRefs: [{name: httpbin, port: 8000}]
      """;

  private static ServiceDiscovery kubernetesLike(MemoryConfigStore store) {
    ServiceEntryRegistry entries = new ServiceEntryRegistry(store);
    return new ServiceDiscovery() {
      @Override
      public List<Service> services() {
        return entries.services().stream()
            .map(
                s ->
                    new Service(
                        s.hostname(),
                        s.namespace(),
                        s.ports(),
                        s.addresses(),
                        s.resolution(),
                        s.exportTo(),
                        new ServiceAttributes(
                            ServiceAttributes.KUBERNETES,
                            s.hostname().substring(0, s.hostname().indexOf('.')),
                            Map.of(),
                            Map.of(),
                            false,
                            "")))
            .toList();
      }

      @Override
      public List<Endpoint> endpoints() {
        return entries.endpoints();
      }
    };
  }

  /** The golden scenarios' throw-away *.example.com key pair, as a Secret {@code shop/cred}. */
  private static CredentialSource credentials() throws Exception {
    var yaml =
        new com.fasterxml.jackson.databind.ObjectMapper(
            new com.fasterxml.jackson.dataformat.yaml.YAMLFactory());
    java.nio.file.Path kube =
        java.nio.file.Path.of("src/test/resources/golden/gwapi-http/kube.yaml");
    try (var parser = yaml.getFactory().createParser(kube.toFile())) {
      for (var it = yaml.readValues(parser, com.fasterxml.jackson.databind.JsonNode.class);
          it.hasNext(); ) {
        var doc = it.next();
        if (doc != null && doc.path("kind").asText().equals("Secret")) {
          Map<String, com.google.protobuf.ByteString> data = new java.util.HashMap<>();
          doc.path("data")
              .fields()
              .forEachRemaining(
                  e ->
                      data.put(
                          e.getKey(),
                          com.google.protobuf.ByteString.copyFrom(
                              java.util.Base64.getDecoder().decode(e.getValue().asText()))));
          var secret = new CredentialSource.SecretData("shop", "cred", "kubernetes.io/tls", data);
          return (ns, name) ->
              ns.equals("shop") && name.equals("cred")
                  ? java.util.Optional.of(secret)
                  : java.util.Optional.empty();
        }
      }
    }
    throw new IllegalStateException("no Secret in " + kube);
  }

  private static PushContext push(boolean gatewayApi) {
    return push(gatewayApi, CredentialSource.NONE, GATEWAY_AND_ROUTE);
  }

  private static PushContext push(boolean gatewayApi, CredentialSource secrets, String config) {
    MemoryConfigStore store = new MemoryConfigStore();
    ConfigParser parser = new ConfigParser(GatewayApiKinds.withIstioKinds(true, false), "shop");
    for (String doc : List.of(SERVICES, config)) {
      ParseResult r = parser.parse(doc, "test");
      assertThat(r.errors()).isEmpty();
      r.configs().forEach(store::put);
    }
    store.markSynced();
    PushContextBuilder builder =
        new PushContextBuilder(
            store, List.of(kubernetesLike(store)), "cluster.local", MeshConfigs::defaults);
    if (gatewayApi) {
      builder.gatewayApi(
          new GatewayApiSources(
              () -> Map.of("shop", Map.of()),
              secrets,
              GatewayApiOptions.defaults("cluster.local"),
              Clock.fixed(Instant.parse("2026-12-05T00:00:00Z"), ZoneOffset.UTC)));
    }
    return builder.build(null, PushRequest.fullForAll("test", System.nanoTime()));
  }

  private static Proxy gatewayProxy() throws Exception {
    Struct md =
        Struct.newBuilder()
            .putFields("NAMESPACE", Value.newBuilder().setStringValue("shop").build())
            .putFields(
                "LABELS",
                Value.newBuilder()
                    .setStructValue(
                        Struct.newBuilder()
                            .putFields(
                                "gateway.networking.k8s.io/gateway-name",
                                Value.newBuilder().setStringValue("gw").build()))
                    .build())
            .build();
    return Proxy.fromNode(
        "router~" + GATEWAY_IP + "~gw-istio-1.shop~shop.svc.cluster.local", md, Locality.UNKNOWN);
  }

  private static RouteConfiguration route(XdsResource r) throws InvalidProtocolBufferException {
    return r.body().unpack(RouteConfiguration.class);
  }

  @Test
  void anHttpRouteOnAGatewayIsServedByTheProxyBehindTheGatewaysService() throws Exception {
    PushContext push = push(true);
    assertThat(push.gateways())
        .extracting(Config::name)
        .containsExactly("gw-istio-autogenerated-k8s-gateway-http");
    Proxy gw = gatewayProxy();
    assertThat(new EnvoyListenerGenerator().generate(gw, push, Set.of()))
        .extracting(XdsResource::name)
        .containsExactly("0.0.0.0_8080");
    List<XdsResource> routes = new EnvoyRouteGenerator().generate(gw, push, Set.of("http.8080"));
    assertThat(routes).hasSize(1);
    VirtualHost host =
        route(routes.get(0)).getVirtualHostsList().stream()
            .filter(v -> v.getDomainsList().contains("a.example.com"))
            .findFirst()
            .orElseThrow();
    Route r = host.getRoutes(0);
    assertThat(r.getMatch().getPathSeparatedPrefix()).isEqualTo("/get");
    assertThat(r.getRoute().getCluster())
        .isEqualTo("outbound|8000||httpbin.shop.svc.cluster.local");
    assertThat(r.getName()).isEqualTo("shop.get.0");
    // the Gateway API's semantics: an invalid backend answers 500
    assertThat(r.getRoute().getClusterNotFoundResponseCode())
        .isEqualTo(
            io.envoyproxy.envoy.config.route.v3.RouteAction.ClusterNotFoundResponseCode
                .INTERNAL_SERVER_ERROR);
    // the status istiod would write: the route accepted by its parent
    assertThat(push.gatewayApi().statusUpdates())
        .extracting(u -> u.object().meta().kind().kind() + "/" + u.object().name())
        .contains("Gateway/gw", "HTTPRoute/get");
  }

  @Test
  void aBackendOfAnotherNamespaceWithoutReferenceGrantRoutesToTheUnknownServiceCluster()
      throws Exception {
    String config =
        GATEWAY_AND_ROUTE
            + """
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: cross, namespace: shop, generation: 1}
            spec:
              parentRefs: [{name: gw}]
              hostnames: [b.example.com]
              rules:
              - backendRefs: [{name: httpbin, namespace: elsewhere, port: 8000}]
            """;
    PushContext push = push(true, CredentialSource.NONE, config);
    List<XdsResource> routes =
        new EnvoyRouteGenerator().generate(gatewayProxy(), push, Set.of("http.8080"));
    Route r =
        route(routes.get(0)).getVirtualHostsList().stream()
            .filter(v -> v.getDomainsList().contains("b.example.com"))
            .findFirst()
            .orElseThrow()
            .getRoutes(0);
    // istiod keeps the rule with a destination without host, whose cluster no proxy has: the
    // route answers 500 instead of reaching a cluster named after the route's namespace
    assertThat(r.getRoute().getCluster()).isEqualTo("UnknownService");
    assertThat(r.getRoute().getClusterNotFoundResponseCode())
        .isEqualTo(
            io.envoyproxy.envoy.config.route.v3.RouteAction.ClusterNotFoundResponseCode
                .INTERNAL_SERVER_ERROR);
  }

  @Test
  void withTheGatewayApiOffNothingIsGenerated() throws Exception {
    PushContext push = push(false);
    assertThat(push.gateways()).isEmpty();
    assertThat(new EnvoyListenerGenerator().generate(gatewayProxy(), push, Set.of())).isEmpty();
    assertThat(push.gatewayApi()).isSameAs(GatewayApiResult.EMPTY);
  }

  @Test
  void aCertificateReferenceIsServedOnlyToTheGatewaysThatUseIt() throws Exception {
    String https =
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: shop, generation: 1}
        spec:
          gatewayClassName: istio
          listeners:
          - name: https
            port: 80
            protocol: HTTPS
            hostname: a.example.com
            tls: {mode: Terminate, certificateRefs: [{name: cred}]}
        """;
    CredentialSource secrets = credentials();
    PushContext push = push(true, secrets, https);
    var sds = new io.jistiod.pilot.envoy.secret.SecretGenerator(secrets);
    String cred = "kubernetes-gateway://shop/cred";
    assertThat(sds.generate(gatewayProxy(), push, Set.of(cred, "kubernetes-gateway://shop/other")))
        .extracting(XdsResource::name)
        .containsExactly(cred);
    // a gateway the Gateway is not bound to gets nothing, though it sits in the same namespace
    Proxy stranger =
        Proxy.fromNode(
            "router~10.9.9.9~other-1.shop~shop.svc.cluster.local",
            Struct.newBuilder()
                .putFields("NAMESPACE", Value.newBuilder().setStringValue("shop").build())
                .build(),
            Locality.UNKNOWN);
    assertThat(sds.generate(stranger, push, Set.of(cred))).isEmpty();
  }

  @Test
  void aListenerWhoseFirstCertificateIsMissingServesTheWorkloadCertificateAsIstiod()
      throws Exception {
    String https =
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: shop, generation: 1}
        spec:
          gatewayClassName: istio
          listeners:
          - name: https
            port: 80
            protocol: HTTPS
            hostname: a.example.com
            tls: {mode: Terminate, certificateRefs: [{name: missing}, {name: cred}]}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: get, namespace: shop, generation: 1}
        spec:
          parentRefs: [{name: gw}]
          rules:
          - backendRefs: [{name: httpbin, port: 8000}]
        """;
    PushContext push = push(true, credentials(), https);
    // istiod keeps the first slot of the credentials, empty here, so the server has no credential
    // and its Envoy builder falls back to the proxy's own certificate
    Listener l =
        new EnvoyListenerGenerator()
            .generate(gatewayProxy(), push, Set.of()).stream()
                .filter(r -> r.name().equals("0.0.0.0_8080"))
                .findFirst()
                .orElseThrow()
                .body()
                .unpack(Listener.class);
    assertThat(l.getFilterChainsCount()).isEqualTo(1);
    var tls =
        l.getFilterChains(0)
            .getTransportSocket()
            .getTypedConfig()
            .unpack(
                io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext.class);
    assertThat(tls.getCommonTlsContext().getTlsCertificateSdsSecretConfigsList())
        .extracting(c -> c.getName())
        .containsExactly("default");
    assertThat(tls.getRequireClientCertificate().getValue()).isFalse();
  }

  /** The route's ResolvedRefs reason toward its Gateway in this push's status. */
  private static String resolvedRefs(PushContext push) {
    return push.gatewayApi().statusUpdates().stream()
        .filter(u -> u.object().name().equals("get"))
        .map(u -> (io.jistiod.galley.api.gateway.v1.RouteStatus) u.status())
        .flatMap(st -> st.getParentsList().stream())
        .flatMap(p -> p.getConditionsList().stream())
        .filter(c -> c.getType().equals("ResolvedRefs"))
        .map(c -> c.getReason())
        .findFirst()
        .orElse("(no status)");
  }

  @Test
  void aServiceThatAppearsIsSeenByTheNextPushsConversion() throws Exception {
    MemoryConfigStore store = new MemoryConfigStore();
    ConfigParser parser = new ConfigParser(GatewayApiKinds.withIstioKinds(true, false), "shop");
    String withoutBackend = SERVICES.substring(0, SERVICES.lastIndexOf("---"));
    for (String doc : List.of(withoutBackend, GATEWAY_AND_ROUTE)) {
      parser.parse(doc, "test").configs().forEach(store::put);
    }
    store.markSynced();
    PushContextBuilder builder =
        new PushContextBuilder(
                store, List.of(kubernetesLike(store)), "cluster.local", MeshConfigs::defaults)
            .gatewayApi(
                new GatewayApiSources(
                    () -> Map.of("shop", Map.of()),
                    CredentialSource.NONE,
                    GatewayApiOptions.defaults("cluster.local"),
                    Clock.fixed(Instant.parse("2026-12-05T00:00:00Z"), ZoneOffset.UTC)));
    PushContext first = builder.build(null, PushRequest.fullForAll("test", System.nanoTime()));
    assertThat(resolvedRefs(first)).isEqualTo("BackendNotFound");

    parser
        .parse(SERVICES.substring(SERVICES.lastIndexOf("---")), "test")
        .configs()
        .forEach(store::put);
    PushContext next = builder.build(first, httpbinChanged());
    assertThat(resolvedRefs(next)).isEqualTo("ResolvedRefs");
    // and the generated config is still served after the incremental build
    assertThat(next.gateways())
        .extracting(Config::name)
        .contains("gw-istio-autogenerated-k8s-gateway-http");
  }

  @Test
  void backendPoliciesBecomeDestinationRulesServedLikeTheStoresOwn() throws Exception {
    MemoryConfigStore store = new MemoryConfigStore();
    ConfigParser parser = new ConfigParser(GatewayApiKinds.withIstioKinds(true, true), "shop");
    String policies =
        """
        apiVersion: gateway.networking.k8s.io/v1alpha3
        kind: BackendTLSPolicy
        metadata: {name: tls, namespace: shop}
        spec:
          targetRefs: [{group: '', kind: Service, name: httpbin}]
          validation: {hostname: httpbin.example.com, caCertificateRefs: [{group: '', kind: ConfigMap, name: ca}]}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: gw, namespace: shop}
        spec:
          host: gw-istio.shop.svc.cluster.local
          trafficPolicy: {loadBalancer: {simple: RANDOM}}
        """;
    for (String doc : List.of(SERVICES, GATEWAY_AND_ROUTE, policies)) {
      ParseResult r = parser.parse(doc, "test");
      assertThat(r.errors()).isEmpty();
      r.configs().forEach(store::put);
    }
    store.markSynced();
    PushContextBuilder builder =
        new PushContextBuilder(
                store, List.of(kubernetesLike(store)), "cluster.local", MeshConfigs::defaults)
            .gatewayApi(
                new GatewayApiSources(
                    () -> Map.of("shop", Map.of()),
                    CredentialSource.NONE,
                    (ns, name) ->
                        ns.equals("shop") && name.equals("ca")
                            ? java.util.Optional.of(Map.of("ca.crt", "pem"))
                            : java.util.Optional.empty(),
                    new GatewayApiOptions(
                        "cluster.local", true, false, true, false, false, true, false),
                    Clock.fixed(Instant.parse("2026-12-05T00:00:00Z"), ZoneOffset.UTC)));
    PushContext first = builder.build(null, PushRequest.fullForAll("test", System.nanoTime()));
    assertThat(first.destinationRules())
        .extracting(d -> d.config().name())
        .containsExactly("gw", "httpbin-istio-autogenerated-k8s-gateway");
    var rule = first.destinationRuleFor(gatewayProxy(), "httpbin.shop.svc.cluster.local");
    assertThat(rule).isPresent();
    assertThat(rule.get().spec().getTrafficPolicy().getTls().getCredentialName())
        .isEqualTo("configmap://shop/ca");

    // a service change converts again: the generated rule is still there, the store's too
    PushContext next = builder.build(first, httpbinChanged());
    assertThat(next.destinationRules())
        .extracting(d -> d.config().name())
        .containsExactly("gw", "httpbin-istio-autogenerated-k8s-gateway");
  }

  /** The push request of a change to the httpbin Service. */
  private static PushRequest httpbinChanged() {
    return PushRequest.full(
        "test",
        io.jistiod.pilot.push.ConfigKey.of(
            io.jistiod.pilot.push.Kind.SERVICE_ENTRY, "shop", "httpbin.shop.svc.cluster.local"),
        System.nanoTime());
  }
}

package io.jistiod.pilot.grpcgen;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.config.MemoryConfigStore;
import io.jistiod.galley.mesh.MeshConfigs;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.push.PushContextBuilder;
import io.jistiod.pilot.push.PushRequest;
import io.jistiod.pilot.security.MtlsMode;
import io.jistiod.pilot.security.ServiceIdentities;
import io.jistiod.pilot.serviceentry.ServiceEntryRegistry;
import io.jistiod.pilot.testing.FakeIstiod;
import io.jistiod.pilot.xds.XdsResource;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** mTLS and RBAC wiring of proxyless gRPC servers' listeners and clients' clusters. */
class GrpcSecurityTest {
  private static final String ECHO = "echo.default.svc.cluster.local";
  private static final String SERVICE =
      """
      apiVersion: networking.istio.io/v1
      kind: ServiceEntry
      metadata: {name: echo, namespace: default}
      spec:
        hosts: [echo.default.svc.cluster.local]
        location: MESH_INTERNAL
        resolution: STATIC
        ports: [{name: grpc, number: 7070, protocol: GRPC, targetPort: 17070}]
        subjectAltNames: [spiffe://cluster.local/ns/default/sa/echo, echo.example.com]
        endpoints:
        - {address: 10.0.0.1, labels: {version: v1}}
        - {address: 10.0.0.2, labels: {version: v2}}
      """;
  private static final String SERVER_LISTENER = "xds.istio.io/grpc/lds/inbound/0.0.0.0:17070";

  private FakeIstiod istiod;

  @AfterEach
  void tearDown() {
    if (istiod != null) {
      istiod.close();
    }
  }

  private PushContext push(String... docs) throws Exception {
    istiod = new FakeIstiod(docs);
    return istiod.discovery.current();
  }

  private static Proxy proxy(String ip, Map<String, String> labels) throws Exception {
    Struct.Builder l = Struct.newBuilder();
    labels.forEach((k, v) -> l.putFields(k, Value.newBuilder().setStringValue(v).build()));
    Struct meta =
        Struct.newBuilder()
            .putFields("GENERATOR", Value.newBuilder().setStringValue("grpc").build())
            .putFields("NAMESPACE", Value.newBuilder().setStringValue("default").build())
            .putFields("LABELS", Value.newBuilder().setStructValue(l).build())
            .build();
    return Proxy.fromNode(
        "sidecar~" + ip + "~echo-1.default~default.svc.cluster.local", meta, Locality.UNKNOWN);
  }

  private static Listener serverListener(PushContext push, Proxy proxy) throws Exception {
    List<XdsResource> out =
        new GrpcListenerGenerator().generate(proxy, push, Set.of(SERVER_LISTENER));
    assertThat(out).extracting(XdsResource::name).containsExactly(SERVER_LISTENER);
    return out.get(0).body().unpack(Listener.class);
  }

  private static HttpConnectionManager hcm(FilterChain chain) throws Exception {
    return chain.getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
  }

  private static Cluster cluster(PushContext push, String name) throws Exception {
    Proxy client = proxy("10.0.0.9", Map.of());
    List<XdsResource> out = new GrpcClusterGenerator().generate(client, push, Set.of(name));
    assertThat(out).extracting(XdsResource::name).containsExactly(name);
    return out.get(0).body().unpack(Cluster.class);
  }

  @Test
  void serverModeFollowsIstiodsGrpcRules() {
    Map<String, String> injected = Map.of("security.istio.io/tlsMode", "istio");
    assertThat(GrpcServerListeners.grpcMode(MtlsMode.STRICT, Map.of())).isEqualTo(MtlsMode.STRICT);
    assertThat(GrpcServerListeners.grpcMode(MtlsMode.DISABLE, injected))
        .isEqualTo(MtlsMode.DISABLE);
    // gRPC cannot serve TLS and plaintext on one port: PERMISSIVE is mTLS only where clients are
    // told (by the label) to send it, else plaintext.
    assertThat(GrpcServerListeners.grpcMode(MtlsMode.PERMISSIVE, injected))
        .isEqualTo(MtlsMode.STRICT);
    assertThat(GrpcServerListeners.grpcMode(MtlsMode.PERMISSIVE, Map.of()))
        .isEqualTo(MtlsMode.DISABLE);
    assertThat(
            GrpcServerListeners.grpcMode(
                MtlsMode.PERMISSIVE, Map.of("security.istio.io/tlsMode", "disabled")))
        .isEqualTo(MtlsMode.DISABLE);
  }

  @Test
  void strictServerRequiresAClientCertificateFromTheBootstrapsProviders() throws Exception {
    PushContext push = push(SERVICE);
    Listener l =
        serverListener(push, proxy("10.0.0.1", Map.of("security.istio.io/tlsMode", "istio")));
    assertThat(l.getFilterChainsList()).hasSize(1);
    FilterChain chain = l.getFilterChains(0);
    assertThat(chain.getName()).isEqualTo("inbound-mtls");
    assertThat(chain.getFilters(0).getName()).isEqualTo("inbound-hcmmtls");
    assertThat(chain.getTransportSocket().getName()).isEqualTo("envoy.transport_sockets.tls");
    DownstreamTlsContext tls =
        chain.getTransportSocket().getTypedConfig().unpack(DownstreamTlsContext.class);
    assertThat(tls.getRequireClientCertificate().getValue()).isTrue();
    assertProviders(tls.getCommonTlsContext());
    assertThat(tls.getCommonTlsContext().getValidationContext().getMatchSubjectAltNamesList())
        .as("gRPC servers check no SAN")
        .isEmpty();
    assertThat(hcm(chain).getHttpFiltersList())
        .extracting(HttpFilter::getName)
        .containsExactly("envoy.filters.http.router");
  }

  @Test
  void permissiveServerWithoutTheLabelIsPlaintext() throws Exception {
    PushContext push = push(SERVICE);
    Listener l = serverListener(push, proxy("10.0.0.1", Map.of("app", "echo")));
    FilterChain chain = l.getFilterChains(0);
    assertThat(chain.getName()).isEqualTo("inbound-plaintext");
    assertThat(chain.getFilters(0).getName()).isEqualTo("inbound-hcmplaintext");
    assertThat(chain.hasTransportSocket()).isFalse();
    assertThat(l.getAddress().getSocketAddress().getPortValue()).isEqualTo(17070);
  }

  @Test
  void authorizationFiltersRunBeforeTheRouter() throws Exception {
    HttpFilter deny =
        HttpFilter.newBuilder()
            .setName("envoy.filters.http.rbac.DENY")
            .setTypedConfig(Any.pack(RBAC.getDefaultInstance()))
            .build();
    HttpFilter allow = deny.toBuilder().setName("envoy.filters.http.rbac").build();
    Listener l =
        GrpcServerListeners.listener(
            SERVER_LISTENER,
            HostPort.parse("0.0.0.0:17070"),
            MtlsMode.STRICT,
            List.of(deny, allow));
    assertThat(hcm(l.getFilterChains(0)).getHttpFiltersList())
        .extracting(HttpFilter::getName)
        .containsExactly(
            "envoy.filters.http.rbac.DENY", "envoy.filters.http.rbac", "envoy.filters.http.router");
  }

  @Test
  void istioMutualClusterChecksTheServersIdentities() throws Exception {
    PushContext push =
        push(
            SERVICE,
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: echo, namespace: default}
            spec:
              host: echo
              trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
              subsets:
              - {name: v1, labels: {version: v1}}
              - {name: v2, labels: {version: v2}, trafficPolicy: {tls: {mode: DISABLE}}}
            """);
    for (String name : List.of("outbound|7070||" + ECHO, "outbound|7070|v1|" + ECHO)) {
      Cluster c = cluster(push, name);
      assertThat(c.getTransportSocket().getName())
          .as(name)
          .isEqualTo("envoy.transport_sockets.tls");
      UpstreamTlsContext tls =
          c.getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class);
      assertProviders(tls.getCommonTlsContext());
      assertThat(tls.getCommonTlsContext().getValidationContext().getMatchSubjectAltNamesList())
          .extracting(StringMatcher::getExact)
          .containsExactly("echo.example.com", "spiffe://cluster.local/ns/default/sa/echo");
    }
    assertThat(cluster(push, "outbound|7070|v2|" + ECHO).hasTransportSocket())
        .as("subset DISABLE overrides the rule's ISTIO_MUTUAL")
        .isFalse();
  }

  @Test
  void noAutoMtlsForProxylessClients() throws Exception {
    PushContext push = push(SERVICE);
    assertThat(cluster(push, "outbound|7070||" + ECHO).hasTransportSocket()).isFalse();
  }

  @Test
  void portLevelIstioMutual() throws Exception {
    PushContext push =
        push(
            SERVICE,
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: echo, namespace: default}
            spec:
              host: echo
              trafficPolicy:
                portLevelSettings:
                - {port: {number: 7070}, tls: {mode: ISTIO_MUTUAL}}
            """);
    assertThat(cluster(push, "outbound|7070||" + ECHO).hasTransportSocket()).isTrue();
  }

  @Test
  void identitiesAreRepeatedForEveryTrustDomainAlias() throws Exception {
    MemoryConfigStore store = new MemoryConfigStore();
    new ConfigParser(IstioKinds.ALL, "default")
        .parse(SERVICE, "test")
        .configs()
        .forEach(store::put);
    store.markSynced();
    MeshConfig mesh =
        MeshConfigs.defaults().toBuilder()
            .addTrustDomainAliases("old.example")
            .addTrustDomainAliases("older.example")
            .build();
    PushContext push =
        new PushContextBuilder(
                store, List.of(new ServiceEntryRegistry(store)), "cluster.local", () -> mesh)
            .build(null, PushRequest.fullForAll("test", 0));
    assertThat(ServiceIdentities.of(push, push.service(ECHO).orElseThrow()))
        .containsExactly(
            "echo.example.com",
            "spiffe://cluster.local/ns/default/sa/echo",
            "spiffe://old.example/ns/default/sa/echo",
            "spiffe://older.example/ns/default/sa/echo");
  }

  private static void assertProviders(CommonTlsContext common) {
    assertThat(common.getTlsCertificateProviderInstance().getInstanceName()).isEqualTo("default");
    assertThat(common.getTlsCertificateProviderInstance().getCertificateName())
        .isEqualTo("default");
    var roots = common.getValidationContext().getCaCertificateProviderInstance();
    assertThat(roots.getInstanceName()).isEqualTo("default");
    assertThat(roots.getCertificateName()).isEqualTo("ROOTCA");
  }
}

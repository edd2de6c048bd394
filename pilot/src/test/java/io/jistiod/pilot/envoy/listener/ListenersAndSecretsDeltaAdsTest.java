package io.jistiod.pilot.envoy.listener;

import static io.jistiod.pilot.envoy.listener.ListenerFixture.service;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.jistiod.pilot.envoy.secret.CredentialSource.SecretData;
import io.jistiod.pilot.testing.FakeIstiod;
import io.jistiod.pilot.xds.TypeUrls;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Sidecars and gateways speak delta ADS (pilot-agent's default): a sidecar gets its listeners and
 * then only the ones that change; a gateway gets its credentials over SDS on the same stream.
 */
class ListenersAndSecretsDeltaAdsTest {
  private FakeIstiod istiod;

  @AfterEach
  void tearDown() {
    if (istiod != null) {
      istiod.close();
    }
  }

  private static Node node(String type, String ip, String namespace, String label) {
    return Node.newBuilder()
        .setId(type + "~" + ip + "~pod-1." + namespace + "~" + namespace + ".svc.cluster.local")
        .setMetadata(
            Struct.newBuilder()
                .putFields("NAMESPACE", Value.newBuilder().setStringValue(namespace).build())
                .putFields(
                    "LABELS",
                    Value.newBuilder()
                        .setStructValue(
                            Struct.newBuilder()
                                .putFields(
                                    "istio", Value.newBuilder().setStringValue(label).build()))
                        .build()))
        .build();
  }

  private static Map<String, Resource> byName(DeltaDiscoveryResponse r) {
    return r.getResourcesList().stream().collect(Collectors.toMap(Resource::getName, x -> x));
  }

  @Test
  void sidecarGetsItsListenersThenOnlyTheChangedOne() throws Exception {
    istiod = new FakeIstiod(service("cart", "10.0.0.1", 80, "http", "10.1.0.1", 8080));
    FakeIstiod.DeltaClient client = istiod.connectDelta(node("sidecar", "10.9.0.1", "shop", "x"));
    client.subscribe(TypeUrls.LISTENER);
    DeltaDiscoveryResponse lds = client.next();
    assertThat(byName(lds)).containsOnlyKeys("0.0.0.0_80", "virtualOutbound", "virtualInbound");
    Listener http = byName(lds).get("0.0.0.0_80").getResource().unpack(Listener.class);
    assertThat(http.getBindToPort().getValue()).isFalse();
    client.ack(lds);

    // a TCP service adds its own listener; nothing else is resent
    istiod.apply(service("db", "10.0.0.3", 5432, "tcp", "10.1.0.3", 5432));
    istiod.push();
    DeltaDiscoveryResponse added = client.next();
    assertThat(byName(added)).containsOnlyKeys("10.0.0.3_5432");
    assertThat(added.getRemovedResourcesList()).isEmpty();
  }

  @Test
  void gatewayGetsItsCredentialOverSdsAndASidecarDoesNot() throws Exception {
    SecretData cred =
        new SecretData(
            "ingress",
            "cred",
            "kubernetes.io/tls",
            Map.of(
                "tls.crt", ByteString.copyFromUtf8("CERT"),
                "tls.key", ByteString.copyFromUtf8("KEY")));
    istiod =
        new FakeIstiod(
            (ns, name) ->
                ns.equals("ingress") && name.equals("cred") ? Optional.of(cred) : Optional.empty(),
            """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: gw, namespace: ingress}
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 443, name: https, protocol: HTTPS}
                hosts: [a.example.com]
                tls: {mode: SIMPLE, credentialName: cred}
            """);
    FakeIstiod.DeltaClient gateway =
        istiod.connectDelta(node("router", "10.9.0.50", "ingress", "ingressgateway"));
    gateway.subscribe(TypeUrls.LISTENER);
    DeltaDiscoveryResponse lds = gateway.next();
    assertThat(byName(lds)).containsOnlyKeys("0.0.0.0_443");
    gateway.ack(lds);
    gateway.subscribe(TypeUrls.SECRET, "kubernetes://cred");
    DeltaDiscoveryResponse sds = gateway.next();
    assertThat(byName(sds)).containsOnlyKeys("kubernetes://cred");
    Secret s = byName(sds).get("kubernetes://cred").getResource().unpack(Secret.class);
    assertThat(s.getTlsCertificate().getPrivateKey().getInlineBytes().toStringUtf8())
        .isEqualTo("KEY");

    FakeIstiod.DeltaClient sidecar =
        istiod.connectDelta(node("sidecar", "10.9.0.1", "ingress", "x"));
    sidecar.subscribe(TypeUrls.SECRET, "kubernetes://cred");
    DeltaDiscoveryResponse none = sidecar.next();
    assertThat(none.getResourcesList()).isEmpty();
  }
}

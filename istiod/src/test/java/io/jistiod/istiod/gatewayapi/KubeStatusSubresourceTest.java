package io.jistiod.istiod.gatewayapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jistiod.galley.config.ConfigKey;
import io.jistiod.galley.config.GatewayApiKinds;
import org.junit.jupiter.api.Test;

class KubeStatusSubresourceTest {

  @Test
  void pathsNameTheVersionIstiodWatchesAndItsFieldManager() {
    assertThat(KubeStatusSubresource.path(new ConfigKey(GatewayApiKinds.GATEWAY, "web", "gw")))
        .isEqualTo(
            "/apis/gateway.networking.k8s.io/v1beta1/namespaces/web/gateways/gw/status"
                + "?fieldManager=pilot-discovery");
    assertThat(KubeStatusSubresource.path(new ConfigKey(GatewayApiKinds.GRPC_ROUTE, "web", "r")))
        .isEqualTo(
            "/apis/gateway.networking.k8s.io/v1/namespaces/web/grpcroutes/r/status"
                + "?fieldManager=pilot-discovery");
    assertThat(KubeStatusSubresource.path(new ConfigKey(GatewayApiKinds.TLS_ROUTE, "web", "t")))
        .isEqualTo(
            "/apis/gateway.networking.k8s.io/v1alpha2/namespaces/web/tlsroutes/t/status"
                + "?fieldManager=pilot-discovery");
    assertThat(KubeStatusSubresource.path(new ConfigKey(GatewayApiKinds.GATEWAY_CLASS, "", "c")))
        .isEqualTo(
            "/apis/gateway.networking.k8s.io/v1beta1/gatewayclasses/c/status"
                + "?fieldManager=pilot-discovery");
  }

  @Test
  void theBodyCarriesTheResourceVersionAndTheStatusAsComputed() {
    ObjectNode status = JsonNodeFactory.instance.objectNode();
    status.putArray("parents");
    ObjectNode body =
        KubeStatusSubresource.body(
            new ConfigKey(GatewayApiKinds.HTTP_ROUTE, "web", "r"), "42", status);
    assertThat(body.toString())
        .isEqualTo(
            "{\"apiVersion\":\"gateway.networking.k8s.io/v1beta1\",\"kind\":\"HTTPRoute\","
                + "\"metadata\":{\"name\":\"r\",\"namespace\":\"web\",\"resourceVersion\":\"42\"},"
                + "\"status\":{\"parents\":[]}}");
    // a cluster-scoped object has no namespace
    assertThat(
            KubeStatusSubresource.body(
                    new ConfigKey(GatewayApiKinds.GATEWAY_CLASS, "", "istio"), "7", status)
                .at("/metadata")
                .toString())
        .isEqualTo("{\"name\":\"istio\",\"resourceVersion\":\"7\"}");
  }
}

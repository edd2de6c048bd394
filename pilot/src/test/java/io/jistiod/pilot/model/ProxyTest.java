package io.jistiod.pilot.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import org.junit.jupiter.api.Test;

class ProxyTest {
  private static Struct meta(String... kv) {
    Struct.Builder b = Struct.newBuilder();
    for (int i = 0; i < kv.length; i += 2) {
      b.putFields(kv[i], Value.newBuilder().setStringValue(kv[i + 1]).build());
    }
    return b.build();
  }

  @Test
  void parsesASidecarNode() throws Exception {
    Proxy p =
        Proxy.fromNode(
            "sidecar~10.1.2.3~reviews-v1-abc.default~default.svc.cluster.local",
            meta("GENERATOR", "grpc", "NAMESPACE", "bookinfo"),
            Locality.UNKNOWN);
    assertThat(p.type()).isEqualTo(Proxy.NodeType.SIDECAR);
    assertThat(p.ipAddresses()).containsExactly("10.1.2.3");
    assertThat(p.id()).isEqualTo("reviews-v1-abc.default");
    assertThat(p.configNamespace()).isEqualTo("bookinfo");
    assertThat(p.generator()).isEqualTo("grpc");
  }

  @Test
  void namespaceFallsBackToTheDnsDomain() throws Exception {
    Proxy p =
        Proxy.fromNode(
            "sidecar~10.0.0.1~a.b~prod.svc.cluster.local",
            Struct.getDefaultInstance(),
            Locality.UNKNOWN);
    assertThat(p.configNamespace()).isEqualTo("prod");
  }

  @Test
  void instanceIpsWinWhenAllValid() throws Exception {
    Proxy p =
        Proxy.fromNode(
            "sidecar~10.0.0.1~a.b~ns.svc.cluster.local",
            meta("INSTANCE_IPS", "10.0.0.2,fd00::2"),
            Locality.UNKNOWN);
    assertThat(p.ipAddresses()).containsExactly("10.0.0.2", "fd00::2");
    Proxy q =
        Proxy.fromNode(
            "sidecar~10.0.0.1~a.b~ns.svc.cluster.local",
            meta("INSTANCE_IPS", "10.0.0.2,not-an-ip"),
            Locality.UNKNOWN);
    assertThat(q.ipAddresses()).containsExactly("10.0.0.1");
  }

  @Test
  void rejectsMalformedIds() {
    assertThatThrownBy(() -> Proxy.fromNode("", Struct.getDefaultInstance(), Locality.UNKNOWN))
        .isInstanceOf(NodeParseException.class);
    assertThatThrownBy(
            () ->
                Proxy.fromNode("sidecar~1.2.3.4~x", Struct.getDefaultInstance(), Locality.UNKNOWN))
        .hasMessageContaining("4 parts");
    assertThatThrownBy(
            () ->
                Proxy.fromNode(
                    "robot~1.2.3.4~x.y~d", Struct.getDefaultInstance(), Locality.UNKNOWN))
        .hasMessageContaining("unknown node type");
    assertThatThrownBy(
            () ->
                Proxy.fromNode(
                    "sidecar~300.1.1.1~x.y~d", Struct.getDefaultInstance(), Locality.UNKNOWN))
        .hasMessageContaining("no valid IP");
  }

  @Test
  void rejectsMetadataOfTheWrongShape() {
    Struct bad =
        Struct.newBuilder()
            .putFields("LABELS", Value.newBuilder().setStringValue("app=x").build())
            .build();
    assertThatThrownBy(() -> Proxy.fromNode("sidecar~1.2.3.4~x.y~d", bad, Locality.UNKNOWN))
        .hasMessageContaining("LABELS");
  }
}

package io.jistiod.pilot.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import org.junit.jupiter.api.Test;

class XdsResourceTest {
  private static final String TYPE = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";

  private static ByteString virtualHosts(String host) {
    RouteConfiguration.Builder b = RouteConfiguration.newBuilder();
    for (int i = 0; i < 200; i++) {
      b.addVirtualHosts(VirtualHost.newBuilder().setName(host + i).addDomains(host + i + ":80"));
    }
    return b.build().toByteString();
  }

  private static XdsResource resource(String name, ByteString body) {
    return new XdsResource(name, Any.newBuilder().setTypeUrl(TYPE).setValue(body).build());
  }

  @Test
  void versionDependsOnTheBytesNotOnHowTheBodyIsHeld() {
    ByteString name = RouteConfiguration.newBuilder().setName("r").build().toByteString();
    ByteString rope = name.concat(virtualHosts("a")); // shared virtual hosts, as gRPC routes are
    ByteString flat = ByteString.copyFrom(rope.toByteArray());
    assertThat(resource("r", rope).version()).isEqualTo(resource("r", flat).version());
  }

  @Test
  void versionChangesWithAnyPartOfTheBody() {
    ByteString name = RouteConfiguration.newBuilder().setName("r").build().toByteString();
    String base = resource("r", name.concat(virtualHosts("a"))).version();
    assertThat(resource("r", name.concat(virtualHosts("b"))).version()).isNotEqualTo(base);
    assertThat(resource("s", name.concat(virtualHosts("a"))).version()).isNotEqualTo(base);
    assertThat(
            new XdsResource(
                    "r",
                    Any.newBuilder()
                        .setTypeUrl(TYPE + "x")
                        .setValue(name.concat(virtualHosts("a")))
                        .build())
                .version())
        .isNotEqualTo(base);
  }

  @Test
  void aSharedTailIsDigestedOnceAndStillTellsEveryPartApart() throws Exception {
    ByteString head = RouteConfiguration.newBuilder().setName("r").build().toByteString();
    XdsResource.SharedBytes a = XdsResource.SharedBytes.of(virtualHosts("a"));
    XdsResource r = XdsResource.withSharedTail("r", TYPE, head, a);

    // the body is the head followed by the shared bytes: one valid message
    RouteConfiguration parsed = r.body().unpack(RouteConfiguration.class);
    assertThat(parsed.getName()).isEqualTo("r");
    assertThat(parsed.getVirtualHostsCount()).isEqualTo(200);

    String base = r.version();
    assertThat(
            XdsResource.withSharedTail(
                    "r", TYPE, head, XdsResource.SharedBytes.of(virtualHosts("a")))
                .version())
        .isEqualTo(base);
    assertThat(
            XdsResource.withSharedTail(
                    "r", TYPE, head, XdsResource.SharedBytes.of(virtualHosts("b")))
                .version())
        .isNotEqualTo(base);
    ByteString otherHead = RouteConfiguration.newBuilder().setName("s").build().toByteString();
    assertThat(XdsResource.withSharedTail("s", TYPE, otherHead, a).version()).isNotEqualTo(base);
    assertThat(XdsResource.withSharedTail("r", TYPE + "x", head, a).version()).isNotEqualTo(base);
  }
}

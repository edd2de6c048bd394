package io.jistiod.pilot.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.admin.v3.ConfigDump;
import io.envoyproxy.envoy.admin.v3.ListenersConfigDump;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import org.junit.jupiter.api.Test;

class EnvoyJsonTest {
  @Test
  void everyNestedAnyIsExpandedWithItsType() {
    HttpConnectionManager hcm =
        HttpConnectionManager.newBuilder()
            .setStatPrefix("inbound_0.0.0.0_80")
            .addHttpFilters(
                HttpFilter.newBuilder()
                    .setName("envoy.filters.http.router")
                    .setTypedConfig(Any.pack(Router.getDefaultInstance())))
            .build();
    Listener listener =
        Listener.newBuilder()
            .setName("0.0.0.0_80")
            .addFilterChains(
                FilterChain.newBuilder()
                    .addFilters(
                        Filter.newBuilder()
                            .setName("envoy.filters.network.http_connection_manager")
                            .setTypedConfig(Any.pack(hcm))))
            .build();
    ConfigDump dump =
        ConfigDump.newBuilder()
            .addConfigs(
                Any.pack(
                    ListenersConfigDump.newBuilder()
                        .addDynamicListeners(
                            ListenersConfigDump.DynamicListener.newBuilder()
                                .setName("0.0.0.0_80")
                                .setActiveState(
                                    ListenersConfigDump.DynamicListenerState.newBuilder()
                                        .setListener(Any.pack(listener))))
                        .build()))
            .build();
    String json = EnvoyJson.print(dump);
    assertThat(json)
        .contains("\"@type\": \"type.googleapis.com/envoy.admin.v3.ListenersConfigDump\"")
        .contains("\"@type\": \"type.googleapis.com/envoy.config.listener.v3.Listener\"")
        .contains(
            "\"@type\": \"type.googleapis.com/envoy.extensions.filters.network"
                + ".http_connection_manager.v3.HttpConnectionManager\"")
        .contains(
            "\"@type\": \"type.googleapis.com/envoy.extensions.filters.http.router.v3.Router\"")
        .contains("\"statPrefix\": \"inbound_0.0.0.0_80\"");
  }

  @Test
  void anAnyOfATypeNotOnTheClasspathIsNamedInTheError() {
    Any unknown =
        Any.newBuilder()
            .setTypeUrl("type.googleapis.com/example.NotAType")
            .setValue(ByteString.copyFromUtf8("x"))
            .build();
    assertThatThrownBy(() -> EnvoyJson.print(ConfigDump.newBuilder().addConfigs(unknown).build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("example.NotAType");
  }

  @Test
  void istioTelemetryFiltersPrintWithTheirConfigs() {
    HttpConnectionManager hcm =
        HttpConnectionManager.newBuilder()
            .setStatPrefix("outbound_0.0.0.0_80")
            .addHttpFilters(io.jistiod.pilot.envoy.telemetry.PeerMetadataFilters.SIDECAR_OUTBOUND)
            .addHttpFilters(io.jistiod.pilot.envoy.telemetry.PeerMetadataFilters.ALPN_FILTER)
            .addHttpFilters(
                HttpFilter.newBuilder()
                    .setName("istio.stats")
                    .setTypedConfig(
                        Any.pack(
                            io.jistiod.galley.api.envoy.stats.PluginConfig.newBuilder()
                                .setDisableHostHeaderFallback(true)
                                .build())))
            .build();
    String json = EnvoyJson.print(Any.pack(hcm));
    assertThat(json)
        .contains("\"@type\": \"type.googleapis.com/udpa.type.v1.TypedStruct\"")
        .contains("\"typeUrl\": \"type.googleapis.com/io.istio.http.peer_metadata.Config\"")
        .contains("\"upstreamProtocol\": \"HTTP11\"")
        .contains("\"@type\": \"type.googleapis.com/stats.PluginConfig\"")
        .contains("\"disableHostHeaderFallback\": true");
  }
}

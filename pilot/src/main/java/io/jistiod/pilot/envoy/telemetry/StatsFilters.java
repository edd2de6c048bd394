package io.jistiod.pilot.envoy.telemetry;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.jistiod.galley.api.envoy.stats.MetricConfig;
import io.jistiod.galley.api.envoy.stats.PluginConfig;
import io.jistiod.galley.api.envoy.stats.Reporter;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.telemetry.TelemetryMetrics;
import io.jistiod.pilot.telemetry.TelemetryMetrics.ListenerClass;
import io.jistiod.pilot.telemetry.TelemetryMetrics.MetricOverride;
import io.jistiod.pilot.telemetry.TelemetryMetrics.ModeMetrics;
import io.jistiod.pilot.telemetry.TelemetryMetrics.ProviderMetrics;
import io.jistiod.pilot.telemetry.TelemetryMetrics.TagOverride;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * istio.stats, the filter of Istio's Envoy build that records the istio_* metrics Grafana's Istio
 * dashboards read, as istiod 1.27 configures it from the merged Telemetry metrics ({@link
 * TelemetryMetrics}): one filter per Prometheus provider in scope, none for a mode whose metrics
 * are all disabled. Other metrics providers get no filter (istiod only implements Prometheus).
 */
public final class StatsFilters {
  private StatsFilters() {}

  /** The filter name, HTTP and network. */
  public static final String NAME = "istio.stats";

  /**
   * Prometheus names (after istio_) of the Telemetry API's metrics; custom metrics keep theirs.
   * Rotation and graceful deletion intervals stay unset: istiod sets them only when its
   * METRIC_ROTATION_INTERVAL / METRIC_GRACEFUL_DELETION_INTERVAL differ from the defaults.
   */
  private static final Map<String, String> PROMETHEUS_NAMES =
      Map.of(
          "REQUEST_COUNT", "requests_total",
          "REQUEST_DURATION", "request_duration_milliseconds",
          "REQUEST_SIZE", "request_bytes",
          "RESPONSE_SIZE", "response_bytes",
          "TCP_OPENED_CONNECTIONS", "tcp_connections_opened_total",
          "TCP_CLOSED_CONNECTIONS", "tcp_connections_closed_total",
          "TCP_SENT_BYTES", "tcp_sent_bytes_total",
          "TCP_RECEIVED_BYTES", "tcp_received_bytes_total",
          "GRPC_REQUEST_MESSAGES", "request_messages_total",
          "GRPC_RESPONSE_MESSAGES", "response_messages_total");

  /** The stats HTTP filters of an HCM of {@code cls}. */
  public static List<HttpFilter> http(PushContext push, Proxy proxy, ListenerClass cls) {
    List<HttpFilter> out = new ArrayList<>();
    for (Any config : configs(push, proxy, cls)) {
      out.add(HttpFilter.newBuilder().setName(NAME).setTypedConfig(config).build());
    }
    return out;
  }

  /** The stats network filters of a TCP chain of {@code cls}. */
  public static List<Filter> network(PushContext push, Proxy proxy, ListenerClass cls) {
    List<Filter> out = new ArrayList<>();
    for (Any config : configs(push, proxy, cls)) {
      out.add(Filter.newBuilder().setName(NAME).setTypedConfig(config).build());
    }
    return out;
  }

  private static List<Any> configs(PushContext push, Proxy proxy, ListenerClass cls) {
    if (proxy.type() == Proxy.NodeType.ZTUNNEL) {
      return List.of();
    }
    List<Any> out = new ArrayList<>();
    for (ProviderMetrics p : TelemetryMetrics.forProxy(push, proxy)) {
      if (p.provider().hasPrometheus()) {
        config(p, cls, proxy.type() == Proxy.NodeType.WAYPOINT).map(Any::pack).ifPresent(out::add);
      }
    }
    return out;
  }

  /** The filter config for one provider's metrics on a listener of {@code cls}, if any. */
  static Optional<PluginConfig> config(ProviderMetrics p, ListenerClass cls, boolean waypoint) {
    ModeMetrics mode = p.forClass(cls);
    if (mode.disabled()) {
      return Optional.empty();
    }
    PluginConfig.Builder b =
        PluginConfig.newBuilder()
            // the Host header is the client's word on inbound and gateway traffic
            .setDisableHostHeaderFallback(cls != ListenerClass.SIDECAR_OUTBOUND);
    Duration interval = p.reportingInterval();
    if (interval != null) {
      b.setTcpReportingDuration(interval);
    }
    if (waypoint) {
      b.setReporter(Reporter.SERVER_GATEWAY);
    }
    for (MetricOverride o : mode.overrides()) {
      MetricConfig.Builder m =
          MetricConfig.newBuilder()
              .setName(PROMETHEUS_NAMES.getOrDefault(o.name(), o.name()))
              .setDrop(o.disabled());
      for (TagOverride t : o.tags()) {
        if (t.remove()) {
          m.addTagsToRemove(t.name());
        } else {
          m.putDimensions(t.name(), t.value());
        }
      }
      b.addMetrics(m);
    }
    return Optional.of(b.build());
  }
}

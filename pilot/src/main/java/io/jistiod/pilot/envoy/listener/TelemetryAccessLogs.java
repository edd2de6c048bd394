package io.jistiod.pilot.envoy.listener;

import com.google.protobuf.Any;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLog;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLogFilter;
import io.envoyproxy.envoy.config.accesslog.v3.AndFilter;
import io.envoyproxy.envoy.config.accesslog.v3.ExtensionFilter;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.JsonFormatOptions;
import io.envoyproxy.envoy.config.core.v3.SubstitutionFormatString;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.extensions.access_loggers.file.v3.FileAccessLog;
import io.envoyproxy.envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter;
import io.envoyproxy.envoy.extensions.access_loggers.grpc.v3.CommonGrpcAccessLogConfig;
import io.envoyproxy.envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig;
import io.envoyproxy.envoy.extensions.access_loggers.grpc.v3.TcpGrpcAccessLogConfig;
import io.envoyproxy.envoy.extensions.access_loggers.open_telemetry.v3.OpenTelemetryAccessLogConfig;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig.ExtensionProvider;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig.ExtensionProvider.EnvoyFileAccessLogProvider;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig.ExtensionProvider.EnvoyOpenTelemetryLogProvider;
import io.jistiod.galley.api.telemetry.v1alpha1.WorkloadMode;
import io.jistiod.pilot.model.ClusterName;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.telemetry.TelemetryLogging;
import io.jistiod.pilot.telemetry.TelemetryLogging.LoggingConfig;
import io.jistiod.pilot.telemetry.TelemetryProviders;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access logs the Telemetry API asks for ({@link TelemetryLogging}), as istiod 1.27 builds each
 * provider's: a file logger (the built-in {@code envoy} provider without a format of its own takes
 * the mesh config's format), the HTTP and TCP gRPC access log services and the OpenTelemetry
 * logger, pointing at the outbound cluster of the service they name; sorted by provider name, a CEL
 * filter as Envoy's CEL extension filter (and-ed with the caller's filter, e.g. NR on listeners).
 */
final class TelemetryAccessLogs {
  private TelemetryAccessLogs() {}

  private static final Logger log = LoggerFactory.getLogger(TelemetryAccessLogs.class);

  static final String HTTP_GRPC_LOGGER = "envoy.access_loggers.http_grpc";
  static final String TCP_GRPC_LOGGER = "envoy.tcp_grpc_access_log";
  static final String OTEL_LOGGER = "envoy.access_loggers.open_telemetry";
  static final String CEL_FILTER = "envoy.access_loggers.extension_filters.cel";

  static final String HTTP_LOG_NAME = "http_envoy_accesslog";
  static final String TCP_LOG_NAME = "tcp_envoy_accesslog";
  static final String OTEL_LOG_NAME = "otel_envoy_accesslog";

  /** Filter state the peer metadata filters leave (1.24 and later), and the older Wasm keys. */
  private static final List<String> PEER_STATE = List.of("upstream_peer", "downstream_peer");

  private static final List<String> WASM_PEER_STATE =
      List.of(
          "wasm.upstream_peer",
          "wasm.upstream_peer_id",
          "wasm.downstream_peer",
          "wasm.downstream_peer_id");

  private static final java.util.Set<String> WARNED = ConcurrentHashMap.newKeySet();

  /** One provider's logger, before the caller's filter is added. */
  private record Built(String provider, AccessLog log, boolean disabled, AccessLogFilter cel) {}

  /** What a proxy side's loggers depend on within one push. */
  private record Key(Object levels, WorkloadMode mode, boolean builtIn, boolean peerState) {}

  /** Per push: the built loggers of each proxy side that asked. */
  private static final class Cache {
    final Map<Key, List<Built>> entries = new ConcurrentHashMap<>();
  }

  /**
   * The Telemetry API's loggers for {@code proxy}'s {@code mode} side, with {@code filter} (may be
   * null) and-ed into each; null when the Telemetry API configures nothing there (no resource, no
   * default provider, or only providers that build no logger): then the mesh config applies.
   */
  static List<AccessLog> build(
      PushContext push, Proxy proxy, WorkloadMode mode, AccessLogFilter filter) {
    if (push.telemetries().isEmpty()
        && push.meshConfig().getDefaultProviders().getAccessLoggingCount() == 0) {
      return null;
    }
    Key key =
        new Key(
            io.jistiod.pilot.telemetry.TelemetrySelection.of(push).accessLogging(proxy),
            mode,
            AccessLogs.builtInFormatters(proxy),
            AccessLogs.versionAtLeast(proxy, 1, 24));
    List<Built> built =
        push.index(Cache.class, p -> new Cache())
            .entries
            .computeIfAbsent(key, k -> resolve(push, proxy, mode, k));
    if (built.isEmpty()) {
      return null;
    }
    List<AccessLog> out = new ArrayList<>(built.size());
    for (Built b : built) {
      if (b.disabled()) {
        continue;
      }
      List<AccessLogFilter> filters = new ArrayList<>(2);
      if (filter != null) {
        filters.add(filter);
      }
      if (b.cel() != null) {
        filters.add(b.cel());
      }
      AccessLog.Builder al = b.log().toBuilder();
      if (filters.size() == 1) {
        al.setFilter(filters.get(0));
      } else if (filters.size() > 1) {
        al.setFilter(
            AccessLogFilter.newBuilder()
                .setAndFilter(AndFilter.newBuilder().addAllFilters(filters)));
      }
      out.add(al.build());
    }
    return out;
  }

  private static List<Built> resolve(PushContext push, Proxy proxy, WorkloadMode mode, Key key) {
    List<Built> out = new ArrayList<>();
    for (LoggingConfig c : TelemetryLogging.accessLogging(push, proxy, mode)) {
      AccessLog al = logger(push, c.provider(), key.builtIn(), key.peerState());
      if (al == null) {
        continue; // metrics/tracing/authz providers, or a service that is not there
      }
      AccessLogFilter cel =
          c.filter() == null
              ? null
              : AccessLogFilter.newBuilder()
                  .setExtensionFilter(
                      ExtensionFilter.newBuilder()
                          .setName(CEL_FILTER)
                          .setTypedConfig(
                              Any.pack(
                                  ExpressionFilter.newBuilder()
                                      .setExpression(c.filter().getExpression())
                                      .build())))
                  .build();
      out.add(new Built(c.provider().getName(), al, c.disabled(), cel));
    }
    out.sort(Comparator.comparing(Built::provider));
    return List.copyOf(out);
  }

  /** The logger of one provider; null for a provider that writes no access log. */
  private static AccessLog logger(
      PushContext push, ExtensionProvider p, boolean builtIn, boolean peerState) {
    switch (p.getProviderCase()) {
      case ENVOY_FILE_ACCESS_LOG -> {
        EnvoyFileAccessLogProvider f = p.getEnvoyFileAccessLog();
        if (TelemetryProviders.ENVOY.equals(p.getName())
            && !f.hasLogFormat()
            && !f.getOmitEmptyValues()) {
          // the built-in provider keeps the mesh config's encoding and format
          return AccessLogs.meshFormatFileLog(push.meshConfig(), f.getPath(), builtIn);
        }
        return fileLog(f, builtIn);
      }
      case ENVOY_HTTP_ALS -> {
        var h = p.getEnvoyHttpAls();
        String[] target = lookup(push, h.getService(), h.getPort(), "envoyHttpAls", p.getName());
        if (target == null) {
          return null;
        }
        HttpGrpcAccessLogConfig cfg =
            HttpGrpcAccessLogConfig.newBuilder()
                .setCommonConfig(
                    common(
                        h.getLogName().isEmpty() ? HTTP_LOG_NAME : h.getLogName(),
                        target,
                        h.getFilterStateObjectsToLogCount() > 0
                            ? h.getFilterStateObjectsToLogList()
                            : peerState(peerState)))
                .addAllAdditionalRequestHeadersToLog(h.getAdditionalRequestHeadersToLogList())
                .addAllAdditionalResponseHeadersToLog(h.getAdditionalResponseHeadersToLogList())
                .addAllAdditionalResponseTrailersToLog(h.getAdditionalResponseTrailersToLogList())
                .build();
        return AccessLog.newBuilder()
            .setName(HTTP_GRPC_LOGGER)
            .setTypedConfig(Any.pack(cfg))
            .build();
      }
      case ENVOY_TCP_ALS -> {
        var t = p.getEnvoyTcpAls();
        String[] target = lookup(push, t.getService(), t.getPort(), "envoyTcpAls", p.getName());
        if (target == null) {
          return null;
        }
        TcpGrpcAccessLogConfig cfg =
            TcpGrpcAccessLogConfig.newBuilder()
                .setCommonConfig(
                    common(
                        t.getLogName().isEmpty() ? TCP_LOG_NAME : t.getLogName(),
                        target,
                        t.getFilterStateObjectsToLogCount() > 0
                            ? t.getFilterStateObjectsToLogList()
                            : peerState(peerState)))
                .build();
        return AccessLog.newBuilder()
            .setName(TCP_GRPC_LOGGER)
            .setTypedConfig(Any.pack(cfg))
            .build();
      }
      case ENVOY_OTEL_ALS -> {
        return otelLog(push, p, builtIn, peerState);
      }
      default -> {
        return null;
      }
    }
  }

  private static List<String> peerState(boolean atLeast124) {
    return atLeast124 ? PEER_STATE : WASM_PEER_STATE;
  }

  private static CommonGrpcAccessLogConfig common(
      String logName, String[] target, List<String> filterState) {
    return CommonGrpcAccessLogConfig.newBuilder()
        .setLogName(logName)
        .setGrpcService(
            GrpcService.newBuilder()
                .setEnvoyGrpc(
                    GrpcService.EnvoyGrpc.newBuilder()
                        .setClusterName(target[1])
                        .setAuthority(target[0])))
        .setTransportApiVersion(ApiVersion.V3)
        .addAllFilterStateObjectsToLog(filterState)
        .build();
  }

  /** A provider's own file logger: its path (default /dev/stdout), text or JSON format. */
  private static AccessLog fileLog(EnvoyFileAccessLogProvider f, boolean builtIn) {
    String path = f.getPath().isEmpty() ? TelemetryProviders.DEV_STDOUT : f.getPath();
    SubstitutionFormatString.Builder format = SubstitutionFormatString.newBuilder();
    List<String> values = new ArrayList<>();
    if (f.hasLogFormat() && f.getLogFormat().hasLabels()) {
      Struct labels = f.getLogFormat().getLabels();
      Struct json = labels.getFieldsCount() == 0 ? AccessLogs.DEFAULT_JSON_FORMAT : labels;
      json.getFieldsMap().values().forEach(v -> values.add(v.getStringValue()));
      format
          .setJsonFormat(json)
          .setJsonFormatOptions(JsonFormatOptions.newBuilder().setSortProperties(false));
    } else {
      String text = AccessLogs.textFormat(f.hasLogFormat() ? f.getLogFormat().getText() : "");
      values.add(text);
      format.setTextFormatSource(DataSource.newBuilder().setInlineString(text));
    }
    format.setOmitEmptyValues(f.getOmitEmptyValues());
    format.addAllFormatters(AccessLogs.formatters(values, builtIn));
    FileAccessLog file = FileAccessLog.newBuilder().setPath(path).setLogFormat(format).build();
    return AccessLog.newBuilder()
        .setName(AccessLogs.FILE_LOGGER)
        .setTypedConfig(Any.pack(file))
        .build();
  }

  /** The OpenTelemetry logger: the text format as body, the labels as attributes (by key). */
  private static AccessLog otelLog(
      PushContext push, ExtensionProvider p, boolean builtIn, boolean peerState) {
    EnvoyOpenTelemetryLogProvider o = p.getEnvoyOtelAls();
    String[] target = lookup(push, o.getService(), o.getPort(), "envoyOtelAls", p.getName());
    if (target == null) {
      return null;
    }
    String body =
        o.hasLogFormat() && !o.getLogFormat().getText().isEmpty()
            ? o.getLogFormat().getText()
            : AccessLogs.DEFAULT_TEXT_FORMAT;
    OpenTelemetryAccessLogConfig.Builder cfg =
        OpenTelemetryAccessLogConfig.newBuilder()
            .setCommonConfig(
                common(
                    o.getLogName().isEmpty() ? OTEL_LOG_NAME : o.getLogName(),
                    target,
                    peerState(peerState)))
            .setDisableBuiltinLabels(true)
            .setBody(AnyValue.newBuilder().setStringValue(body));
    List<String> labelValues = new ArrayList<>();
    if (o.hasLogFormat() && o.getLogFormat().getLabels().getFieldsCount() > 0) {
      KeyValueList.Builder attrs = KeyValueList.newBuilder();
      for (Map.Entry<String, Value> e :
          new TreeMap<>(o.getLogFormat().getLabels().getFieldsMap()).entrySet()) {
        attrs.addValues(
            KeyValue.newBuilder()
                .setKey(e.getKey())
                .setValue(AnyValue.newBuilder().setStringValue(e.getValue().getStringValue())));
        labelValues.add(e.getValue().getStringValue());
      }
      cfg.setAttributes(attrs);
    }
    // the formatters the body or any attribute needs, once each, by name
    List<TypedExtensionConfig> formatters =
        new ArrayList<>(AccessLogs.formatters(List.of(body), builtIn));
    TreeSet<String> names = new TreeSet<>();
    formatters.forEach(f -> names.add(f.getName()));
    for (TypedExtensionConfig f : AccessLogs.formatters(labelValues, builtIn)) {
      if (names.add(f.getName())) {
        formatters.add(f);
      }
    }
    formatters.sort(Comparator.comparing(TypedExtensionConfig::getName));
    cfg.addAllFormatters(formatters);
    return AccessLog.newBuilder()
        .setName(OTEL_LOGGER)
        .setTypedConfig(Any.pack(cfg.build()))
        .build();
  }

  /**
   * {@code [authority, cluster]} of a provider's {@code service} ({@code host} or {@code
   * namespace/host}) on {@code port}: the service's outbound cluster. A host several namespaces
   * define needs its namespace. Null (logged) when it cannot be found: istiod then builds no logger
   * for the provider.
   */
  private static String[] lookup(
      PushContext push, String service, int port, String kind, String provider) {
    String error;
    if (service.isEmpty()) {
      error = "service must not be empty";
    } else {
      String[] parts = service.split("/", -1);
      List<Service> candidates = candidates(push, parts.length == 2 ? parts[1] : service);
      Service found = null;
      error = null;
      if (parts.length == 2) {
        found =
            candidates.stream()
                .filter(s -> s.namespace().equals(parts[0]))
                .findFirst()
                .orElse(null);
      } else {
        TreeSet<String> namespaces = new TreeSet<>();
        candidates.forEach(s -> namespaces.add(s.namespace()));
        if (namespaces.size() == 1) {
          found = candidates.get(0);
        } else if (namespaces.size() > 1) {
          error =
              "found "
                  + service
                  + " in multiple namespaces "
                  + namespaces
                  + ", specify the namespace explicitly in the format of <Namespace>/<Hostname>";
        }
      }
      if (found != null) {
        return new String[] {
          found.hostname(), ClusterName.outbound(found.hostname(), port, "").toString()
        };
      }
      if (error == null) {
        error = "could not find service " + service + " in Istio service registry";
      }
    }
    String message =
        "MeshConfig extensionProviders " + provider + " (" + kind + "): no access log: " + error;
    if (WARNED.size() > 1000) {
      WARNED.clear();
    }
    if (WARNED.add(message)) {
      log.warn("{}", message); // once, not on every push
    } else {
      log.debug("{}", message);
    }
    return null;
  }

  private static List<Service> candidates(PushContext push, String host) {
    List<Service> shared = push.pushIndex().inputs().sharedHosts().get(host);
    if (shared != null) {
      return shared;
    }
    return push.service(host).map(List::of).orElse(List.of());
  }
}

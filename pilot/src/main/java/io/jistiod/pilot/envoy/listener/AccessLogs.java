package io.jistiod.pilot.envoy.listener;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLog;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLogFilter;
import io.envoyproxy.envoy.config.accesslog.v3.ComparisonFilter;
import io.envoyproxy.envoy.config.accesslog.v3.ResponseFlagFilter;
import io.envoyproxy.envoy.config.accesslog.v3.StatusCodeFilter;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.JsonFormatOptions;
import io.envoyproxy.envoy.config.core.v3.RuntimeUInt32;
import io.envoyproxy.envoy.config.core.v3.SubstitutionFormatString;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.extensions.access_loggers.file.v3.FileAccessLog;
import io.envoyproxy.envoy.extensions.formatter.cel.v3.Cel;
import io.envoyproxy.envoy.extensions.formatter.metadata.v3.Metadata;
import io.envoyproxy.envoy.extensions.formatter.req_without_query.v3.ReqWithoutQuery;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.api.telemetry.v1alpha1.WorkloadMode;
import io.jistiod.pilot.envoy.listener.HttpConnectionManagers.ListenerClass;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access logs istiod attaches: those of the Telemetry API ({@link TelemetryAccessLogs}) where
 * it configures any for the proxy side, else, when MeshConfig {@code accessLogFile} is set, one
 * file logger, with the mesh's text or JSON format, on every HTTP connection manager and TCP proxy
 * it builds for traffic, and on listeners themselves filtered to connections that found no filter
 * chain (response flag NR), which no filter ever logs.
 *
 * <p>Pure functions of (push context, proxy): the mesh config gives the file and format, the
 * proxy's Istio version whether Envoy still needs the METADATA and CEL formatter extensions.
 */
final class AccessLogs {
  private AccessLogs() {}

  private static final Logger log = LoggerFactory.getLogger(AccessLogs.class);

  static final String FILE_LOGGER = "envoy.access_loggers.file";

  /**
   * istiod's default text line (request, response code and flags, details, bytes, timing, headers,
   * upstream and downstream addresses, SNI and route), newline-terminated.
   */
  static final String DEFAULT_TEXT_FORMAT =
      "[%START_TIME%] \"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%\""
          + " %RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS%"
          + " %CONNECTION_TERMINATION_DETAILS% \"%UPSTREAM_TRANSPORT_FAILURE_REASON%\""
          + " %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%"
          + " \"%REQ(X-FORWARDED-FOR)%\" \"%REQ(USER-AGENT)%\" \"%REQ(X-REQUEST-ID)%\""
          + " \"%REQ(:AUTHORITY)%\" \"%UPSTREAM_HOST%\" %UPSTREAM_CLUSTER_RAW%"
          + " %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS%"
          + " %REQUESTED_SERVER_NAME% %ROUTE_NAME%\n";

  /** The same fields as {@link #DEFAULT_TEXT_FORMAT}, as istiod's JSON object. */
  static final Struct DEFAULT_JSON_FORMAT = defaultJson();

  private static Struct defaultJson() {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("start_time", "%START_TIME%");
    f.put("route_name", "%ROUTE_NAME%");
    f.put("method", "%REQ(:METHOD)%");
    f.put("path", "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%");
    f.put("protocol", "%PROTOCOL%");
    f.put("response_code", "%RESPONSE_CODE%");
    f.put("response_flags", "%RESPONSE_FLAGS%");
    f.put("response_code_details", "%RESPONSE_CODE_DETAILS%");
    f.put("connection_termination_details", "%CONNECTION_TERMINATION_DETAILS%");
    f.put("bytes_received", "%BYTES_RECEIVED%");
    f.put("bytes_sent", "%BYTES_SENT%");
    f.put("duration", "%DURATION%");
    f.put("upstream_service_time", "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%");
    f.put("x_forwarded_for", "%REQ(X-FORWARDED-FOR)%");
    f.put("user_agent", "%REQ(USER-AGENT)%");
    f.put("request_id", "%REQ(X-REQUEST-ID)%");
    f.put("authority", "%REQ(:AUTHORITY)%");
    f.put("upstream_host", "%UPSTREAM_HOST%");
    f.put("upstream_cluster", "%UPSTREAM_CLUSTER_RAW%");
    f.put("upstream_local_address", "%UPSTREAM_LOCAL_ADDRESS%");
    f.put("downstream_local_address", "%DOWNSTREAM_LOCAL_ADDRESS%");
    f.put("downstream_remote_address", "%DOWNSTREAM_REMOTE_ADDRESS%");
    f.put("requested_server_name", "%REQUESTED_SERVER_NAME%");
    f.put("upstream_transport_failure_reason", "%UPSTREAM_TRANSPORT_FAILURE_REASON%");
    Struct.Builder s = Struct.newBuilder();
    f.forEach((k, v) -> s.putFields(k, Value.newBuilder().setStringValue(v).build()));
    return s.build();
  }

  private static final TypedExtensionConfig REQ_WITHOUT_QUERY =
      extension("envoy.formatter.req_without_query", ReqWithoutQuery.getDefaultInstance());
  private static final TypedExtensionConfig METADATA =
      extension("envoy.formatter.metadata", Metadata.getDefaultInstance());
  private static final TypedExtensionConfig CEL =
      extension("envoy.formatter.cel", Cel.getDefaultInstance());

  /** Listener level: only connections no filter chain accepted (no filter logs those). */
  private static final AccessLogFilter NO_ROUTE = responseFlags("NR");

  /** HBONE origination: only failures to connect, whose details are lost at the other layers. */
  private static final AccessLogFilter UPSTREAM_FAILURE = responseFlags("UF");

  /** HBONE termination: only failed tunnels (status 400 and above); streams log inside. */
  private static final AccessLogFilter FAILED_TUNNEL =
      AccessLogFilter.newBuilder()
          .setStatusCodeFilter(
              StatusCodeFilter.newBuilder()
                  .setComparison(
                      ComparisonFilter.newBuilder()
                          .setOp(ComparisonFilter.Op.GE)
                          .setValue(
                              RuntimeUInt32.newBuilder()
                                  .setDefaultValue(400)
                                  // required by Envoy; a key nobody sets keeps the default
                                  .setRuntimeKey("istio.io/unset"))))
          .build();

  /** Envoy 1.34 (Istio 1.26) made %METADATA% and %CEL% built in: no formatter extension then. */
  private static final Pattern VERSION = Pattern.compile("^([1-9]+)\\.([0-9]+)");

  /** The logs of an HTTP connection manager serving traffic on a chain of class {@code cls}. */
  static List<AccessLog> http(PushContext push, Proxy proxy, ListenerClass cls) {
    return logs(push, proxy, cls, null);
  }

  /** The logs of a TCP proxy serving traffic on a chain of class {@code cls}. */
  static List<AccessLog> tcp(PushContext push, Proxy proxy, ListenerClass cls) {
    return logs(push, proxy, cls, null);
  }

  /** The logs of a listener of class {@code cls}: connections that matched no filter chain. */
  static List<AccessLog> listener(PushContext push, Proxy proxy, ListenerClass cls) {
    if (push.meshConfig().getDisableEnvoyListenerLog()) {
      return List.of();
    }
    return logs(push, proxy, cls, NO_ROUTE);
  }

  /** The logs of the TCP proxy that opens HBONE tunnels ({@code connect_originate}). */
  static List<AccessLog> hboneOrigination(PushContext push, Proxy proxy, ListenerClass cls) {
    return logs(push, proxy, cls, UPSTREAM_FAILURE);
  }

  /** The logs of the HCM that terminates HBONE tunnels ({@code connect_terminate}). */
  static List<AccessLog> hboneTermination(PushContext push, Proxy proxy) {
    return logs(push, proxy, ListenerClass.SIDECAR_INBOUND, FAILED_TUNNEL);
  }

  /**
   * The class of a proxy's outbound side: a gateway's listeners are of their own class (the client
   * side for Telemetry, as a sidecar's outbound).
   */
  static ListenerClass outboundClass(Proxy proxy) {
    return proxy.type() == Proxy.NodeType.ROUTER
        ? ListenerClass.GATEWAY
        : ListenerClass.SIDECAR_OUTBOUND;
  }

  /**
   * The Telemetry API's loggers when it configures any for this side (a disabled provider counts:
   * it silences the mesh config's logger), else the mesh config's file logger, as in istiod.
   */
  private static List<AccessLog> logs(
      PushContext push, Proxy proxy, ListenerClass cls, AccessLogFilter filter) {
    WorkloadMode mode =
        cls == ListenerClass.SIDECAR_INBOUND ? WorkloadMode.SERVER : WorkloadMode.CLIENT;
    List<AccessLog> telemetry = TelemetryAccessLogs.build(push, proxy, mode, filter);
    if (telemetry != null) {
      return telemetry;
    }
    return meshLog(push, proxy, filter);
  }

  /** The mesh config's file logger, if {@code accessLogFile} is set. */
  private static List<AccessLog> meshLog(PushContext push, Proxy proxy, AccessLogFilter filter) {
    MeshConfig mesh = push.meshConfig();
    if (mesh.getAccessLogFile().isEmpty()) {
      return List.of();
    }
    AccessLog.Builder al = fileLog(mesh, builtInFormatters(proxy)).toBuilder();
    if (filter != null) {
      al.setFilter(filter);
    }
    return List.of(al.build());
  }

  /**
   * A file logger to {@code path} with the mesh config's encoding and format: what the Telemetry
   * API's built-in {@code envoy} provider writes when it has no format of its own.
   */
  static AccessLog meshFormatFileLog(MeshConfig mesh, String path, boolean builtInFormatters) {
    if (path.equals(mesh.getAccessLogFile())) {
      return fileLog(mesh, builtInFormatters);
    }
    return build(mesh, path, builtInFormatters);
  }

  /** The last mesh config's loggers (without filter), by whether built-in formatters apply. */
  private record Cached(MeshConfig mesh, AccessLog builtIn, AccessLog extensions) {}

  private static volatile Cached cached;

  /**
   * The file logger of {@code mesh}. Remembered for the last mesh config seen (the same object for
   * a whole push), so a bad JSON format is reported once per config instead of per listener.
   */
  private static AccessLog fileLog(MeshConfig mesh, boolean builtInFormatters) {
    Cached c = cached;
    if (c == null || c.mesh() != mesh) {
      c =
          new Cached(
              mesh,
              build(mesh, mesh.getAccessLogFile(), true),
              build(mesh, mesh.getAccessLogFile(), false));
      cached = c;
    }
    return builtInFormatters ? c.builtIn() : c.extensions();
  }

  private static AccessLog build(MeshConfig mesh, String path, boolean builtInFormatters) {
    SubstitutionFormatString.Builder format = SubstitutionFormatString.newBuilder();
    List<String> values = new ArrayList<>();
    if (mesh.getAccessLogEncoding() == MeshConfig.AccessLogEncoding.JSON) {
      Struct json = jsonFormat(mesh.getAccessLogFormat());
      json.getFieldsMap().values().forEach(v -> values.add(v.getStringValue()));
      format
          .setJsonFormat(json)
          .setJsonFormatOptions(JsonFormatOptions.newBuilder().setSortProperties(false));
    } else {
      String text = textFormat(mesh.getAccessLogFormat());
      values.add(text);
      format.setTextFormatSource(DataSource.newBuilder().setInlineString(text));
    }
    format.addAllFormatters(formatters(values, builtInFormatters));
    FileAccessLog file = FileAccessLog.newBuilder().setPath(path).setLogFormat(format).build();
    return AccessLog.newBuilder().setName(FILE_LOGGER).setTypedConfig(Any.pack(file)).build();
  }

  /** A text format as istiod writes it: the default when empty, else with a trailing newline. */
  static String textFormat(String text) {
    if (text.isEmpty()) {
      return DEFAULT_TEXT_FORMAT;
    }
    // MeshConfig and the Telemetry providers promise a trailing newline on every format
    return text.endsWith("\n") ? text : text + "\n";
  }

  /**
   * The user's JSON format; one that does not parse as a JSON object falls back to the default, as
   * in istiod, with the reason logged.
   */
  private static Struct jsonFormat(String text) {
    if (text.isEmpty()) {
      return DEFAULT_JSON_FORMAT;
    }
    Struct.Builder b = Struct.newBuilder();
    try {
      JsonFormat.parser().ignoringUnknownFields().merge(text, b);
      return b.build();
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      log.warn(
          "MeshConfig accessLogFormat: not a JSON object ({}); using the default JSON format",
          e.getMessage());
      return DEFAULT_JSON_FORMAT;
    }
  }

  /** The formatter extensions the format's command operators need, in istiod's order. */
  static List<TypedExtensionConfig> formatters(List<String> values, boolean builtInFormatters) {
    List<TypedExtensionConfig> out = new ArrayList<>();
    if (values.stream().anyMatch(v -> v.contains("%REQ_WITHOUT_QUERY"))) {
      out.add(REQ_WITHOUT_QUERY);
    }
    if (!builtInFormatters && values.stream().anyMatch(v -> v.contains("%METADATA"))) {
      out.add(METADATA);
    }
    if (!builtInFormatters && values.stream().anyMatch(v -> v.contains("%CEL"))) {
      out.add(CEL);
    }
    return out;
  }

  /**
   * Whether the proxy's Envoy has %METADATA% and %CEL% built in: Istio 1.26 and later, or a version
   * that does not parse (istiod assumes the newest).
   */
  static boolean builtInFormatters(Proxy proxy) {
    return versionAtLeast(proxy, 1, 26);
  }

  /** Whether the proxy's Istio version is at least {@code major.minor} (unparsable: newest). */
  static boolean versionAtLeast(Proxy proxy, int wantMajor, int wantMinor) {
    String v = proxy.metadata().istioVersion();
    if (v == null) {
      return true;
    }
    Matcher m = VERSION.matcher(v.startsWith("release-") ? v.substring(8) : v);
    if (!m.find()) {
      return true;
    }
    int major = Integer.parseInt(m.group(1));
    int minor = Integer.parseInt(m.group(2));
    return major > wantMajor || (major == wantMajor && minor >= wantMinor);
  }

  private static AccessLogFilter responseFlags(String flag) {
    return AccessLogFilter.newBuilder()
        .setResponseFlagFilter(ResponseFlagFilter.newBuilder().addFlags(flag))
        .build();
  }

  private static TypedExtensionConfig extension(String name, Message config) {
    return TypedExtensionConfig.newBuilder().setName(name).setTypedConfig(Any.pack(config)).build();
  }
}

package io.jistiod.pilot.envoy.listener;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.HttpService;
import io.envoyproxy.envoy.config.core.v3.HttpUri;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.trace.v3.DatadogConfig;
import io.envoyproxy.envoy.config.trace.v3.OpenTelemetryConfig;
import io.envoyproxy.envoy.config.trace.v3.SkyWalkingConfig;
import io.envoyproxy.envoy.config.trace.v3.ZipkinConfig;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.Tracing;
import io.envoyproxy.envoy.extensions.tracers.opentelemetry.resource_detectors.v3.DynatraceResourceDetectorConfig;
import io.envoyproxy.envoy.extensions.tracers.opentelemetry.resource_detectors.v3.EnvironmentResourceDetectorConfig;
import io.envoyproxy.envoy.extensions.tracers.opentelemetry.samplers.v3.DynatraceSamplerConfig;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig.ExtensionProvider;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig.ExtensionProvider.HttpHeader;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig.ExtensionProvider.OpenTelemetryTracingProvider;
import io.jistiod.pilot.model.Service;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The provider part of an HCM's {@code tracing} as istiod 1.27 builds it from a MeshConfig
 * extension provider: the Envoy tracer ({@code envoy.tracers.zipkin}, {@code .datadog}, {@code
 * .skywalking}, {@code .opentelemetry}) with its typed config pointing at the collector's outbound
 * cluster {@code outbound|PORT||HOST}, the provider's {@code maxTagLength} as the path tag length,
 * and an upstream span per request for SkyWalking. Lightstep (deprecated), Stackdriver and
 * non-tracing providers give no tracer, nor does a collector service the registry does not have:
 * then the HCM gets no tracing at all, as istiod (which logs and goes on).
 */
final class TracingProviderConfigs {
  private TracingProviderConfigs() {}

  static final String ZIPKIN = "envoy.tracers.zipkin";
  static final String DATADOG = "envoy.tracers.datadog";
  static final String SKYWALKING = "envoy.tracers.skywalking";
  static final String OPENTELEMETRY = "envoy.tracers.opentelemetry";

  /**
   * @param tracing the tracing block with the provider set (sampling and tags still to add)
   * @param customSampler whether the provider samples itself (an OpenTelemetry sampler): then
   *     Envoy's random sampling is 100%, so every span reaches that sampler
   */
  record Built(Tracing.Builder tracing, boolean customSampler) {}

  /** A failure to build a provider, with the reason istiod would log. */
  static final class ProviderException extends Exception {
    ProviderException(String message) {
      super(message);
    }
  }

  /** The collector: its hostname and outbound cluster. */
  private record Collector(String hostname, String cluster) {}

  /**
   * @param services hostname -> service of the push
   * @param serviceCluster the proxy's Envoy node cluster (the service name Datadog and
   *     OpenTelemetry report)
   */
  static Built build(
      ExtensionProvider p, String serviceCluster, Function<String, Optional<Service>> services)
      throws ProviderException {
    // istiod's PILOT_SPAWN_UPSTREAM_SPAN_FOR_GATEWAY is off by default, so gateways are like
    // sidecars here; only SkyWalking asks for an upstream span
    boolean childSpan = false;
    int maxTagLength;
    String name;
    Any config;
    boolean customSampler = false;
    switch (p.getProviderCase()) {
      case ZIPKIN -> {
        var z = p.getZipkin();
        Collector c = lookup(services, "zipkin", z.getService(), z.getPort());
        maxTagLength = z.getMaxTagLength();
        name = ZIPKIN;
        config =
            Any.pack(
                ZipkinConfig.newBuilder()
                    .setCollectorCluster(c.cluster())
                    .setCollectorEndpoint(z.getPath().isEmpty() ? "/api/v2/spans" : z.getPath())
                    .setCollectorEndpointVersion(ZipkinConfig.CollectorEndpointVersion.HTTP_JSON)
                    .setCollectorHostname(c.hostname())
                    .setTraceId128Bit(!z.getEnable64BitTraceId())
                    .setSharedSpanContext(BoolValue.of(false))
                    .build());
      }
      case DATADOG -> {
        var d = p.getDatadog();
        Collector c = lookup(services, "datadog", d.getService(), d.getPort());
        maxTagLength = d.getMaxTagLength();
        name = DATADOG;
        config =
            Any.pack(
                DatadogConfig.newBuilder()
                    .setCollectorCluster(c.cluster())
                    .setServiceName(serviceCluster)
                    .setCollectorHostname(c.hostname())
                    .build());
      }
      case SKYWALKING -> {
        var s = p.getSkywalking();
        Collector c = lookup(services, "skywalking", s.getService(), s.getPort());
        maxTagLength = 0;
        name = SKYWALKING;
        childSpan = true;
        config = Any.pack(SkyWalkingConfig.newBuilder().setGrpcService(envoyGrpc(c)).build());
      }
      case OPENTELEMETRY -> {
        var o = p.getOpentelemetry();
        Collector c = lookup(services, "opentelemetry", o.getService(), o.getPort());
        maxTagLength = o.getMaxTagLength();
        name = OPENTELEMETRY;
        customSampler =
            o.getSamplingCase() != OpenTelemetryTracingProvider.SamplingCase.SAMPLING_NOT_SET;
        config = Any.pack(otel(o, c, serviceCluster, services));
      }
      case LIGHTSTEP ->
          throw new ProviderException(
              "provider " + p.getName() + ": Lightstep is deprecated and no longer traces");
      default ->
          throw new ProviderException(
              "provider "
                  + p.getName()
                  + " ("
                  + p.getProviderCase()
                  + ") does not support tracing");
    }
    Tracing.Builder t = Tracing.newBuilder();
    if (childSpan) {
      t.setSpawnUpstreamSpan(BoolValue.of(true));
    }
    t.setProvider(
        io.envoyproxy.envoy.config.trace.v3.Tracing.Http.newBuilder()
            .setName(name)
            .setTypedConfig(config));
    if (maxTagLength != 0) {
      t.setMaxPathTagLength(UInt32Value.of(maxTagLength));
    }
    return new Built(t, customSampler);
  }

  private static OpenTelemetryConfig otel(
      OpenTelemetryTracingProvider o,
      Collector c,
      String serviceCluster,
      Function<String, Optional<Service>> services)
      throws ProviderException {
    OpenTelemetryConfig.Builder oc =
        OpenTelemetryConfig.newBuilder().setServiceName(serviceCluster);
    if (o.hasHttp()) {
      var h = o.getHttp();
      HttpUri.Builder uri =
          HttpUri.newBuilder().setUri(joinPath(c.hostname(), h.getPath())).setCluster(c.cluster());
      if (h.hasTimeout()) {
        uri.setTimeout(h.getTimeout());
      }
      oc.setHttpService(
          HttpService.newBuilder()
              .setHttpUri(uri)
              .addAllRequestHeadersToAdd(headers(h.getHeadersList())));
    } else {
      GrpcService.Builder g = envoyGrpc(c).toBuilder();
      if (o.getGrpc().hasTimeout()) {
        g.setTimeout(o.getGrpc().getTimeout());
      }
      for (HttpHeader m : o.getGrpc().getInitialMetadataList()) {
        g.addInitialMetadata(HeaderValue.newBuilder().setKey(m.getName()).setValue(value(m)));
      }
      oc.setGrpcService(g);
    }
    if (o.hasResourceDetectors()) {
      var rd = o.getResourceDetectors();
      if (rd.hasEnvironment()) {
        oc.addResourceDetectors(
            HttpConnectionManagers.extension(
                "envoy.tracers.opentelemetry.resource_detectors.environment",
                EnvironmentResourceDetectorConfig.getDefaultInstance()));
      }
      if (rd.hasDynatrace()) {
        oc.addResourceDetectors(
            HttpConnectionManagers.extension(
                "envoy.tracers.opentelemetry.resource_detectors.dynatrace",
                DynatraceResourceDetectorConfig.getDefaultInstance()));
      }
    }
    if (o.hasDynatraceSampler()) {
      oc.setSampler(dynatraceSampler(o, c, services));
    }
    return oc.build();
  }

  /**
   * The Dynatrace sampler: it asks the Dynatrace API for its sampling configuration, through its
   * own service when it names one, else through the OTLP/HTTP exporter's host and headers.
   */
  private static TypedExtensionConfig dynatraceSampler(
      OpenTelemetryTracingProvider o, Collector c, Function<String, Optional<Service>> services)
      throws ProviderException {
    var s = o.getDynatraceSampler();
    DynatraceSamplerConfig.Builder d =
        DynatraceSamplerConfig.newBuilder()
            .setTenant(s.getTenant())
            .setClusterId(s.getClusterId())
            .setRootSpansPerMinute(s.getRootSpansPerMinute());
    HttpUri.Builder uri;
    List<HttpHeader> headers;
    if (!s.hasHttpService()) {
      if (!o.hasHttp()) {
        throw new ProviderException(
            "dynatrace sampler without http_service needs the provider's http exporter settings");
      }
      uri =
          HttpUri.newBuilder()
              .setUri(joinPath(c.hostname(), "api/v2/samplingConfiguration"))
              .setCluster(c.cluster());
      if (o.getHttp().hasTimeout()) {
        uri.setTimeout(o.getHttp().getTimeout());
      }
      headers = o.getHttp().getHeadersList();
    } else {
      var api = s.getHttpService();
      Collector dt = lookup(services, "dynatrace", api.getService(), api.getPort());
      uri =
          HttpUri.newBuilder()
              .setUri(joinPath(dt.hostname(), api.getHttp().getPath()))
              .setCluster(dt.cluster());
      if (api.getHttp().hasTimeout()) {
        uri.setTimeout(api.getHttp().getTimeout());
      }
      headers = api.getHttp().getHeadersList();
    }
    d.setHttpService(
        HttpService.newBuilder().setHttpUri(uri).addAllRequestHeadersToAdd(headers(headers)));
    return HttpConnectionManagers.extension(
        "envoy.tracers.opentelemetry.samplers.dynatrace", d.build());
  }

  private static GrpcService envoyGrpc(Collector c) {
    return GrpcService.newBuilder()
        .setEnvoyGrpc(
            GrpcService.EnvoyGrpc.newBuilder()
                .setClusterName(c.cluster())
                .setAuthority(c.hostname()))
        .build();
  }

  private static List<HeaderValueOption> headers(List<HttpHeader> headers) {
    return headers.stream()
        .map(
            h ->
                HeaderValueOption.newBuilder()
                    .setAppendAction(
                        HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD)
                    .setHeader(HeaderValue.newBuilder().setKey(h.getName()).setValue(value(h)))
                    .build())
        .toList();
  }

  /** A header's value: given inline, or read from istiod's own environment (empty if unset). */
  private static String value(HttpHeader h) {
    return switch (h.getHeaderValueCase()) {
      case VALUE -> h.getValue();
      case ENV_NAME -> {
        String v = System.getenv(h.getEnvName());
        yield v == null ? "" : v;
      }
      default -> "";
    };
  }

  /**
   * The collector URI istiod writes: the hostname and the path joined by one slash (no scheme; a
   * trailing slash of the path kept, an empty path adds nothing).
   */
  static String joinPath(String hostname, String path) {
    String p = path;
    while (p.startsWith("/")) {
      p = p.substring(1);
    }
    if (p.isEmpty()) {
      return hostname;
    }
    return hostname + "/" + p.replaceAll("/{2,}", "/");
  }

  /**
   * The collector of {@code service} ({@code host} or {@code namespace/host}) on {@code port}.
   *
   * @throws ProviderException when the registry has no such service
   */
  private static Collector lookup(
      Function<String, Optional<Service>> services, String kind, String service, int port)
      throws ProviderException {
    if (service.isEmpty()) {
      throw new ProviderException(kind + " provider: service must not be empty");
    }
    String ns = null;
    String host = service;
    String[] parts = service.split("/", -1);
    if (parts.length == 2) {
      ns = parts[0];
      host = parts[1];
    }
    Optional<Service> s = services.apply(host);
    if (s.isEmpty() || (ns != null && !ns.equals(s.get().namespace()))) {
      throw new ProviderException(
          kind + " provider: could not find service " + service + " in the service registry");
    }
    String h = s.get().hostname();
    return new Collector(h, "outbound|" + Integer.toUnsignedString(port) + "||" + h);
  }
}

package io.jistiod.pilot.envoy.listener;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.Tracing;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.RequestIDExtension;
import io.envoyproxy.envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig;
import io.envoyproxy.envoy.type.metadata.v3.MetadataKey;
import io.envoyproxy.envoy.type.metadata.v3.MetadataKind;
import io.envoyproxy.envoy.type.tracing.v3.CustomTag;
import io.envoyproxy.envoy.type.v3.Percent;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.api.mesh.v1alpha1.ProxyConfig;
import io.jistiod.galley.api.telemetry.v1alpha1.WorkloadMode;
import io.jistiod.pilot.envoy.listener.HttpConnectionManagers.ListenerClass;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.telemetry.TelemetryTracing;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An HCM's {@code tracing} and request ID extension, as istiod 1.27 configures them:
 *
 * <ul>
 *   <li>when the Telemetry API says nothing of tracing ({@link TelemetryTracing}): with MeshConfig
 *       {@code enableTracing}, a provider-less block (the proxy's bootstrap tracer reports) with
 *       the proxy config's sampling and custom tags;
 *   <li>else the side of the listener (client for outbound and gateways, server for inbound): none
 *       when it reports no spans or its provider cannot be built; otherwise the provider's tracer
 *       ({@link TracingProviderConfigs}), random sampling from the provider's own sampler (100%),
 *       the Telemetry, or the proxy config, in that order, and the Telemetry's custom tags (the
 *       proxy config's when it sets none); its {@code useRequestIdForTraceSampling} goes to the
 *       UUID request ID extension.
 * </ul>
 *
 * Istio's own tags (workload, namespace, mesh, cluster, and the authorization dry-run results) are
 * added unless turned off, and all tags are sorted by name.
 */
final class HcmTracing {
  private HcmTracing() {}

  private static final Logger log = LoggerFactory.getLogger(HcmTracing.class);

  /** istiod's PILOT_TRACE_SAMPLING default: the sampling when the proxy config sets none. */
  private static final double DEFAULT_SAMPLING = 1.0;

  /** Provider failures already logged (each once: every HCM of every push would repeat it). */
  private static final Set<String> warned = ConcurrentHashMap.newKeySet();

  /** Sets {@code b}'s tracing (if any) and its request ID extension. */
  static void apply(
      HttpConnectionManager.Builder b, ListenerClass cls, Proxy proxy, PushContext push) {
    MeshConfig mesh = push.meshConfig();
    ProxyConfig proxyConfig = mesh.getDefaultConfig();
    boolean requestIdSampling = true;
    Optional<TelemetryTracing.Config> telemetry = TelemetryTracing.of(push, proxy);
    if (telemetry.isEmpty()) {
      if (mesh.getEnableTracing()) {
        Tracing.Builder t = Tracing.newBuilder();
        sampling(t, proxyConfigSampling(proxyConfig));
        t.addAllCustomTags(
            tags(
                proxyConfig.getTracing().hasEnableIstioTags()
                    ? proxyConfig.getTracing().getEnableIstioTags().getValue()
                    : true,
                Map.of(),
                proxy,
                mesh));
        if (proxyConfig.getTracing().getMaxPathTagLength() != 0) {
          t.setMaxPathTagLength(UInt32Value.of(proxyConfig.getTracing().getMaxPathTagLength()));
        }
        b.setTracing(t);
      }
    } else {
      TelemetryTracing.Spec spec =
          telemetry
              .get()
              .side(
                  cls == ListenerClass.SIDECAR_INBOUND ? WorkloadMode.SERVER : WorkloadMode.CLIENT);
      Tracing t = spec.disabled() ? null : fromTelemetry(spec, proxy, push, proxyConfig);
      if (t != null) {
        b.setTracing(t);
        requestIdSampling = spec.useRequestIdForTraceSampling();
      }
    }
    b.setRequestIdExtension(
        RequestIDExtension.newBuilder()
            .setTypedConfig(
                Any.pack(
                    UuidRequestIdConfig.newBuilder()
                        .setUseRequestIdForTraceSampling(BoolValue.of(requestIdSampling))
                        .build())));
  }

  private static Tracing fromTelemetry(
      TelemetryTracing.Spec spec, Proxy proxy, PushContext push, ProxyConfig proxyConfig) {
    TracingProviderConfigs.Built built;
    try {
      built = TracingProviderConfigs.build(spec.provider(), proxy.serviceCluster(), push::service);
    } catch (TracingProviderConfigs.ProviderException e) {
      if (warned.add(e.getMessage())) {
        log.warn("tracing not configured: {}", e.getMessage());
      }
      return null;
    }
    Tracing.Builder t = built.tracing();
    double sampling;
    if (built.customSampler()) {
      sampling = 100;
    } else if (spec.randomSampling() != null) {
      sampling = spec.randomSampling();
    } else {
      sampling = proxyConfigSampling(proxyConfig);
    }
    sampling(t, sampling);
    t.addAllCustomTags(
        tags(
            spec.enableIstioTags(),
            spec.customTags() == null ? Map.of() : spec.customTags(),
            proxy,
            push.meshConfig()));
    if (!t.hasMaxPathTagLength() && proxyConfig.getTracing().getMaxPathTagLength() != 0) {
      t.setMaxPathTagLength(UInt32Value.of(proxyConfig.getTracing().getMaxPathTagLength()));
    }
    return t.build();
  }

  /** Client and overall sampling always 100%; random sampling decides. */
  private static void sampling(Tracing.Builder t, double random) {
    t.setClientSampling(Percent.newBuilder().setValue(100))
        .setRandomSampling(Percent.newBuilder().setValue(random))
        .setOverallSampling(Percent.newBuilder().setValue(100));
  }

  /** The proxy config's sampling percentage; unset or out of range means the 1% default. */
  static double proxyConfigSampling(ProxyConfig pc) {
    double s = pc.getTracing().getSampling();
    return s <= 0 || s > 100 ? DEFAULT_SAMPLING : s;
  }

  /**
   * Istio's tags (if {@code istioTags}), then the Telemetry's tags, or the proxy config's when the
   * Telemetry sets none; sorted by tag name.
   */
  private static List<CustomTag> tags(
      boolean istioTags,
      Map<String, io.jistiod.galley.api.telemetry.v1alpha1.Tracing.CustomTag> telemetryTags,
      Proxy proxy,
      MeshConfig mesh) {
    List<CustomTag> tags = new ArrayList<>();
    if (istioTags) {
      istioTags(tags, proxy);
    }
    if (telemetryTags.isEmpty()) {
      mesh.getDefaultConfig()
          .getTracing()
          .getCustomTagsMap()
          .forEach((name, tag) -> proxyConfigTag(name, tag).ifPresent(tags::add));
    } else {
      telemetryTags.forEach((name, tag) -> telemetryTag(name, tag).ifPresent(tags::add));
    }
    tags.sort(Comparator.comparing(CustomTag::getTag));
    return tags;
  }

  private static Optional<CustomTag> telemetryTag(
      String name, io.jistiod.galley.api.telemetry.v1alpha1.Tracing.CustomTag tag) {
    CustomTag.Builder t = CustomTag.newBuilder().setTag(name);
    switch (tag.getTypeCase()) {
      case LITERAL ->
          t.setLiteral(CustomTag.Literal.newBuilder().setValue(tag.getLiteral().getValue()));
      case ENVIRONMENT ->
          t.setEnvironment(
              CustomTag.Environment.newBuilder()
                  .setName(tag.getEnvironment().getName())
                  .setDefaultValue(tag.getEnvironment().getDefaultValue()));
      case HEADER ->
          t.setRequestHeader(
              CustomTag.Header.newBuilder()
                  .setName(tag.getHeader().getName())
                  .setDefaultValue(tag.getHeader().getDefaultValue()));
      default -> {
        // istiod 1.27 has no formatter tags in HCM tracing; an unset tag is skipped as well
        return Optional.empty();
      }
    }
    return Optional.of(t.build());
  }

  private static Optional<CustomTag> proxyConfigTag(
      String name, io.jistiod.galley.api.mesh.v1alpha1.Tracing.CustomTag tag) {
    CustomTag.Builder t = CustomTag.newBuilder().setTag(name);
    switch (tag.getTypeCase()) {
      case LITERAL ->
          t.setLiteral(CustomTag.Literal.newBuilder().setValue(tag.getLiteral().getValue()));
      case ENVIRONMENT ->
          t.setEnvironment(
              CustomTag.Environment.newBuilder()
                  .setName(tag.getEnvironment().getName())
                  .setDefaultValue(tag.getEnvironment().getDefaultValue()));
      case HEADER ->
          t.setRequestHeader(
              CustomTag.Header.newBuilder()
                  .setName(tag.getHeader().getName())
                  .setDefaultValue(tag.getHeader().getDefaultValue()));
      default -> {
        return Optional.empty();
      }
    }
    return Optional.of(t.build());
  }

  private static final String[][] DRY_RUN_TAGS = {
    {
      "istio.authorization.dry_run.allow_policy.name",
      "istio_dry_run_allow_shadow_effective_policy_id"
    },
    {"istio.authorization.dry_run.allow_policy.result", "istio_dry_run_allow_shadow_engine_result"},
    {
      "istio.authorization.dry_run.deny_policy.name",
      "istio_dry_run_deny_shadow_effective_policy_id"
    },
    {"istio.authorization.dry_run.deny_policy.result", "istio_dry_run_deny_shadow_engine_result"}
  };

  /**
   * The workload's identity tags and the authorization dry-run results (from the RBAC filter's
   * dynamic metadata; Envoy leaves those tags out when no shadow policy ran).
   */
  private static void istioTags(List<CustomTag> tags, Proxy proxy) {
    for (String[] t : DRY_RUN_TAGS) {
      tags.add(
          CustomTag.newBuilder()
              .setTag(t[0])
              .setMetadata(
                  CustomTag.Metadata.newBuilder()
                      .setKind(
                          MetadataKind.newBuilder()
                              .setRequest(MetadataKind.Request.getDefaultInstance()))
                      .setMetadataKey(
                          MetadataKey.newBuilder()
                              .setKey("envoy.filters.http.rbac")
                              .addPath(MetadataKey.PathSegment.newBuilder().setKey(t[1]))))
              .build());
    }
    // istiod reads the canonical labels only (no app/version fallback) and writes a placeholder
    // for what the proxy did not send, so no literal is ever empty (Envoy would reject it)
    var labels = proxy.metadata().labels();
    String meshId = HttpConnectionManagers.metadataString(proxy, "MESH_ID", "unknown");
    literal(
        tags,
        "istio.canonical_revision",
        nonEmpty(labels.get("service.istio.io/canonical-revision"), "latest"));
    literal(
        tags,
        "istio.canonical_service",
        nonEmpty(labels.get("service.istio.io/canonical-name"), "unknown"));
    literal(tags, "istio.cluster_id", nonEmpty(proxy.metadata().clusterId(), "unknown"));
    literal(tags, "istio.mesh_id", meshId);
    literal(tags, "istio.namespace", nonEmpty(proxy.metadata().namespace(), "default"));
  }

  private static String nonEmpty(String v, String fallback) {
    return v == null || v.isEmpty() ? fallback : v;
  }

  private static void literal(List<CustomTag> tags, String tag, String value) {
    tags.add(
        CustomTag.newBuilder()
            .setTag(tag)
            .setLiteral(CustomTag.Literal.newBuilder().setValue(value))
            .build());
  }
}

package io.jistiod.pilot.telemetry;

import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig.ExtensionProvider;
import io.jistiod.galley.api.telemetry.v1alpha1.ProviderRef;
import io.jistiod.galley.api.telemetry.v1alpha1.Tracing;
import io.jistiod.galley.api.telemetry.v1alpha1.WorkloadMode;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The Telemetry API's tracing for one proxy, merged as istiod 1.27 merges it: MeshConfig {@code
 * defaultProviders.tracing} (its first name) sets both sides' provider, then each applicable {@code
 * tracing} entry, least specific first, overrides the sides it matches (both, or the one its {@code
 * match.mode} names): the first provider it names, {@code disableSpanReporting}, {@code customTags}
 * (the whole map, not merged key by key), {@code randomSamplingPercentage}, {@code
 * useRequestIdForTraceSampling} and {@code enableIstioTags}. A side left without a provider (none
 * named, or a name MeshConfig does not define) reports no spans.
 *
 * <p>An empty answer means neither MeshConfig defaults nor any Telemetry speak of tracing: then
 * MeshConfig {@code enableTracing} and the proxy config's sampling decide, as in istiod.
 */
public final class TelemetryTracing {
  private TelemetryTracing() {}

  /**
   * One side's tracing.
   *
   * @param provider the provider, or null (then {@code disabled})
   * @param randomSampling the percentage a Telemetry set, or null (the proxy config's then)
   * @param customTags the Telemetry's tags by name, or null when none set any
   */
  public record Spec(
      ExtensionProvider provider,
      boolean disabled,
      Double randomSampling,
      Map<String, Tracing.CustomTag> customTags,
      boolean useRequestIdForTraceSampling,
      boolean enableIstioTags) {
    static final Spec INITIAL = new Spec(null, false, null, null, true, true);

    Spec withProvider(ExtensionProvider p) {
      return new Spec(
          p, disabled, randomSampling, customTags, useRequestIdForTraceSampling, enableIstioTags);
    }

    /** This side with {@code t}'s overrides applied ({@code found}: provider by name). */
    Spec merge(Tracing t, Function<String, Optional<ExtensionProvider>> found) {
      ExtensionProvider p = provider;
      List<ProviderRef> names = t.getProvidersList();
      if (!names.isEmpty()) {
        // one provider per side: istiod takes the first named, even when it is undefined
        p = found.apply(names.get(0).getName()).orElse(null);
      }
      return new Spec(
          p,
          t.hasDisableSpanReporting() ? t.getDisableSpanReporting().getValue() : disabled,
          t.hasRandomSamplingPercentage()
              ? Double.valueOf(t.getRandomSamplingPercentage().getValue())
              : randomSampling,
          t.getCustomTagsCount() > 0 ? Map.copyOf(t.getCustomTagsMap()) : customTags,
          t.hasUseRequestIdForTraceSampling()
              ? t.getUseRequestIdForTraceSampling().getValue()
              : useRequestIdForTraceSampling,
          t.hasEnableIstioTags() ? t.getEnableIstioTags().getValue() : enableIstioTags);
    }

    /** Without a provider nothing can report: the side is off. */
    Spec closed() {
      return provider != null
          ? this
          : new Spec(
              null,
              true,
              randomSampling,
              customTags,
              useRequestIdForTraceSampling,
              enableIstioTags);
    }
  }

  /** Both sides: {@code client} for outbound and gateway listeners, {@code server} for inbound. */
  public record Config(Spec client, Spec server) {
    public Spec side(WorkloadMode mode) {
      return mode == WorkloadMode.SERVER ? server : client;
    }
  }

  /** {@code proxy}'s tracing per the Telemetry API, or empty when it says nothing. */
  public static Optional<Config> of(PushContext push, Proxy proxy) {
    MeshConfig mesh = push.meshConfig();
    return merge(
        TelemetrySelection.of(push).tracing(proxy),
        mesh.getDefaultProviders().getTracingList(),
        name -> TelemetryProviders.find(mesh, name));
  }

  /**
   * The merge itself, a pure function.
   *
   * @param entries the applicable {@code tracing} entries, least specific first
   * @param defaults MeshConfig {@code defaultProviders.tracing}
   * @param find provider by name (case-insensitive in istiod)
   */
  static Optional<Config> merge(
      List<Tracing> entries,
      List<String> defaults,
      Function<String, Optional<ExtensionProvider>> find) {
    if (entries.isEmpty() && defaults.isEmpty()) {
      return Optional.empty();
    }
    Spec client = Spec.INITIAL;
    Spec server = Spec.INITIAL;
    if (!defaults.isEmpty()) {
      // istiod uses only the first default provider
      ExtensionProvider p = find.apply(defaults.get(0)).orElse(null);
      client = client.withProvider(p);
      server = server.withProvider(p);
    }
    for (Tracing t : entries) {
      WorkloadMode mode = t.hasMatch() ? t.getMatch().getMode() : WorkloadMode.CLIENT_AND_SERVER;
      if (mode != WorkloadMode.SERVER) {
        client = client.merge(t, find);
      }
      if (mode != WorkloadMode.CLIENT) {
        server = server.merge(t, find);
      }
    }
    return Optional.of(new Config(client.closed(), server.closed()));
  }
}

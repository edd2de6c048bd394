package io.jistiod.pilot.telemetry;

import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig.ExtensionProvider;
import io.jistiod.galley.api.telemetry.v1alpha1.AccessLogging;
import io.jistiod.galley.api.telemetry.v1alpha1.ProviderRef;
import io.jistiod.galley.api.telemetry.v1alpha1.Telemetry;
import io.jistiod.galley.api.telemetry.v1alpha1.WorkloadMode;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Telemetry API's access logging for one proxy side: which providers log, disabled or with a
 * CEL filter. What the listener generators turn into Envoy access logs; an empty answer means the
 * Telemetry API says nothing here and MeshConfig {@code accessLogFile} applies, as in istiod.
 */
public final class TelemetryLogging {
  private TelemetryLogging() {}

  private static final Logger log = LoggerFactory.getLogger(TelemetryLogging.class);

  /**
   * One provider's access logging.
   *
   * @param filter the CEL filter, or null
   */
  public record LoggingConfig(
      ExtensionProvider provider, boolean disabled, AccessLogging.Filter filter) {}

  /**
   * The providers for {@code proxy}'s {@code mode} side, in merge order (the caller sorts what it
   * builds by provider name). Names no provider has are dropped, as istiod drops them (warned once
   * per config, see {@link #warnUnknownProviders}).
   */
  public static List<LoggingConfig> accessLogging(
      PushContext push, Proxy proxy, WorkloadMode mode) {
    MeshConfig mesh = push.meshConfig();
    List<String> defaults = mesh.getDefaultProviders().getAccessLoggingList();
    TelemetrySelection selection = TelemetrySelection.of(push);
    List<TelemetrySelection.Level> levels = selection.accessLogging(proxy);
    if (levels.isEmpty() && defaults.isEmpty()) {
      return List.of();
    }
    warnUnknownProviders(push);
    Map<String, AccessLoggingMerge.ProviderSpec> merged =
        AccessLoggingMerge.merge(levels, defaults, mode);
    List<LoggingConfig> out = new ArrayList<>(merged.size());
    merged.forEach(
        (name, spec) ->
            TelemetryProviders.find(mesh, name)
                .ifPresent(p -> out.add(new LoggingConfig(p, spec.disabled(), spec.filter()))));
    return out;
  }

  /** The config last checked for unknown provider names (a push's lists are reused as is). */
  private record Checked(List<Config> telemetries, MeshConfig mesh) {}

  private static volatile Checked checked;

  /**
   * Logs each access logging provider name that names no extension provider (istiod silently
   * ignores those, so the log would otherwise just be missing), once per change of the Telemetry
   * resources or the mesh config.
   */
  static void warnUnknownProviders(PushContext push) {
    Checked c = checked;
    if (c != null && c.telemetries() == push.telemetries() && c.mesh() == push.meshConfig()) {
      return;
    }
    checked = new Checked(push.telemetries(), push.meshConfig());
    for (String problem : unknownProviders(push.meshConfig(), push.telemetries())) {
      log.warn("{}", problem);
    }
  }

  /** A line for each provider name in access logging that will write no access log. */
  static List<String> unknownProviders(MeshConfig mesh, List<Config> telemetries) {
    List<String> out = new ArrayList<>();
    for (String name : mesh.getDefaultProviders().getAccessLoggingList()) {
      check(mesh, name, "MeshConfig defaultProviders.accessLogging").ifPresent(out::add);
    }
    for (Config c : telemetries) {
      List<AccessLogging> logging = c.spec(Telemetry.class).getAccessLoggingList();
      for (int i = 0; i < logging.size(); i++) {
        for (ProviderRef p : logging.get(i).getProvidersList()) {
          String where =
              "Telemetry " + c.namespace() + "/" + c.name() + " accessLogging[" + i + "].providers";
          check(mesh, p.getName(), where).ifPresent(out::add);
        }
      }
    }
    return out;
  }

  private static Optional<String> check(MeshConfig mesh, String name, String where) {
    Optional<ExtensionProvider> p = TelemetryProviders.find(mesh, name);
    if (p.isEmpty()) {
      return Optional.of(
          where
              + ": provider \""
              + name
              + "\" is not defined in MeshConfig extensionProviders; no access log for it");
    }
    switch (p.get().getProviderCase()) {
      case ENVOY_FILE_ACCESS_LOG, ENVOY_HTTP_ALS, ENVOY_TCP_ALS, ENVOY_OTEL_ALS:
        return Optional.empty();
      default:
        return Optional.of(
            where
                + ": provider \""
                + name
                + "\" ("
                + p.get().getProviderCase()
                + ") does not write access logs; ignored");
    }
  }
}

package io.jistiod.pilot.telemetry;

import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig.ExtensionProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * MeshConfig {@code extensionProviders} as istiod sees them: its built-in providers ({@code
 * prometheus}, {@code stackdriver} and {@code envoy}, a file logger to /dev/stdout) first, each
 * replaced in place by a user provider of the same name, then the user's other providers in order.
 * Our mesh config keeps only the user's list (a repeated field the YAML sets replaces the
 * defaults), so the built-ins are added back here, where Telemetry looks providers up.
 */
public final class TelemetryProviders {
  private TelemetryProviders() {}

  /** The built-in file logger's name: what {@code providers: [{name: envoy}]} refers to. */
  public static final String ENVOY = "envoy";

  /** The built-in file logger's path. */
  public static final String DEV_STDOUT = "/dev/stdout";

  private static final List<ExtensionProvider> BUILT_IN =
      List.of(
          ExtensionProvider.newBuilder()
              .setName("prometheus")
              .setPrometheus(ExtensionProvider.PrometheusMetricsProvider.getDefaultInstance())
              .build(),
          ExtensionProvider.newBuilder()
              .setName("stackdriver")
              .setStackdriver(ExtensionProvider.StackdriverProvider.getDefaultInstance())
              .build(),
          ExtensionProvider.newBuilder()
              .setName(ENVOY)
              .setEnvoyFileAccessLog(
                  ExtensionProvider.EnvoyFileAccessLogProvider.newBuilder().setPath(DEV_STDOUT))
              .build());

  /** The effective providers: built-ins (or the user's replacement of each), then the user's. */
  public static List<ExtensionProvider> effective(MeshConfig mesh) {
    List<ExtensionProvider> out = new ArrayList<>(BUILT_IN);
    for (ExtensionProvider p : mesh.getExtensionProvidersList()) {
      int same = -1;
      for (int i = 0; i < BUILT_IN.size(); i++) {
        if (out.get(i).getName().equals(p.getName())) {
          same = i;
          break;
        }
      }
      if (same >= 0) {
        out.set(same, p);
      } else {
        out.add(p);
      }
    }
    return out;
  }

  /** The first effective provider whose name equals {@code name} ignoring case, as istiod. */
  public static Optional<ExtensionProvider> find(MeshConfig mesh, String name) {
    for (ExtensionProvider p : effective(mesh)) {
      if (p.getName().equalsIgnoreCase(name)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }
}

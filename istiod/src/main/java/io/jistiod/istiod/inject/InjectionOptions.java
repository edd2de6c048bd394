package io.jistiod.istiod.inject;

import io.jistiod.injector.NativeSidecars;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * Sidecar injection in istiod: on unless {@code INJECT_ENABLED=false}; the config from {@code
 * directory}'s {@code config} and {@code values} files when they exist (istiod's {@code
 * ./var/lib/istio/inject}, where its chart mounts the ConfigMap), else from the {@code
 * istio-sidecar-injector[-REVISION]} ConfigMap in istiod's namespace.
 *
 * @param nativeSidecars {@code ENABLE_NATIVE_SIDECARS}
 * @param compliancePolicy {@code COMPLIANCE_POLICY}
 */
public record InjectionOptions(
    boolean enabled, Path directory, NativeSidecars.Mode nativeSidecars, String compliancePolicy) {

  /** istiod's injection directory, relative to the working directory as istiod has it. */
  public static final Path DEFAULT_DIRECTORY = Path.of("./var/lib/istio/inject");

  public static InjectionOptions fromEnvironment(Function<String, String> env) {
    return new InjectionOptions(
        !"false".equals(env.apply("INJECT_ENABLED")),
        DEFAULT_DIRECTORY,
        NativeSidecars.mode(env.apply("ENABLE_NATIVE_SIDECARS")),
        env.apply("COMPLIANCE_POLICY") == null ? "" : env.apply("COMPLIANCE_POLICY"));
  }

  public static InjectionOptions disabled() {
    return new InjectionOptions(false, DEFAULT_DIRECTORY, NativeSidecars.Mode.AUTO, "");
  }

  public InjectionOptions withDirectory(Path dir) {
    return new InjectionOptions(enabled, dir, nativeSidecars, compliancePolicy);
  }

  /** The ConfigMap of {@code revision} ("" and "default" share the unsuffixed one). */
  public static String configMapName(String revision) {
    return revision == null || revision.isEmpty() || revision.equals("default")
        ? "istio-sidecar-injector"
        : "istio-sidecar-injector-" + revision;
  }
}

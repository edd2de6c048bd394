package io.jistiod.injector;

/**
 * The injector's configuration at one moment: the {@code config} and {@code values} of the {@code
 * istio-sidecar-injector} ConfigMap, replaced together when either changes.
 */
public record InjectorConfig(InjectionConfig config, ValuesConfig values) {
  /** Parses both keys; either failing fails the whole (so the last good one stays). */
  public static InjectorConfig parse(
      String config, String values, InjectionConfig.TemplateParser parser)
      throws InjectionConfigException {
    return new InjectorConfig(InjectionConfig.parse(config, parser), ValuesConfig.parse(values));
  }
}

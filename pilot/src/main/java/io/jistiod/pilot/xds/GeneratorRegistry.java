package io.jistiod.pilot.xds;

import io.jistiod.pilot.model.Proxy;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Picks the generator for a proxy and type the way istiod does: first by the proxy's GENERATOR
 * metadata ({@code grpc/<type>}), then by type alone.
 */
public final class GeneratorRegistry {
  private final Map<String, XdsGenerator> generators = new HashMap<>();

  /** Registers {@code generator} for {@code typeUrl}, for proxies whose GENERATOR is given. */
  public GeneratorRegistry register(String generatorName, String typeUrl, XdsGenerator generator) {
    generators.put(key(generatorName, typeUrl), generator);
    return this;
  }

  /** Registers the default generator of {@code typeUrl}. */
  public GeneratorRegistry register(String typeUrl, XdsGenerator generator) {
    generators.put(typeUrl, generator);
    return this;
  }

  /**
   * Replaces every registered generator by {@code decorator(typeUrl, generator)}: for wrapping all
   * of them at once (instrumentation, tests).
   */
  public GeneratorRegistry decorate(
      java.util.function.BiFunction<String, XdsGenerator, XdsGenerator> decorator) {
    // a key is a type URL, or GENERATOR/ before one
    generators.replaceAll(
        (key, g) -> decorator.apply(key.substring(key.indexOf("type.googleapis.com/")), g));
    return this;
  }

  public Optional<XdsGenerator> find(Proxy proxy, String typeUrl) {
    XdsGenerator g = null;
    if (!proxy.generator().isEmpty()) {
      g = generators.get(key(proxy.generator(), typeUrl));
    }
    if (g == null) {
      g = generators.get(typeUrl);
    }
    return Optional.ofNullable(g);
  }

  private static String key(String generator, String typeUrl) {
    return generator + "/" + typeUrl;
  }
}

package io.jistiod.pilot.push;

import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.xds.XdsResource;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Resources built once per push and shared by every proxy that would build the same thing. A
 * resource depends on the proxy only through its namespace (visibility, DestinationRule choice),
 * its labels (Sidecar choice) and its locality (failover priorities), so those, with the type and
 * name, are the key. The packed body is shared, so it is also serialized only once.
 *
 * <p>Lives in one {@link PushContext}: a new push context starts empty, so entries never outlive
 * the config they were built from. Safe for concurrent use by push workers.
 */
public final class GenerationCache {
  private final Map<Key, XdsResource> entries = new ConcurrentHashMap<>();

  private record Key(
      String type, String name, String namespace, Map<String, String> labels, String locality) {}

  /** The cached resource, or builds it with {@code build} (null = does not exist, not cached). */
  public XdsResource get(String type, String name, Proxy proxy, Supplier<XdsResource> build) {
    Key key =
        new Key(
            type,
            name,
            proxy.configNamespace(),
            proxy.metadata().labels(),
            proxy.locality().toString());
    XdsResource cached = entries.get(key);
    if (cached != null) {
      return cached;
    }
    XdsResource built = build.get();
    if (built != null) {
      entries.putIfAbsent(key, built);
    }
    return built;
  }

  /**
   * Carries over from an earlier push's cache the entries of {@code type} whose name {@code keep}
   * accepts: what the change that made this push cannot have altered. Called before the push
   * context is published.
   */
  void retain(GenerationCache previous, String type, java.util.function.Predicate<String> keep) {
    retain(previous, type::equals, keep);
  }

  /**
   * As {@link #retain(GenerationCache, String, java.util.function.Predicate)}, for several types.
   */
  void retain(
      GenerationCache previous,
      java.util.function.Predicate<String> types,
      java.util.function.Predicate<String> keep) {
    previous.entries.forEach(
        (key, value) -> {
          if (types.test(key.type()) && keep.test(key.name())) {
            entries.putIfAbsent(key, value);
          }
        });
  }

  public int size() {
    return entries.size();
  }

  /** Convenience for generators that build one resource per name. */
  public static List<XdsResource> nonNull(List<XdsResource> resources) {
    resources.removeIf(Objects::isNull);
    return resources;
  }
}

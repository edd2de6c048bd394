package io.jistiod.pilot.push;

import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.xds.XdsResource;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Resources built once per push and shared by every proxy that would build the same thing. A
 * resource depends on the proxy only through its namespace (visibility, DestinationRule choice),
 * its labels (Sidecar choice, routes matching on source labels, a gateway's Gateway resources) and
 * its locality (failover priorities): together its {@link Scope}. The push context says which
 * labels tell proxies apart: for a sidecar, without a VirtualService matching on source labels,
 * only the Sidecar resource they select (with 20 apps in each of 50 namespaces, 50 scopes instead
 * of 1000, each building its own routes). The scope, with the type and name, is the key. The packed
 * body is shared, so it is also serialized (and digested) only once.
 *
 * <p>A proxy's scope is looked up once per generation and is then compared by identity: hashing and
 * comparing the labels of the proxy for each of its thousands of resources cost a fifth of a full
 * push's generation time.
 *
 * <p>Lives in one {@link PushContext}: a new push context starts empty, so entries never outlive
 * the config they were built from. Safe for concurrent use by push workers.
 */
public final class GenerationCache {
  private final Map<Key, XdsResource> entries = new ConcurrentHashMap<>();
  private final Map<ScopeKey, Scope> scopes = new ConcurrentHashMap<>();
  private final Map<MemoKey, Object> memos = new ConcurrentHashMap<>();
  private final Function<Proxy, Map<String, String>> scopeLabels;

  /** A cache whose scopes hold the proxies' labels as they are. */
  public GenerationCache() {
    this(proxy -> proxy.metadata().labels());
  }

  /**
   * A cache whose scopes hold {@code scopeLabels(proxy)} in place of the proxy's labels: the part
   * of them that what the push context holds can tell apart (so proxies whose labels select nothing
   * different share a scope).
   */
  public GenerationCache(Function<Proxy, Map<String, String>> scopeLabels) {
    this.scopeLabels = scopeLabels;
  }

  /**
   * What a cached resource may depend on besides the config: the same object for every proxy with
   * the same namespace, labels and locality, within a push and the pushes its entries carry over
   * to. Equality is identity.
   */
  public static final class Scope {
    private final ScopeKey key;

    private Scope(ScopeKey key) {
      this.key = key;
    }

    @Override
    public String toString() {
      return "Scope[" + key.namespace() + "]";
    }
  }

  private record ScopeKey(String namespace, Map<String, String> labels, String locality) {}

  /** {@code variant}: a {@link Scope} (identity), or a string a generator derives (value). */
  private record Key(String type, String name, Object variant) {}

  private record MemoKey(String kind, Scope scope) {}

  /** Per scope and type: the resources a proxy of that scope already got, by name. */
  private final Map<MemoKey, Map<String, XdsResource>> resolved = new ConcurrentHashMap<>();

  /** The scope of {@code proxy}: look it up once per generation, then pass it around. */
  public Scope scope(Proxy proxy) {
    ScopeKey key =
        new ScopeKey(
            proxy.configNamespace(), scopeLabels.apply(proxy), proxy.locality().toString());
    Scope s = scopes.get(key);
    if (s != null) {
      return s;
    }
    Scope made = new Scope(new ScopeKey(key.namespace(), Map.copyOf(key.labels()), key.locality()));
    Scope raced = scopes.putIfAbsent(made.key, made);
    return raced != null ? raced : made;
  }

  /** The cached resource, or builds it with {@code build} (null = does not exist, not cached). */
  public XdsResource get(String type, String name, Proxy proxy, Supplier<XdsResource> build) {
    return get(type, name, scope(proxy), build);
  }

  /** As {@link #get(String, String, Proxy, Supplier)}, for a scope already looked up. */
  public XdsResource get(String type, String name, Scope scope, Supplier<XdsResource> build) {
    return get(new Key(type, name, scope), build);
  }

  private XdsResource get(Key key, Supplier<XdsResource> build) {
    XdsResource cached = entries.get(key);
    if (cached != null) {
      return cached;
    }
    XdsResource built = build.get();
    if (built != null) {
      XdsResource raced = entries.putIfAbsent(key, built);
      return raced != null ? raced : built;
    }
    return null;
  }

  /**
   * A resource that depends on the proxy only through {@code variant}, a string its generator
   * derives from what the build reads of the proxy (say, the DestinationRule that applies and the
   * locality): shared by every proxy with the same variant, whatever their scopes. Outbound
   * clusters are keyed so: with 5000 services and 50 namespaces, keying them by scope held 50
   * copies of each of the 10,003 clusters and filled a 1.5 GiB heap.
   */
  public XdsResource getShared(
      String type, String name, String variant, Supplier<XdsResource> build) {
    return get(new Key(type, name, variant), build);
  }

  /**
   * What a shared resource's build reads of the proxy ({@link #getShared}'s variant), and whether
   * the proxy's scope alone determines it.
   */
  public record Variant(String key, boolean ofScope) {}

  /**
   * As {@link #getShared}, remembered per scope by name: the first proxy of a scope works out each
   * resource's variant, every later proxy of that scope finds the resource by its name alone. For
   * the thousands of load assignments and gRPC clusters a proxy asks for, working out the variant
   * (parse the name, find the service and its DestinationRule, build the key) cost more than the
   * lookup itself. A resource whose variant depends on more of the proxy than its scope (its whole
   * labels, say) is shared by variant but not remembered for the scope.
   */
  public XdsResource getSharedInScope(
      String type,
      String name,
      Scope scope,
      Supplier<Variant> variant,
      Supplier<XdsResource> build) {
    Map<String, XdsResource> known =
        resolved.computeIfAbsent(new MemoKey(type, scope), k -> new ConcurrentHashMap<>());
    XdsResource r = known.get(name);
    if (r != null) {
      return r;
    }
    Variant v = variant.get();
    r = get(new Key(type, name, v.key()), build);
    if (r != null && v.ofScope()) {
      known.putIfAbsent(name, r);
    }
    return r;
  }

  /**
   * A value derived once per push and scope (a proxy's whole list of outbound clusters, say),
   * shared like the resources; never carried over to a later push. {@code build} must not return
   * null.
   */
  @SuppressWarnings("unchecked")
  public <T> T memo(String kind, Scope scope, Supplier<T> build) {
    MemoKey key = new MemoKey(kind, scope);
    Object cached = memos.get(key);
    if (cached != null) {
      return (T) cached;
    }
    // not computeIfAbsent: a build may itself ask for another memo
    T built = Objects.requireNonNull(build.get(), kind);
    Object raced = memos.putIfAbsent(key, built);
    return raced != null ? (T) raced : built;
  }

  /**
   * Carries over from an earlier push's cache the entries of {@code type} whose name {@code keep}
   * accepts: what the change that made this push cannot have altered. Called before the push
   * context is published.
   */
  void retain(GenerationCache previous, String type, Predicate<String> keep) {
    retain(previous, type::equals, keep);
  }

  /** As {@link #retain(GenerationCache, String, Predicate)}, for several types. */
  void retain(GenerationCache previous, Predicate<String> types, Predicate<String> keep) {
    previous.entries.forEach(
        (key, value) -> {
          if (types.test(key.type()) && keep.test(key.name())) {
            entries.putIfAbsent(key, value);
            // the same scope object, so this push's proxies find the entry; only the scopes of
            // carried-over entries come along, so scopes of proxies long gone do not pile up
            if (key.variant() instanceof Scope scope) {
              scopes.putIfAbsent(scope.key, scope);
            }
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

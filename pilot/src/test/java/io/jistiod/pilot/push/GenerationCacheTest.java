package io.jistiod.pilot.push;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.xds.XdsResource;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class GenerationCacheTest {

  private static Proxy sidecar(String ip, String namespace, String app) throws Exception {
    Struct labels =
        Struct.newBuilder()
            .putFields("app", Value.newBuilder().setStringValue(app).build())
            .build();
    Struct md =
        Struct.newBuilder()
            .putFields("NAMESPACE", Value.newBuilder().setStringValue(namespace).build())
            .putFields("LABELS", Value.newBuilder().setStructValue(labels).build())
            .build();
    return Proxy.fromNode(
        "sidecar~" + ip + "~p." + namespace + "~" + namespace + ".svc.cluster.local",
        md,
        Locality.UNKNOWN);
  }

  private static XdsResource cluster(String name) {
    return XdsResource.of(name, Cluster.newBuilder().setName(name).build());
  }

  @Test
  void replicasShareOneScopeAndItsEntries() throws Exception {
    GenerationCache cache = new GenerationCache();
    Proxy a = sidecar("10.0.0.1", "shop", "cart");
    Proxy b = sidecar("10.0.0.2", "shop", "cart");
    Proxy other = sidecar("10.0.0.3", "shop", "web");
    assertThat(cache.scope(a)).isSameAs(cache.scope(b)).isNotSameAs(cache.scope(other));

    AtomicInteger builds = new AtomicInteger();
    XdsResource first = cache.get("cds", "c", a, () -> cluster("c" + builds.incrementAndGet()));
    assertThat(cache.get("cds", "c", cache.scope(b), () -> cluster("again"))).isSameAs(first);
    assertThat(cache.get("cds", "c", other, () -> cluster("web"))).isNotSameAs(first);
    assertThat(builds).hasValue(1);
  }

  @Test
  void memosAreBuiltOncePerScopeAndNotCarriedOver() throws Exception {
    GenerationCache cache = new GenerationCache();
    Proxy a = sidecar("10.0.0.1", "shop", "cart");
    AtomicInteger builds = new AtomicInteger();
    Object one = cache.memo("list", cache.scope(a), () -> "v" + builds.incrementAndGet());
    Object two = cache.memo("list", cache.scope(a), () -> "v" + builds.incrementAndGet());
    assertThat(one).isSameAs(two);
    assertThat(builds).hasValue(1);

    cache.get("cds", "kept", a, () -> cluster("kept"));
    cache.get("cds", "dropped", a, () -> cluster("dropped"));
    GenerationCache next = new GenerationCache();
    next.retain(cache, "cds", name -> name.equals("kept"));
    // a later push's proxy (a new object, same scope) finds the carried-over entry only
    Proxy again = sidecar("10.0.0.1", "shop", "cart");
    assertThat(next.get("cds", "kept", again, () -> null)).isNotNull();
    assertThat(next.get("cds", "dropped", again, () -> null)).isNull();
    assertThat(next.memo("list", next.scope(again), () -> "fresh")).isEqualTo("fresh");
  }

  @Test
  void sharedInScopeRemembersAVariantOnlyWhenTheScopeDeterminesIt() throws Exception {
    // scopes ignore labels here, so "cart" and "web" are one scope, as with no Sidecar resource
    GenerationCache cache = new GenerationCache(p -> java.util.Map.of());
    Proxy cart = sidecar("10.0.0.1", "shop", "cart");
    Proxy web = sidecar("10.0.0.2", "shop", "web");
    assertThat(cache.scope(cart)).isSameAs(cache.scope(web));
    AtomicInteger variants = new AtomicInteger();

    // the scope fixes the variant: worked out for the first proxy of the scope only
    XdsResource first =
        cache.getSharedInScope(
            "eds",
            "a",
            cache.scope(cart),
            () -> new GenerationCache.Variant("dr1" + variants.incrementAndGet(), true),
            () -> cluster("a-for-cart"));
    XdsResource second =
        cache.getSharedInScope(
            "eds",
            "a",
            cache.scope(web),
            () -> new GenerationCache.Variant("dr1" + variants.incrementAndGet(), true),
            () -> cluster("a-for-web"));
    assertThat(second).isSameAs(first);
    assertThat(variants).hasValue(1);

    // a variant that reads the labels: each proxy gets what its own variant says
    XdsResource forCart =
        cache.getSharedInScope(
            "eds",
            "b",
            cache.scope(cart),
            () -> new GenerationCache.Variant("app=cart", false),
            () -> cluster("b-for-cart"));
    XdsResource forWeb =
        cache.getSharedInScope(
            "eds",
            "b",
            cache.scope(web),
            () -> new GenerationCache.Variant("app=web", false),
            () -> cluster("b-for-web"));
    assertThat(forCart.body().getValue()).isNotEqualTo(forWeb.body().getValue());
    // and still shared by variant, across scopes
    assertThat(cache.getShared("eds", "b", "app=web", () -> cluster("other"))).isSameAs(forWeb);
  }
}

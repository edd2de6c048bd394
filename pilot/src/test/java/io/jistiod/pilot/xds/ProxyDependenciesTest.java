package io.jistiod.pilot.xds;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.config.MemoryConfigStore;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.ConfigKey;
import io.jistiod.pilot.push.Kind;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.push.PushContextBuilder;
import io.jistiod.pilot.push.PushRequest;
import io.jistiod.pilot.serviceentry.ServiceEntryRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which proxies a change can affect, as istiod's ConfigAffectsProxy. */
class ProxyDependenciesTest {
  private final MemoryConfigStore store = new MemoryConfigStore();
  private final PushContextBuilder builder =
      new PushContextBuilder(store, List.of(new ServiceEntryRegistry(store)), "cluster.local");
  private final Proxy inA = proxy("sidecar~10.0.0.1~p.a~a.svc.cluster.local", "a");
  private final Proxy inB = proxy("sidecar~10.0.0.2~p.b~b.svc.cluster.local", "b");
  private final Proxy gatewayInA = proxy("router~10.0.0.3~gw.a~a.svc.cluster.local", "a");
  private PushContext current;

  private static Proxy proxy(String id, String ns) {
    try {
      return Proxy.fromNode(
          id,
          com.google.protobuf.Struct.newBuilder()
              .putFields(
                  "NAMESPACE", com.google.protobuf.Value.newBuilder().setStringValue(ns).build())
              .build(),
          Locality.UNKNOWN);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private void apply(String yaml) {
    for (Config c : new ConfigParser(IstioKinds.ALL, "default").parse(yaml, "t").configs()) {
      store.put(c);
    }
  }

  /** Applies the change and returns the dependencies of its push. */
  private ProxyDependencies change(String yaml, ConfigKey key) {
    if (current == null) {
      current = builder.build(null, PushRequest.fullForAll("global", 0));
    }
    apply(yaml);
    PushRequest request = PushRequest.full("config", key, 0);
    PushContext next = builder.build(current, request);
    ProxyDependencies d = new ProxyDependencies(request, current, next);
    current = next;
    return d;
  }

  private static String service(String name, String ns, String exportTo) {
    return """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: %s, namespace: %s}
        spec:
          hosts: [%s.%s.svc.cluster.local]
          exportTo: %s
          resolution: STATIC
          ports: [{name: http, number: 80, protocol: HTTP}]
          endpoints: [{address: 10.1.0.1}]
        """
        .formatted(name, ns, name, ns, exportTo);
  }

  @Test
  void aServiceIsAChangeOnlyForProxiesThatSeeItBeforeOrAfter() {
    ConfigKey key = ConfigKey.service("s.b.svc.cluster.local", "b");
    ProxyDependencies added = change(service("s", "b", "[.]"), key);
    assertThat(added.affects(inB)).isTrue();
    assertThat(added.affects(inA)).isFalse();
    assertThat(added.affects(gatewayInA)).isFalse();
    // exported to everyone: now everyone sees it
    ProxyDependencies widened = change(service("s", "b", "['*']"), key);
    assertThat(widened.affects(inA)).isTrue();
    // narrowed again: a's proxy saw it before, so it must learn it is gone
    ProxyDependencies narrowed = change(service("s", "b", "[.]"), key);
    assertThat(narrowed.affects(inA)).isTrue();
  }

  @Test
  void virtualServicesForGatewaysOnlyOrOtherNamespacesDoNotAffectASidecar() {
    ConfigKey key = ConfigKey.of(Kind.VIRTUAL_SERVICE, "b", "vs");
    String vs =
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: vs, namespace: b}
        spec:
          hosts: [s.b.svc.cluster.local]
          %s
          http: [{route: [{destination: {host: s.b.svc.cluster.local}}]}]
        """;
    ProxyDependencies gatewayOnly = change(vs.formatted("gateways: [a/gw]"), key);
    assertThat(gatewayOnly.affects(inA)).isFalse();
    assertThat(gatewayOnly.affects(inB)).isFalse();
    assertThat(gatewayOnly.affects(gatewayInA)).isTrue();

    ProxyDependencies exportedToB = change(vs.formatted("exportTo: [.]"), key);
    assertThat(exportedToB.affects(inB)).isTrue();
    assertThat(exportedToB.affects(inA)).isFalse();
  }

  @Test
  void sidecarsAndPoliciesApplyFromTheirNamespaceOrTheRoot() {
    ProxyDependencies sidecarInB =
        change(
            """
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default, namespace: b}
            spec: {egress: [{hosts: ["./*"]}]}
            """,
            ConfigKey.of(Kind.SIDECAR, "b", "default"));
    assertThat(sidecarInB.affects(inB)).isTrue();
    assertThat(sidecarInB.affects(inA)).isFalse();

    ProxyDependencies rootPolicy =
        change(
            """
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: deny, namespace: istio-system}
            spec: {}
            """,
            ConfigKey.of(Kind.AUTHORIZATION_POLICY, "istio-system", "deny"));
    assertThat(rootPolicy.affects(inA)).isTrue();
    assertThat(rootPolicy.affects(inB)).isTrue();

    ProxyDependencies policyInB =
        change(
            """
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: deny, namespace: b}
            spec: {}
            """,
            ConfigKey.of(Kind.AUTHORIZATION_POLICY, "b", "deny"));
    assertThat(policyInB.affects(inA)).isFalse();
    assertThat(policyInB.affects(inB)).isTrue();
  }
}

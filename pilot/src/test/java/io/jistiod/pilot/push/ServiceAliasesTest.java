package io.jistiod.pilot.push;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.pilot.model.Protocol;
import io.jistiod.pilot.model.Resolution;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServiceAttributes;
import io.jistiod.pilot.model.ServicePort;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ServiceAliasesTest {
  private static final String SUFFIX = ".svc.cluster.local";

  private static Service kube(String name, String ns, String externalName) {
    return new Service(
        name + "." + ns + SUFFIX,
        ns,
        List.of(new ServicePort("http", 80, Protocol.HTTP)),
        externalName.isEmpty() ? List.of("10.96.0.1") : List.of(),
        externalName.isEmpty() ? Resolution.STATIC : Resolution.ALIAS,
        Set.of(),
        new ServiceAttributes(
            ServiceAttributes.KUBERNETES,
            name,
            Map.of(),
            Map.of(),
            false,
            "",
            List.of(),
            externalName.isEmpty() ? "ClusterIP" : "ExternalName",
            List.of(),
            externalName,
            List.of(),
            false));
  }

  private static SortedMap<String, Service> byHost(Service... services) {
    SortedMap<String, Service> out = new TreeMap<>();
    for (Service s : services) {
      out.put(s.hostname(), s);
    }
    return out;
  }

  @Test
  void theNamedServiceGetsItsAliasesByNamespaceThenHostnameThroughChains() {
    SortedMap<String, Service> resolved =
        ServiceAliases.resolve(
            byHost(
                kube("web", "app", ""),
                kube("z-old", "app", "web.app" + SUFFIX),
                kube("a-old", "legacy", "web.app" + SUFFIX),
                // an alias of an alias ends at the first host that is no alias
                kube("older", "app", "z-old.app" + SUFFIX)));
    assertThat(resolved.get("web.app" + SUFFIX).attributes().aliases())
        .containsExactly("older.app" + SUFFIX, "z-old.app" + SUFFIX, "a-old.legacy" + SUFFIX);
    // the aliases themselves stay as they are: no aliases of their own
    assertThat(resolved.get("z-old.app" + SUFFIX).attributes().aliases()).isEmpty();
  }

  @Test
  void aLoopOrAHostNoServiceHasNamesNothing() {
    SortedMap<String, Service> in =
        byHost(
            kube("web", "app", ""),
            kube("ping", "app", "pong.app" + SUFFIX),
            kube("pong", "app", "ping.app" + SUFFIX),
            kube("partner", "app", "api.partner.example"));
    SortedMap<String, Service> resolved = ServiceAliases.resolve(in);
    assertThat(resolved).isEqualTo(in);
    assertThat(resolved.values()).allMatch(s -> s.attributes().aliases().isEmpty());
  }

  @Test
  void aSidecarKeepsOnlyTheAliasesItsEgressHostsImport() {
    SortedMap<String, Service> resolved =
        ServiceAliases.resolve(
            byHost(
                kube("web", "app", ""),
                kube("old", "app", "web.app" + SUFFIX),
                kube("other", "app", "web.app" + SUFFIX)));
    Config sidecar =
        new ConfigParser(IstioKinds.ALL, "default")
            .parse(
                """
                apiVersion: networking.istio.io/v1
                kind: Sidecar
                metadata: {name: default, namespace: app}
                spec:
                  egress: [{hosts: ["./web.app.svc.cluster.local", "*/old.app.svc.cluster.local"]}]
                """,
                "test")
            .configs()
            .get(0);
    SidecarScope scope =
        SidecarScope.of("app", sidecar, List.copyOf(resolved.values()), List.of(), "cluster.local");
    // istiod filters the aliases with the imports of the namespace that imported the service
    // (app), not with the */ ones
    assertThat(scope.service("web.app" + SUFFIX).orElseThrow().attributes().aliases()).isEmpty();
    assertThat(scope.service("old.app" + SUFFIX)).isPresent();

    SidecarScope wide =
        SidecarScope.of("app", null, List.copyOf(resolved.values()), List.of(), "cluster.local");
    assertThat(wide.service("web.app" + SUFFIX).orElseThrow().attributes().aliases())
        .containsExactly("old.app" + SUFFIX, "other.app" + SUFFIX);
  }
}

package io.jistiod.pilot.envoy.golden;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.pilot.envoy.EnvoyGenerators;
import io.jistiod.pilot.envoy.gateway.MergedGateway;
import io.jistiod.pilot.model.Protocol;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServicePort;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.xds.GeneratorRegistry;
import io.jistiod.pilot.xds.TypeUrls;
import io.jistiod.pilot.xds.XdsResource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden route configurations of every scenario for the names an Envoy asks for, derived here
 * rather than read from the generated listeners: a sidecar's HTTP service ports ({@code "9080"})
 * and sniffed service ports ({@code "host:port"}), a gateway's HTTP(S) server route names. Written
 * to {@code <proxy>.explicit.rds.json} (checked by integration-tests' GoldenEnvoyConstraintsTest
 * like every golden file); {@code -Djistiod.golden.update=true} rewrites them.
 */
class ExplicitRouteGoldenTest {

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.jistiod.pilot.envoy.golden.GoldenScenarioTest#scenarios")
  void routeConfigurationsMatchGoldenFiles(String name) throws Exception {
    Path dir = GoldenScenarioTest.ROOT.resolve(name);
    GeneratorRegistry registry = EnvoyGenerators.registerDefaults(new GeneratorRegistry());
    List<String> mismatches = new ArrayList<>();
    try (Scenario scenario = Scenario.load(dir)) {
      for (Scenario.NamedProxy p : scenario.proxies) {
        Set<String> names = routeNames(p.proxy(), scenario.push);
        List<XdsResource> resources =
            new ArrayList<>(
                registry
                    .find(p.proxy(), TypeUrls.ROUTE)
                    .orElseThrow()
                    .generate(p.proxy(), scenario.push, names));
        resources.sort(Comparator.comparing(XdsResource::name));
        String actual = GoldenScenarioTest.toJson(resources);
        Path file = dir.resolve(p.name() + ".explicit.rds.json");
        if (Boolean.getBoolean("jistiod.golden.update")) {
          Files.writeString(file, actual, StandardCharsets.UTF_8);
        } else if (!Files.exists(file)) {
          mismatches.add(file + " is missing (run with -Djistiod.golden.update=true)");
        } else if (!Files.readString(file, StandardCharsets.UTF_8).equals(actual)) {
          mismatches.add(file + " differs");
        }
      }
    }
    assertThat(mismatches).as("explicit RDS golden files of scenario " + name).isEmpty();
  }

  /** The route names istiod's listeners would name for this proxy. */
  static Set<String> routeNames(Proxy proxy, PushContext push) {
    Set<String> out = new TreeSet<>();
    if (proxy.type() == Proxy.NodeType.ROUTER) {
      out.addAll(MergedGateway.of(proxy, push).serversByRouteName().keySet());
      return out;
    }
    for (Service s : push.servicesVisibleTo(proxy)) {
      for (ServicePort port : s.ports()) {
        if (port.protocol().isHttp()) {
          out.add(Integer.toString(port.port()));
        } else if (port.protocol() == Protocol.UNSUPPORTED) {
          out.add(s.hostname() + ":" + port.port());
        }
      }
    }
    return out;
  }
}

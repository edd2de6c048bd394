package io.jistiod.galley.validation;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jistiod.galley.api.networking.v1alpha3.Destination;
import io.jistiod.galley.api.networking.v1alpha3.Gateway;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRoute;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRouteDestination;
import io.jistiod.galley.api.networking.v1alpha3.IstioEgressListener;
import io.jistiod.galley.api.networking.v1alpha3.Port;
import io.jistiod.galley.api.networking.v1alpha3.Server;
import io.jistiod.galley.api.networking.v1alpha3.ServiceEntry;
import io.jistiod.galley.api.networking.v1alpha3.Sidecar;
import io.jistiod.galley.api.networking.v1alpha3.VirtualService;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.ConfigMeta;
import io.jistiod.galley.config.IstioKinds;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Jazzer target for the regex and host paths (VAL-04/05), next to {@code ConfigFuzzTest}: in a
 * normal build it replays its seeds under {@code RegexHostFuzzTestInputs/regexesAndHosts/} once;
 * with {@code JAZZER_FUZZ=1} it fuzzes for {@code maxDuration} (CI: {@code .ci/run}). One target
 * for both paths (the first byte chooses) because Jazzer fuzzes one target per run, and CI's fuzz
 * time is bounded.
 */
class RegexHostFuzzTest {

  @FuzzTest(maxDuration = "40s")
  void regexesAndHosts(FuzzedDataProvider data) {
    if (data.consumeBoolean()) {
      regex(data);
    } else {
      hosts(data);
    }
  }

  /**
   * Any string: Go's verdict comes back (never an exception), in Go's format, quoting a part of the
   * regex; Istio's wrapper agrees with it; nothing takes long (Jazzer flags slow inputs).
   */
  static void regex(FuzzedDataProvider data) {
    String re = data.consumeRemainingAsString();
    String go = GoRegexSyntax.check(re);
    String istio = Regexes.problem(re);
    if (go != null) {
      if (!go.startsWith("error parsing regexp: ") || !go.endsWith("`")) {
        throw new AssertionError("not Go's format: " + go);
      }
      String expr = go.substring(go.indexOf('`') + 1, go.length() - 1);
      if (!re.contains(expr)) {
        throw new AssertionError("quotes text that is not in the regex: " + go);
      }
    }
    if (Regexes.tooLong(re)) {
      if (!"regex is too large, max length allowed is 1024".equals(istio)) {
        throw new AssertionError("length cap missed: " + istio);
      }
    } else if ((go == null) != (istio == null)) {
      throw new AssertionError("Istio wrapper disagrees with Go verdict: " + go + " / " + istio);
    }
  }

  /**
   * Host lists of every shape (FQDN, short names, wildcards, {@code ns/host}, exportTo): the
   * validators never throw, and the overlap index finds exactly the pairs that comparing every pair
   * with Istio's matching finds.
   */
  static void hosts(FuzzedDataProvider data) {
    List<String> hosts = new ArrayList<>();
    int n = data.consumeInt(0, 24);
    for (int i = 0; i < n; i++) {
      hosts.add(host(data));
    }
    List<String> exportTo = new ArrayList<>();
    for (int i = data.consumeInt(0, 4); i > 0; i--) {
      exportTo.add(
          data.pickValue(List.of(".", "*", "~", "ns1", "default", data.consumeString(12))));
    }
    String gatewayRef = data.consumeString(40);

    overlapIndexAgreesWithPairwise(hosts);

    for (String h : hosts) {
      Hosts.fqdnProblem(h);
      Hosts.wildcardDomainProblem(h);
      Hosts.partialWildcardProblem(h);
      Hosts.gatewayBoundHostProblem(data.consumeBoolean(), h);
      Hosts.namespacedHostProblem(h, true);
      Hosts.namespacedHostProblem(h, false);
      SidecarValidator.splitHostPort(h);
    }

    HTTPRoute route =
        HTTPRoute.newBuilder()
            .addRoute(
                HTTPRouteDestination.newBuilder()
                    .setDestination(
                        Destination.newBuilder().setHost(hosts.isEmpty() ? "" : hosts.get(0))))
            .build();
    validate(
        IstioKinds.VIRTUAL_SERVICE,
        VirtualService.newBuilder()
            .addAllHosts(hosts)
            .addGateways(gatewayRef)
            .addAllExportTo(exportTo)
            .addHttp(route)
            .build());
    validate(
        IstioKinds.SERVICE_ENTRY,
        ServiceEntry.newBuilder()
            .addAllHosts(hosts)
            .addAllExportTo(exportTo)
            .addPorts(
                io.jistiod.galley.api.networking.v1alpha3.ServicePort.newBuilder()
                    .setNumber(80)
                    .setName("http")
                    .setProtocol("HTTP"))
            .build());
    validate(
        IstioKinds.GATEWAY,
        Gateway.newBuilder()
            .addServers(
                Server.newBuilder()
                    .addAllHosts(hosts)
                    .setPort(Port.newBuilder().setNumber(80).setName("http").setProtocol("HTTP")))
            .build());
    validate(
        IstioKinds.SIDECAR,
        Sidecar.newBuilder()
            .addEgress(IstioEgressListener.newBuilder().addAllHosts(hosts))
            .build());
  }

  private static void overlapIndexAgreesWithPairwise(List<String> hosts) {
    HostOverlapIndex index = new HostOverlapIndex();
    for (int j = 0; j < hosts.size(); j++) {
      TreeSet<Integer> expected = new TreeSet<>();
      for (int i = 0; i < j; i++) {
        if (Hosts.matches(hosts.get(i), hosts.get(j))) {
          expected.add(i);
        }
      }
      TreeSet<Integer> found = new TreeSet<>();
      index.forEachOverlap(hosts.get(j), found::add);
      if (!expected.equals(found)) {
        throw new AssertionError(
            "overlaps of "
                + hosts.get(j)
                + " in "
                + hosts
                + ": expected "
                + expected
                + ", index "
                + found);
      }
      index.add(hosts.get(j), j);
    }
  }

  /** Hosts built from a few parts so that overlaps, wildcards and odd forms are common. */
  private static String host(FuzzedDataProvider data) {
    List<String> labels = List.of("a", "b", "example", "com", "svc", "cluster", "local", "1", "");
    StringBuilder h = new StringBuilder();
    switch (data.consumeInt(0, 5)) {
      case 0 -> h.append("*");
      case 1 -> h.append("*.");
      case 2 -> h.append(data.pickValue(List.of("ns1/", "./", "*/", "~/", "")));
      case 3 -> {
        return data.consumeString(40);
      }
      default -> {}
    }
    for (int k = data.consumeInt(0, 4); k > 0; k--) {
      h.append(data.pickValue(labels));
      if (k > 1) {
        h.append('.');
      }
    }
    return h.toString();
  }

  private static void validate(
      io.jistiod.galley.config.ConfigKind kind, com.google.protobuf.Message spec) {
    Config config =
        new Config(new ConfigMeta(kind, "fuzz", "default", Map.of(), Map.of(), "", 0), spec);
    for (ValidationMessage m : Validators.forKinds().validate(config)) {
      if (m.field() == null || m.message() == null) {
        throw new AssertionError("finding without field or message: " + m);
      }
    }
  }
}

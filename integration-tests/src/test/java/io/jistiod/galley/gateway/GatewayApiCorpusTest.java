package io.jistiod.galley.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.GatewayApiKinds;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.galley.parse.ParseResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Real Gateway API objects parse without a single error: every example of sigs.k8s.io/gateway-api
 * v1.3.0 ({@code examples/}) and every input of Istio 1.27's gateway conversion tests ({@code
 * pilot/pkg/config/kube/gateway/testdata/*.yaml}), read from the Go module cache. They are the
 * peers' own files, so the test fails (it does not skip) when they are missing; the e2e suite's
 * build-istio.sh downloads both (Istio's build depends on gateway-api v1.3.0).
 */
@org.junit.jupiter.api.Tag("e2e")
class GatewayApiCorpusTest {
  static final Path GATEWAY_API =
      io.jistiod.it.support.IstioModule.module("sigs.k8s.io/gateway-api");
  static final Path ISTIO_TESTDATA =
      io.jistiod.it.support.IstioModule.module("istio.io/istio")
          .resolve("pilot/pkg/config/kube/gateway/testdata");

  private final ConfigParser parser =
      new ConfigParser(GatewayApiKinds.withIstioKinds(true, true), "default");

  private static List<Path> yamlFiles(Path dir) throws Exception {
    assertThat(dir).as("peer sources in the Go module cache (go mod download)").isDirectory();
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
  }

  /** Parses every file; returns the number of objects per kind, failing on any error. */
  private Map<String, Integer> parseAll(List<Path> files) throws Exception {
    List<String> errors = new ArrayList<>();
    Map<String, Integer> kinds = new TreeMap<>();
    for (Path f : files) {
      ParseResult r = parser.parse(Files.readString(f), f.toString());
      r.errors().forEach(e -> errors.add(e.toString()));
      for (Config c : r.configs()) {
        kinds.merge(c.meta().kind().kind(), 1, Integer::sum);
      }
    }
    assertThat(errors).isEmpty();
    return kinds;
  }

  @Test
  void gatewayApiExamplesParse() throws Exception {
    Map<String, Integer> kinds = parseAll(yamlFiles(GATEWAY_API.resolve("examples")));
    assertThat(kinds.keySet())
        .contains(
            "Gateway", "GatewayClass", "HTTPRoute", "GRPCRoute", "ReferenceGrant", "TCPRoute");
    assertThat(kinds.get("HTTPRoute")).isGreaterThan(30);
  }

  @Test
  void istioConversionTestInputsParse() throws Exception {
    List<Path> inputs =
        yamlFiles(ISTIO_TESTDATA).stream()
            .filter(p -> p.getParent().equals(ISTIO_TESTDATA))
            .filter(p -> !p.getFileName().toString().endsWith(".golden"))
            .toList();
    assertThat(inputs).hasSizeGreaterThan(30);
    Map<String, Integer> kinds = parseAll(inputs);
    assertThat(kinds.get("Gateway")).isGreaterThan(40);
    assertThat(kinds.get("HTTPRoute")).isGreaterThan(60);
    assertThat(kinds).containsKeys("GRPCRoute", "ReferenceGrant", "TCPRoute", "TLSRoute");
  }
}

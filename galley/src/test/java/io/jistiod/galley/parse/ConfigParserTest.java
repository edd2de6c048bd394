package io.jistiod.galley.parse;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.galley.api.networking.v1alpha3.VirtualService;
import io.jistiod.galley.config.IstioKinds;
import org.junit.jupiter.api.Test;

class ConfigParserTest {
  private final ConfigParser parser = new ConfigParser(IstioKinds.ALL, "default");

  @Test
  void readsEveryDocumentAndEveryServedVersion() {
    String yaml =
        """
        apiVersion: networking.istio.io/v1alpha3
        kind: VirtualService
        metadata: {name: a, namespace: ns1, labels: {app: x}}
        spec:
          hosts: [a]
          http:
          - timeout: 1.5s
            route:
            - destination: {host: a, subset: v1}
              weight: 100
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: b}
        spec: {host: b, trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: ignored}
        """;
    ParseResult r = parser.parse(yaml, "mesh.yaml");
    assertThat(r.errors()).isEmpty();
    assertThat(r.configs()).hasSize(2);
    var vs = r.configs().get(0);
    assertThat(vs.key().toString()).isEqualTo("VirtualService/ns1/a");
    assertThat(vs.meta().labels()).containsEntry("app", "x");
    VirtualService spec = vs.spec(VirtualService.class);
    assertThat(spec.getHttp(0).getTimeout().getNanos()).isEqualTo(500_000_000);
    assertThat(spec.getHttp(0).getRoute(0).getDestination().getSubset()).isEqualTo("v1");
    assertThat(r.configs().get(1).namespace()).isEqualTo("default");
  }

  @Test
  void aBadObjectCostsOnlyItselfAndNamesTheField() {
    String yaml =
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: bad, namespace: ns}
        spec:
          hosts: [a]
          http:
          - route:
            - destination: {host: a}
              weight: "lots"
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: good, namespace: ns}
        spec: {hosts: [b]}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: typo, namespace: ns}
        spec: {hosts: [c], htpp: []}
        """;
    ParseResult r = parser.parse(yaml, "f.yaml");
    assertThat(r.configs()).extracting(c -> c.name()).containsExactly("good");
    assertThat(r.errors()).hasSize(2);
    ConfigError weight = r.errors().get(0);
    assertThat(weight.source()).isEqualTo("f.yaml (document 1)");
    assertThat(weight.object()).isEqualTo("VirtualService ns/bad");
    assertThat(weight.field()).isEqualTo("spec.http[0].route[0].weight");
    assertThat(weight.message()).contains("integer");
    ConfigError typo = r.errors().get(1);
    assertThat(typo.source()).isEqualTo("f.yaml (document 3)");
    assertThat(typo.field()).isEqualTo("spec.htpp");
    assertThat(typo.message()).isEqualTo("unknown field");
  }

  @Test
  void enumsAndDurationsAreChecked() {
    String yaml =
        """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: d}
        spec: {host: d, trafficPolicy: {loadBalancer: {simple: FASTEST}}}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: v}
        spec: {hosts: [v], http: [{timeout: soon, route: [{destination: {host: v}}]}]}
        """;
    ParseResult r = parser.parse(yaml, "f.yaml");
    assertThat(r.configs()).isEmpty();
    assertThat(r.errors().get(0).field()).isEqualTo("spec.trafficPolicy.loadBalancer.simple");
    assertThat(r.errors().get(0).message()).contains("ROUND_ROBIN");
    assertThat(r.errors().get(1).field()).isEqualTo("spec.http[0].timeout");
  }

  @Test
  void goDurationsAreAcceptedAsIstioDoes() {
    String yaml =
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: v}
        spec:
          hosts: [v]
          http:
          - {timeout: 30ms, route: [{destination: {host: v}}]}
          - {timeout: 1m30s, route: [{destination: {host: v}}]}
          - {timeout: 2h, route: [{destination: {host: v}}]}
        """;
    ParseResult r = parser.parse(yaml, "f.yaml");
    assertThat(r.errors()).isEmpty();
    VirtualService vs = r.configs().get(0).spec(VirtualService.class);
    assertThat(vs.getHttp(0).getTimeout().getNanos()).isEqualTo(30_000_000);
    assertThat(vs.getHttp(1).getTimeout().getSeconds()).isEqualTo(90);
    assertThat(vs.getHttp(2).getTimeout().getSeconds()).isEqualTo(7200);
  }

  @Test
  void malformedYamlIsOneError() {
    ParseResult r = parser.parse("kind: VirtualService\nspec: [unclosed\n", "broken.yaml");
    assertThat(r.configs()).isEmpty();
    assertThat(r.errors()).hasSize(1);
    assertThat(r.errors().get(0).message()).startsWith("malformed YAML");
  }

  @Test
  void missingNameIsReported() {
    ParseResult r =
        parser.parse(
            "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {}\nspec: {}\n",
            "f.yaml");
    assertThat(r.errors())
        .singleElement()
        .satisfies(e -> assertThat(e.field()).isEqualTo("metadata.name"));
  }

  @Test
  void hostileNestingIsRejectedNotCrashed() {
    StringBuilder deep = new StringBuilder();
    for (int i = 0; i < 200; i++) {
      deep.append("{a: ");
    }
    deep.append("1");
    deep.append("}".repeat(200));
    String yaml =
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: x}\nspec: {hosts: [x], http: [{headers: {request: {set: "
            + deep
            + "}}}]}\n";
    ParseResult r = parser.parse(yaml, "deep.yaml");
    assertThat(r.configs()).isEmpty();
    assertThat(r.errors()).hasSize(1);
  }
}

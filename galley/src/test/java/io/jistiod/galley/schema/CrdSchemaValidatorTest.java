package io.jistiod.galley.schema;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.jistiod.galley.config.ConfigKind;
import io.jistiod.galley.config.IstioKinds;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Our CRDs' schemas (generated, with Istio's rules) applied to objects, as the API server applies
 * them: OpenAPI keywords, then the CEL rules, with the API server's messages.
 */
class CrdSchemaValidatorTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private final CrdSchemaValidator validator = new CrdSchemaValidator();

  private List<String> errors(ConfigKind kind, String spec) throws Exception {
    String doc =
        "apiVersion: "
            + kind.apiVersion()
            + "\nkind: "
            + kind.kind()
            + "\nmetadata: {name: x}\n"
            + "spec: "
            + spec;
    return validator.validate(kind, YAML.readTree(doc)).stream().map(FieldError::toString).toList();
  }

  @Test
  void validObjectsPass() throws Exception {
    assertThat(
            errors(
                IstioKinds.SERVICE_ENTRY,
                "{hosts: [a.example.com], resolution: STATIC, ports: [{number: 80, name: http}],"
                    + " endpoints: [{address: 1.2.3.4, ports: {http: 8080}}]}"))
        .isEmpty();
    assertThat(errors(IstioKinds.WORKLOAD_ENTRY, "{address: unix:///var/run/a.sock}")).isEmpty();
    assertThat(
            errors(
                IstioKinds.REQUEST_AUTHENTICATION,
                "{jwtRules: [{issuer: i, jwksUri: 'https://example.com/keys'}]}"))
        .isEmpty();
    assertThat(errors(IstioKinds.WASM_PLUGIN, "{url: 'oci://ghcr.io/x/y:1'}")).isEmpty();
    assertThat(errors(IstioKinds.WASM_PLUGIN, "{url: 'ghcr.io/x/y:1'}")).isEmpty();
    assertThat(
            errors(
                IstioKinds.VIRTUAL_SERVICE,
                "{hosts: [r], http: [{timeout: 1h2m3.5s, route: [{destination: {host: r}}]}]}"))
        .isEmpty();
  }

  @Test
  void objectRulesNameTheObject() throws Exception {
    assertThat(errors(IstioKinds.SERVICE_ENTRY, "{hosts: [a], endpoints: [{address: 1.1.1.1}]}"))
        .containsExactly("spec: Invalid value: \"object\": NONE mode cannot set endpoints");
    assertThat(
            errors(
                IstioKinds.SERVICE_ENTRY, "{hosts: [a], addresses: [10.0.0.0/8], resolution: DNS}"))
        .containsExactly(
            "spec: Invalid value: \"object\": CIDR addresses are allowed only for NONE/STATIC"
                + " resolution types");
    assertThat(errors(IstioKinds.WORKLOAD_ENTRY, "{labels: {a: b}}"))
        .containsExactly("spec: Invalid value: \"object\": Address is required");
    assertThat(
            errors(
                IstioKinds.AUTHORIZATION_POLICY,
                "{selector: {matchLabels: {a: b}}, targetRefs: [{kind: Gateway, name: g}]}"))
        .containsExactly(
            "spec: Invalid value: \"object\": only one of targetRefs or selector can be set");
    assertThat(errors(IstioKinds.PEER_AUTHENTICATION, "{portLevelMtls: {'80': {mode: STRICT}}}"))
        .containsExactly("spec: Invalid value: \"object\": portLevelMtls requires selector");
  }

  @Test
  void fieldAndElementRules() throws Exception {
    assertThat(errors(IstioKinds.SERVICE_ENTRY, "{hosts: ['*']}"))
        .containsExactly("spec.hosts[0]: Invalid value: \"string\": hostname cannot be wildcard");
    assertThat(
            errors(
                IstioKinds.SERVICE_ENTRY,
                "{hosts: [a], ports: [{number: 80, name: a}, {number: 80, name: b}]}"))
        .containsExactly("spec.ports: Invalid value: \"array\": port number cannot be duplicated");
    assertThat(errors(IstioKinds.SERVICE_ENTRY, "{hosts: [a], ports: [{number: 0, name: a}]}"))
        .containsExactly(
            "spec.ports[0].number: Invalid value: \"integer\": port must be between 1-65535");
    assertThat(errors(IstioKinds.WORKLOAD_ENTRY, "{address: a, ports: {http: 70000}}"))
        .containsExactly(
            "spec.ports[http]: Invalid value: \"integer\": port must be between 1-65535");
    assertThat(errors(IstioKinds.WORKLOAD_ENTRY, "{address: 'unix://rel'}"))
        .containsExactly(
            "spec.address: Invalid value: \"string\": UDS must be an absolute path or abstract"
                + " socket");
    assertThat(errors(IstioKinds.SIDECAR, "{workloadSelector: {labels: {app: 'a*'}}}"))
        .containsExactly(
            "spec.workloadSelector.labels[app]: Invalid value: \"string\": wildcard is not"
                + " supported in selector");
    assertThat(errors(IstioKinds.AUTHORIZATION_POLICY, "{selector: {matchLabels: {'': a}}}"))
        .containsExactly(
            "spec.selector.matchLabels: Invalid value: \"object\": key must not be empty");
    assertThat(
            errors(
                IstioKinds.GATEWAY,
                "{servers: [{port: {number: 443, name: h, protocol: HTTPS}, hosts: [a], tls:"
                    + " {mode: SIMPLE, credentialName: a, credentialNames: [b]}}]}"))
        .containsExactly(
            "spec.servers[0].tls: Invalid value: \"object\": only one of credentialName or"
                + " credentialNames can be set");
    assertThat(
            errors(
                IstioKinds.VIRTUAL_SERVICE,
                "{hosts: [r], http: [{timeout: 0s, route: [{destination: {host: r}}]}]}"))
        .containsExactly(
            "spec.http[0].timeout: Invalid value: \"string\": must be a valid duration greater"
                + " than 1ms");
  }

  @Test
  void kubernetesUrlFunctions() throws Exception {
    assertThat(
            errors(
                IstioKinds.REQUEST_AUTHENTICATION,
                "{jwtRules: [{issuer: i, jwksUri: 'ftp://example.com/keys'}]}"))
        .containsExactly(
            "spec.jwtRules[0].jwksUri: Invalid value: \"string\": url must have scheme http:// or"
                + " https://");
    assertThat(
            errors(IstioKinds.REQUEST_AUTHENTICATION, "{jwtRules: [{issuer: i, jwksUri: 'keys'}]}"))
        .singleElement()
        .asString()
        .startsWith(
            "spec.jwtRules[0].jwksUri: Invalid value: \"string\": URL parse error during"
                + " conversion from string: parse \"keys\": invalid URI for request evaluating"
                + " rule: url must have scheme http:// or https://");
    assertThat(errors(IstioKinds.WASM_PLUGIN, "{url: 'ftp://x/y'}"))
        .containsExactly(
            "spec.url: Invalid value: \"string\": url must have schema one of [http, https, file,"
                + " oci]");
  }

  @Test
  void schemaFindingsBlockTheRules() throws Exception {
    // A wrong type is found first; the rules are then not run, as the API server does.
    assertThat(errors(IstioKinds.SERVICE_ENTRY, "{hosts: ['*'], location: NOWHERE}"))
        .containsExactly(
            "spec.location: Unsupported value: \"NOWHERE\": supported values: \"MESH_EXTERNAL\","
                + " \"MESH_INTERNAL\"",
            "<nil>: Invalid value: \"null\": some validation rules were not checked because the"
                + " object was invalid; correct the existing errors to complete validation");
    // Findings that do not block (Invalid) come with the rules' findings.
    assertThat(errors(IstioKinds.WASM_PLUGIN, "{url: 'ftp://x', sha256: nothex}")).hasSize(2);
  }

  @Test
  void boundsFromIstiosCrds() throws Exception {
    assertThat(errors(IstioKinds.SERVICE_ENTRY, "{hosts: []}"))
        .containsExactly(
            "spec.hosts: Invalid value: 0: spec.hosts in body should have at least 1 items");
    assertThat(
            errors(
                IstioKinds.AUTHORIZATION_POLICY,
                "{targetRef: {kind: Gateway, name: g, group: 'Not_A_Group'}}"))
        .singleElement()
        .asString()
        .startsWith(
            "spec.targetRef.group: Invalid value: \"Not_A_Group\": spec.targetRef.group in"
                + " body should match");
    assertThat(
            errors(
                IstioKinds.AUTHORIZATION_POLICY,
                "{selector: {matchLabels: {a: " + "x".repeat(64) + "}}}"))
        .startsWith("spec.selector.matchLabels.a: Too long: may not be more than 63 bytes")
        .hasSize(2);
    assertThat(errors(IstioKinds.DESTINATION_RULE, "{trafficPolicy: {}}"))
        .startsWith("spec.host: Required value")
        .hasSize(2);
  }

  @Test
  void invalidMessageAsTheApiServerWritesIt() throws Exception {
    List<FieldError> one =
        validator.validate(
            IstioKinds.SERVICE_ENTRY, YAML.readTree("{kind: ServiceEntry, spec: {hosts: ['*']}}"));
    assertThat(CrdSchemaValidator.invalidMessage(IstioKinds.SERVICE_ENTRY, "se", one))
        .isEqualTo(
            "ServiceEntry.networking.istio.io \"se\" is invalid: spec.hosts[0]: Invalid value:"
                + " \"string\": hostname cannot be wildcard");
    List<FieldError> two =
        validator.validate(IstioKinds.SERVICE_ENTRY, YAML.readTree("{spec: {hosts: ['*', '*']}}"));
    assertThat(CrdSchemaValidator.invalidMessage(IstioKinds.SERVICE_ENTRY, "se", two))
        .startsWith("ServiceEntry.networking.istio.io \"se\" is invalid: [spec.hosts[0]: ")
        .contains(", spec.hosts[1]: ")
        .endsWith("]");
  }

  @Test
  void aRuleCannotRunForever() {
    KubernetesCel cel = new KubernetesCel();
    // 2,000 x 2,000 iterations exceed the per-call bound: an error, not a hang.
    List<Long> big = java.util.stream.LongStream.range(0, 2000).boxed().toList();
    Object outcome = cel.evaluate("self.all(a, self.exists_one(b, a == b))", big);
    assertThat(outcome).isInstanceOf(String.class);
    assertThat(cel.evaluate("self.all(a, self.exists_one(b, a == b))", big.subList(0, 100)))
        .isEqualTo(true);
  }

  @Test
  void nullPropertiesThatAreNotNullableAreDroppedAsTheApiServerDoes() throws Exception {
    // Istio's own test data has an EnvoyFilter patch with `match: null`; a cluster accepts it.
    assertThat(
            errors(
                IstioKinds.ENVOY_FILTER,
                "{configPatches: [{applyTo: HTTP_FILTER, match: null,"
                    + " patch: {operation: REMOVE}}]}"))
        .isEmpty();
  }
}

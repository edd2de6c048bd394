package io.jistiod.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.jistiod.galley.config.ConfigKind;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.schema.CrdSchemaValidator;
import io.jistiod.galley.schema.FieldError;
import io.jistiod.galley.validation.NetworkingValidators;
import io.jistiod.galley.webhook.ConfigAdmission;
import io.jistiod.galley.webhook.Verdict;
import io.jistiod.istiod.Main;
import io.jistiod.it.support.Rig;
import io.jistiod.it.support.RigExtension;
import io.jistiod.it.support.TestNamespace;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import picocli.CommandLine;

/**
 * Our CRD schema verdicts equal a real kube-apiserver's with our {@code crds/} installed: a corpus
 * of objects violating each kind of constraint of Istio's CRDs (type, enum, required, string
 * bounds, pattern, item and property counts, numeric bounds, oneOf, CEL rules, the Kubernetes URL
 * functions, rules skipped after a blocking error) and valid edge cases is sent with {@code kubectl
 * apply --dry-run=server} (nothing is stored), and for each object {@link CrdSchemaValidator} must
 * accept exactly when the API server accepts and name the same fields; where the API server
 * refuses, each of our findings must be in its message word for word, {@link ConfigAdmission} (the
 * webhook and {@code istiod validate}) must refuse too, and {@code istiod validate} reports it
 * invalid.
 */
@Tag("e2e")
@ExtendWith(RigExtension.class)
class CrdSchemaAgreementE2ETest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Path CRDS = Rig.MODULE.getParent().resolve("crds/crd-all.gen.yaml");

  /** A field path in an API server message: {@code spec.a[0].b[key]} or inside quotes. */
  private static final Pattern PATH =
      Pattern.compile("(?:^|[\\s\\[\"*])((?:spec|status)(?:[.\\[][^:\\s\"]*)?)(?=[:\"])");

  record Case(String name, boolean valid, String kind, String apiVersion, String spec) {}

  private static Case ok(String name, String apiVersion, String kind, String spec) {
    return new Case(name, true, kind, apiVersion, spec);
  }

  private static Case bad(String name, String apiVersion, String kind, String spec) {
    return new Case(name, false, kind, apiVersion, spec);
  }

  private static final String NET = "networking.istio.io/v1";
  private static final String SEC = "security.istio.io/v1";
  private static final String TEL = "telemetry.istio.io/v1";
  private static final String EXT = "extensions.istio.io/v1alpha1";

  static List<Case> corpus() {
    List<Case> c = new ArrayList<>();
    // Valid edge cases.
    c.add(
        ok(
            "SE static CIDR with endpoints",
            NET,
            "ServiceEntry",
            "{hosts: [a.example.com], addresses: [10.0.0.0/8], resolution: STATIC, ports: [{number:"
                + " 80, name: http}], endpoints: [{address: 10.1.1.1, ports: {http: 8080}}]}"));
    c.add(ok("WE absolute UDS", NET, "WorkloadEntry", "{address: 'unix:///var/run/a.sock'}"));
    c.add(ok("WE abstract UDS", NET, "WorkloadEntry", "{address: 'unix://@abstract'}"));
    c.add(ok("WE network only", NET, "WorkloadEntry", "{network: n1}"));
    c.add(
        ok(
            "RA https jwksUri",
            SEC,
            "RequestAuthentication",
            "{jwtRules: [{issuer: i, jwksUri: 'https://example.com/keys'}]}"));
    c.add(ok("Wasm url without scheme", EXT, "WasmPlugin", "{url: 'ghcr.io/x/y:1'}"));
    c.add(ok("Wasm file url", EXT, "WasmPlugin", "{url: 'file:///opt/p.wasm'}"));
    c.add(
        ok(
            "VS timeout exactly 1ms",
            NET,
            "VirtualService",
            "{hosts: [r], http: [{timeout: 1ms, route: [{destination: {host: r}}]}]}"));
    c.add(
        ok(
            "VS compound duration",
            NET,
            "VirtualService",
            "{hosts: [r], http: [{timeout: 1h2m3.5s, route: [{destination: {host: r}}]}]}"));
    c.add(
        ok(
            "DR codes at both bounds and a 0s cookie ttl",
            NET,
            "DestinationRule",
            "{host: r, trafficPolicy: {outlierDetection: {outlierDetectionHttpErrorCodes: [100, 599]},"
                + " loadBalancer: {consistentHash: {httpCookie: {name: c, ttl: 0s}}}}}"));
    c.add(
        ok(
            "PA port-level mTLS with selector",
            SEC,
            "PeerAuthentication",
            "{selector: {matchLabels: {app: a}}, portLevelMtls: {'8080': {mode: STRICT}}}"));
    c.add(
        ok(
            "AP label value of 63 characters",
            SEC,
            "AuthorizationPolicy",
            "{selector: {matchLabels: {app: " + "v".repeat(63) + "}}}"));
    c.add(
        ok(
            "Telemetry UPSERT with value",
            TEL,
            "Telemetry",
            "{metrics: [{overrides: [{tagOverrides: {a: {operation: UPSERT, value: x}}}]}]}"));
    c.add(ok("SE 256 hosts", NET, "ServiceEntry", "{hosts: " + hosts(256) + "}"));

    // OpenAPI keywords.
    c.add(
        bad(
            "type",
            NET,
            "VirtualService",
            "{hosts: [r], http: [{route: [{destination: {host: r}, weight: abc}]}]}"));
    c.add(
        bad(
            "enum",
            NET,
            "DestinationRule",
            "{host: r, trafficPolicy: {loadBalancer: {simple: FASTEST}}}"));
    c.add(bad("required", NET, "DestinationRule", "{trafficPolicy: {}}"));
    c.add(bad("minLength", SEC, "RequestAuthentication", "{jwtRules: [{issuer: ''}]}"));
    c.add(
        bad(
            "maxLength",
            SEC,
            "AuthorizationPolicy",
            "{selector: {matchLabels: {app: " + "v".repeat(64) + "}}}"));
    c.add(
        bad(
            "pattern (sha256)",
            EXT,
            "WasmPlugin",
            "{url: 'oci://x/y:1', sha256: '" + "A".repeat(64) + "'}"));
    c.add(
        bad(
            "pattern (header name)",
            SEC,
            "RequestAuthentication",
            "{jwtRules: [{issuer: i, outputClaimToHeaders: [{header: 'x y', claim: c}]}]}"));
    c.add(
        bad(
            "pattern (targetRef group)",
            SEC,
            "AuthorizationPolicy",
            "{targetRef: {kind: Gateway, name: g, group: Bad_Group}}"));
    c.add(bad("minItems", NET, "ServiceEntry", "{hosts: []}"));
    c.add(bad("maxItems", NET, "ServiceEntry", "{hosts: " + hosts(257) + "}"));
    c.add(
        bad(
            "minProperties",
            SEC,
            "PeerAuthentication",
            "{selector: {matchLabels: {app: a}}, portLevelMtls: {}}"));
    c.add(
        bad(
            "minimum",
            NET,
            "DestinationRule",
            "{host: r, trafficPolicy: {outlierDetection: {outlierDetectionHttpErrorCodes: [99]}}}"));
    c.add(
        bad(
            "maximum",
            NET,
            "DestinationRule",
            "{host: r, trafficPolicy: {outlierDetection: {outlierDetectionHttpErrorCodes: [600]}}}"));
    c.add(
        bad(
            "maximum (number)",
            TEL,
            "Telemetry",
            "{tracing: [{randomSamplingPercentage: 100.5}]}"));
    c.add(
        bad(
            "oneOf",
            NET,
            "DestinationRule",
            "{host: r, trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN, consistentHash:"
                + " {useSourceIp: true}}}}"));

    // CEL rules.
    c.add(
        bad(
            "duration under 1ms",
            NET,
            "VirtualService",
            "{hosts: [r], http: [{timeout: 0s, route: [{destination: {host: r}}]}]}"));
    c.add(
        bad(
            "SE NONE with endpoints",
            NET,
            "ServiceEntry",
            "{hosts: [a], endpoints: [{address: 1.1.1.1}]}"));
    c.add(
        bad(
            "SE CIDR with DNS",
            NET,
            "ServiceEntry",
            "{hosts: [a.com], addresses: [10.0.0.0/8], resolution: DNS}"));
    c.add(
        bad(
            "SE DNS_ROUND_ROBIN two endpoints",
            NET,
            "ServiceEntry",
            "{hosts: [a.com], resolution: DNS_ROUND_ROBIN, endpoints: [{address: a.com}, {address:"
                + " b.com}]}"));
    c.add(
        bad(
            "SE selector and endpoints",
            NET,
            "ServiceEntry",
            "{hosts: [a.com], resolution: STATIC, workloadSelector: {labels: {a: b}}, endpoints:"
                + " [{address: 1.1.1.1}]}"));
    c.add(bad("SE wildcard host", NET, "ServiceEntry", "{hosts: ['*']}"));
    c.add(
        bad(
            "SE duplicate port numbers",
            NET,
            "ServiceEntry",
            "{hosts: [a], ports: [{number: 80, name: a}, {number: 80, name: b}]}"));
    c.add(bad("SE port 0", NET, "ServiceEntry", "{hosts: [a], ports: [{number: 0, name: a}]}"));
    c.add(
        bad(
            "SE endpoint without address",
            NET,
            "ServiceEntry",
            "{hosts: [a], resolution: STATIC, endpoints: [{labels: {a: b}}]}"));
    c.add(bad("WE without address", NET, "WorkloadEntry", "{labels: {a: b}}"));
    c.add(bad("WE relative UDS", NET, "WorkloadEntry", "{address: 'unix://rel'}"));
    c.add(bad("WE UDS dir", NET, "WorkloadEntry", "{address: 'unix://@abc/'}"));
    c.add(
        bad(
            "WE UDS with ports",
            NET,
            "WorkloadEntry",
            "{address: 'unix:///a.sock', ports: {http: 80}}"));
    c.add(bad("WE bad port name", NET, "WorkloadEntry", "{address: a, ports: {'-x': 80}}"));
    c.add(bad("WE port 70000", NET, "WorkloadEntry", "{address: a, ports: {http: 70000}}"));
    c.add(
        bad(
            "WG probe scheme",
            NET,
            "WorkloadGroup",
            "{template: {}, probe: {httpGet: {port: 8080, scheme: FTP}}}"));
    c.add(
        bad(
            "WG probe port 0",
            NET,
            "WorkloadGroup",
            "{template: {}, probe: {tcpSocket: {port: 0}}}"));
    c.add(
        bad(
            "AP selector and targetRef",
            SEC,
            "AuthorizationPolicy",
            "{selector: {matchLabels: {a: b}}, targetRefs: [{kind: Gateway, name: g}]}"));
    c.add(
        bad(
            "AP cross-namespace targetRef",
            SEC,
            "AuthorizationPolicy",
            "{targetRef: {kind: Gateway, name: g, namespace: other}}"));
    c.add(
        bad(
            "AP serviceAccounts with namespaces",
            SEC,
            "AuthorizationPolicy",
            "{rules: [{from: [{source: {serviceAccounts: [a], namespaces: [b]}}]}]}"));
    c.add(
        bad(
            "AP empty label key",
            SEC,
            "AuthorizationPolicy",
            "{selector: {matchLabels: {'': a}}}"));
    c.add(
        bad(
            "AP wildcard label value",
            SEC,
            "AuthorizationPolicy",
            "{selector: {matchLabels: {a: 'b*'}}}"));
    c.add(
        bad(
            "PA port-level without selector",
            SEC,
            "PeerAuthentication",
            "{portLevelMtls: {'80': {mode: STRICT}}}"));
    c.add(
        bad(
            "PA port key 0",
            SEC,
            "PeerAuthentication",
            "{selector: {matchLabels: {a: b}}, portLevelMtls: {'0': {mode: STRICT}}}"));
    c.add(
        bad(
            "RA jwks and jwksUri",
            SEC,
            "RequestAuthentication",
            "{jwtRules: [{issuer: i, jwks: '{}', jwksUri: 'https://x/k'}]}"));
    c.add(
        bad(
            "RA ftp jwksUri",
            SEC,
            "RequestAuthentication",
            "{jwtRules: [{issuer: i, jwksUri: 'ftp://x/keys'}]}"));
    c.add(
        bad(
            "RA jwksUri no URL (rule error)",
            SEC,
            "RequestAuthentication",
            "{jwtRules: [{issuer: i, jwksUri: 'keys'}]}"));
    c.add(
        bad(
            "GW credentialName and credentialNames",
            NET,
            "Gateway",
            "{servers: [{port: {number: 443, name: h, protocol: HTTPS}, hosts: [a.com], tls: {mode:"
                + " SIMPLE, credentialName: a, credentialNames: [b]}}]}"));
    c.add(
        bad(
            "Sidecar wildcard selector",
            NET,
            "Sidecar",
            "{workloadSelector: {labels: {app: 'a*'}}}"));
    c.add(
        bad(
            "DR wildcard label key",
            NET,
            "DestinationRule",
            "{host: a, workloadSelector: {matchLabels: {'a*': b}}}"));
    c.add(
        bad(
            "EnvoyFilter selector and targetRefs",
            "networking.istio.io/v1alpha3",
            "EnvoyFilter",
            "{workloadSelector: {labels: {a: b}}, targetRefs: [{kind: Gateway, name: g}]}"));
    c.add(
        bad(
            "Telemetry REMOVE with value",
            TEL,
            "Telemetry",
            "{metrics: [{overrides: [{tagOverrides: {a: {operation: REMOVE, value: x}}}]}]}"));
    c.add(
        bad(
            "Telemetry selector and targetRef",
            TEL,
            "Telemetry",
            "{selector: {matchLabels: {a: b}}, targetRef: {kind: Gateway, name: g}}"));
    c.add(bad("Wasm ftp url", EXT, "WasmPlugin", "{url: 'ftp://x/y'}"));
    c.add(
        bad(
            "Wasm env HOST with value",
            EXT,
            "WasmPlugin",
            "{url: 'oci://x/y:1', vmConfig: {env: [{name: a, valueFrom: HOST, value: b}]}}"));

    // A blocking OpenAPI finding: the rules are not run.
    c.add(bad("enum blocks the rules", NET, "ServiceEntry", "{hosts: ['*'], location: NOWHERE}"));
    // Several findings at once.
    c.add(
        bad(
            "several findings",
            NET,
            "ServiceEntry",
            "{hosts: [a.com], addresses: [10.0.0.0/8], resolution: DNS, ports: [{number: 0, name:"
                + " a}]}"));
    return c;
  }

  private static String hosts(int n) {
    List<String> h = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      h.add("h" + i + ".example.com");
    }
    return "[" + String.join(", ", h) + "]";
  }

  private static String yaml(Case c, String ns, int i) {
    return "apiVersion: "
        + c.apiVersion()
        + "\nkind: "
        + c.kind()
        + "\nmetadata: {name: case-"
        + i
        + ", namespace: "
        + ns
        + "}\nspec: "
        + c.spec()
        + "\n";
  }

  /** {@code kubectl apply --dry-run=server}: the API server validates, nothing is stored. */
  private static void dryRunApply(Rig rig, String yaml) throws Exception {
    Process p =
        new ProcessBuilder(
                "kubectl",
                "--kubeconfig",
                rig.kubeconfig().toString(),
                "apply",
                "--dry-run=server",
                "-f",
                "-")
            .redirectErrorStream(true)
            .start();
    p.getOutputStream().write(yaml.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("kubectl timed out");
    }
    if (p.exitValue() != 0) {
      throw new IOException("kubectl apply failed: " + out.strip());
    }
  }

  /** The field paths a message names (inside a quoted oneOf message too). */
  static Set<String> paths(String message) {
    Set<String> out = new LinkedHashSet<>();
    Matcher m = PATH.matcher(message);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  @Test
  void ourSchemaVerdictsAreTheApiServers(Rig rig, TestNamespace ns) throws Exception {
    rig.kubectl("apply", "-f", CRDS.toString());
    List<String> names = new ArrayList<>();
    for (ConfigKind kind : IstioKinds.ALL) {
      names.add("crd/" + kind.plural() + "." + kind.group());
    }
    List<String> wait = new ArrayList<>(List.of("wait", "--for=condition=Established"));
    wait.add("--timeout=60s");
    wait.addAll(names);
    rig.kubectl(wait.toArray(String[]::new));

    CrdSchemaValidator schema = new CrdSchemaValidator();
    ConfigAdmission admission =
        new ConfigAdmission(IstioKinds.ALL, NetworkingValidators.forKinds());
    List<Case> corpus = corpus();
    List<String> disagreements = new ArrayList<>();
    StringBuilder allYaml = new StringBuilder();
    List<Integer> refused = new ArrayList<>();
    int exactMessages = 0;
    int findings = 0;
    long start = System.nanoTime();
    for (int i = 0; i < corpus.size(); i++) {
      Case c = corpus.get(i);
      String text = yaml(c, ns.name(), i);
      String apiError = null;
      try {
        dryRunApply(rig, text);
      } catch (IOException e) {
        apiError = e.getMessage();
      }
      JsonNode object = YAML.readTree(text);
      ConfigKind kind = admission.findKind(c.apiVersion(), c.kind()).orElseThrow();
      List<FieldError> ours = schema.validate(kind, object);
      boolean apiAccepts = apiError == null;
      System.out.printf(
          "%-45s api=%s ours=%s%n      api: %s%n      ours: %s%n",
          c.name(),
          apiAccepts ? "accept" : "reject",
          ours.isEmpty() ? "accept" : "reject",
          apiError == null ? "-" : apiError.substring(apiError.indexOf("failed: ") + 8),
          ours.isEmpty() ? "-" : CrdSchemaValidator.invalidMessage(kind, "case-" + i, ours));
      if (apiAccepts != c.valid()) {
        disagreements.add(c.name() + ": the corpus expects " + (c.valid() ? "accept" : "reject"));
      }
      if (apiAccepts != ours.isEmpty()) {
        disagreements.add(c.name() + ": API server " + (apiAccepts ? "accepts" : "rejects"));
        continue;
      }
      if (apiAccepts) {
        continue;
      }
      Set<String> apiPaths = paths(apiError);
      Set<String> ourPaths = new LinkedHashSet<>();
      for (FieldError e : ours) {
        ourPaths.addAll(paths(e.path() + ": " + e.detail()));
        findings++;
        if (apiError.contains(e.toString())) {
          exactMessages++;
        } else {
          disagreements.add(c.name() + ": the API server does not say " + e);
        }
      }
      if (!apiPaths.equals(ourPaths)) {
        disagreements.add(c.name() + ": API server names " + apiPaths + ", ours " + ourPaths);
      }
      Verdict v = admission.check(object, ns.name(), "");
      if (v.allowed()) {
        disagreements.add(c.name() + ": ConfigAdmission allows what the API server refuses");
      }
      refused.add(i);
      allYaml.append("---\n").append(text);
    }
    System.out.printf(
        "%d objects, %d refused by the API server; %d of our %d findings word for word as the API"
            + " server's; %d ms%n",
        corpus.size(),
        refused.size(),
        exactMessages,
        findings,
        (System.nanoTime() - start) / 1_000_000);

    // istiod validate over every refused object: each is reported, none valid.
    Path file = Files.createTempFile("crd-schema-corpus", ".yaml");
    try {
      Files.writeString(file, allYaml.toString());
      StringWriter out = new StringWriter();
      CommandLine cli = new CommandLine(new Main());
      cli.setOut(new PrintWriter(out));
      cli.setErr(new PrintWriter(new StringWriter()));
      int code = cli.execute("validate", "-f", file.toString());
      assertThat(code).isEqualTo(1);
      for (int i : refused) {
        assertThat(out.toString()).doesNotContain("/case-" + i + ": valid");
      }
    } finally {
      Files.deleteIfExists(file);
    }
    assertThat(disagreements).isEmpty();
  }
}

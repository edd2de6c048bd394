package io.jistiod.pilot.gatewayapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import io.jistiod.galley.parse.KubeYaml;
import io.jistiod.pilot.envoy.secret.CredentialSource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The world Istio 1.27's {@code TestConvertResources} (pilot/pkg/config/kube/gateway/
 * conversion_test.go) converts its inputs in: the service registry, the Kubernetes Services made
 * from it, the Secrets and ConfigMaps, and a Namespace for every namespace of the input, labelled
 * as the Go test labels them. Rebuilt here from the facts of that file; the certificate and key are
 * read from it.
 */
final class IstioWorld {
  static final String SUFFIX = "domain.suffix";
  private static final List<Integer> PORTS = List.of(80, 34000, 34001);

  private record Svc(
      String hostname,
      String namespace,
      String name,
      List<Integer> ports,
      Map<String, String> labels) {}

  private static final List<Svc> SERVICES = new ArrayList<>();

  private static void svc(String hostname, String namespace) {
    SERVICES.add(new Svc(hostname, namespace, "", PORTS, Map.of()));
  }

  static {
    SERVICES.add(
        new Svc(
            "istio-ingressgateway.istio-system.svc." + SUFFIX,
            "istio-system",
            "istio-ingressgateway",
            List.of(80, 443, 34000, 34001),
            Map.of()));
    svc("example.com", "istio-system");
    svc("httpbin.default.svc." + SUFFIX, "default");
    for (String[] pool :
        new String[][] {{"infpool-gen", "ext-proc-svc"}, {"infpool-gen2", "ext-proc-svc-2"}}) {
      SERVICES.add(
          new Svc(
              Backends.shadowServiceName(pool[0]) + ".default.svc." + SUFFIX,
              "default",
              "",
              PORTS,
              Map.of(
                  Backends.EXTENSION_SERVICE, pool[1],
                  Backends.EXTENSION_PORT, "9002",
                  Backends.EXTENSION_FAILURE_MODE, "FailClose")));
    }
    svc("httpbin-apple.apple.svc." + SUFFIX, "apple");
    svc("httpbin-banana.banana.svc." + SUFFIX, "banana");
    for (String s :
        List.of(
            "httpbin-second", "httpbin-wildcard", "foo-svc", "httpbin-other", "example", "echo")) {
      svc(s + ".default.svc." + SUFFIX, "default");
    }
    svc("httpbin.cert.svc." + SUFFIX, "cert");
    svc("my-svc.service.svc." + SUFFIX, "service");
    svc("google.com", "default");
    svc("a-example.allowed-1.svc." + SUFFIX, "allowed-1");
    svc("a-example.allowed-2.svc." + SUFFIX, "allowed-2");
    svc("b-example.allowed-1.svc." + SUFFIX, "allowed-1");
    svc("svc2.allowed-1.svc." + SUFFIX, "allowed-1");
    svc("svc2.allowed-2.svc." + SUFFIX, "allowed-2");
    svc("svc1.allowed-1.svc." + SUFFIX, "allowed-1");
    svc("svc3.allowed-2.svc." + SUFFIX, "allowed-2");
    svc("svc4.default.svc." + SUFFIX, "default");
    svc("httpbin.group-namespace1.svc." + SUFFIX, "group-namespace1");
    svc("httpbin.group-namespace2.svc." + SUFFIX, "group-namespace2");
    svc("httpbin-zero.default.svc." + SUFFIX, "default");
    svc("httpbin.istio-system.svc." + SUFFIX, "istio-system");
    svc("httpbin-mirror.default.svc." + SUFFIX, "default");
    svc("httpbin-foo.default.svc." + SUFFIX, "default");
    svc("httpbin-alt.default.svc." + SUFFIX, "default");
    svc("istiod.istio-system.svc." + SUFFIX, "istio-system");
    svc("echo.istio-system.svc." + SUFFIX, "istio-system");
    svc("httpbin-bad.default.svc." + SUFFIX, "default");
    for (String s : List.of("echo-1", "echo-2", "echo-port", "not-found")) {
      svc(s + ".default.svc." + SUFFIX, "default");
    }
  }

  private IstioWorld() {}

  /**
   * The registry: every service, each port with one endpoint whose target port is 8080 for the
   * first port and 0 for the others (the Go test's way to provoke the "workload port" hint), and
   * the ingress gateway's LoadBalancer address 1.2.3.4.
   */
  static ServiceRegistryView registry() {
    Map<String, Map<String, RegistryService>> byHost = new HashMap<>();
    for (Svc s : SERVICES) {
      Map<Integer, List<Integer>> endpoints = new TreeMap<>();
      for (int i = 0; i < s.ports().size(); i++) {
        endpoints.put(s.ports().get(i), List.of(i == 0 ? 8080 : 0));
      }
      boolean ingress = s.hostname().startsWith("istio-ingressgateway.");
      byHost
          .computeIfAbsent(s.hostname(), h -> new HashMap<>())
          .put(
              s.namespace(),
              new RegistryService(
                  s.hostname(),
                  s.namespace(),
                  s.labels(),
                  s.ports(),
                  endpoints,
                  List.of(),
                  ingress ? List.of("1.2.3.4") : List.of(),
                  false));
    }
    return new ServiceRegistryView() {
      @Override
      public Optional<RegistryService> service(String hostname, String namespace) {
        return Optional.ofNullable(byHost.getOrDefault(hostname, Map.of()).get(namespace));
      }

      @Override
      public Set<String> namespacesOf(String hostname) {
        return byHost.getOrDefault(hostname, Map.of()).keySet();
      }
    };
  }

  /** A Kubernetes Service for every registry service in the cluster domain, as {@code ns/name}. */
  static Set<String> kubernetesServices() {
    Set<String> out = new HashSet<>();
    for (Svc s : SERVICES) {
      if (s.hostname().endsWith(SUFFIX)) {
        String name =
            s.name().isEmpty() ? s.hostname().substring(0, s.hostname().indexOf('.')) : s.name();
        out.add(s.namespace() + "/" + name);
      }
    }
    return out;
  }

  /** A Namespace for every namespace an input object names, labelled as the Go test labels it. */
  static Map<String, Map<String, String>> namespaces(String inputYaml) {
    Map<String, Map<String, String>> out = new HashMap<>();
    for (KubeYaml.Document d : KubeYaml.documents(inputYaml, false)) {
      if (d.failed() || d.empty()) {
        continue;
      }
      JsonNode ns = d.value().path("metadata").path("namespace");
      String name = ns.isTextual() ? ns.textValue() : "";
      out.put(name, Map.of("istio.io/test-name-part", name.split("-", -1)[0]));
    }
    return out;
  }

  /** The Go test's Secrets: valid RSA pairs in several namespaces, and one malformed. */
  static CredentialSource secrets(Path conversionTestGo) throws Exception {
    String go = Files.readString(conversionTestGo);
    Map<String, ByteString> pair =
        Map.of(
            "tls.crt", ByteString.copyFromUtf8(goRawString(go, "rsaCertPEM")),
            "tls.key", ByteString.copyFromUtf8(goRawString(go, "rsaKeyPEM")));
    Map<String, Map<String, ByteString>> secrets = new HashMap<>();
    for (String s :
        List.of(
            "istio-system/my-cert-http",
            "ns2/ns2-cert",
            "ns3/ns3-cert",
            "ns4/ns4-cert",
            "istio-system/my-cert-http2",
            "cert/cert")) {
      secrets.put(s, pair);
    }
    ByteString hello = ByteString.copyFrom("SGVsbG8gd29ybGQK", StandardCharsets.US_ASCII);
    secrets.put("istio-system/malformed", Map.of("tls.crt", hello, "tls.key", hello));
    return (namespace, name) ->
        Optional.ofNullable(secrets.get(namespace + "/" + name))
            .map(d -> new CredentialSource.SecretData(namespace, name, "Opaque", d));
  }

  /** The Go test's ConfigMaps: a CA certificate, and one without the expected keys. */
  static ConfigMapSource configMaps(Path conversionTestGo) throws Exception {
    String go = Files.readString(conversionTestGo);
    Map<String, Map<String, String>> configMaps =
        Map.of(
            "default/malformed", Map.of("not-ca.crt", "hello"),
            "default/auth-cert", Map.of("ca.crt", goRawString(go, "rsaCertPEM")));
    return (namespace, name) -> Optional.ofNullable(configMaps.get(namespace + "/" + name));
  }

  private static String goRawString(String go, String variable) {
    Matcher m = Pattern.compile(variable + " = `([^`]*)`").matcher(go);
    if (!m.find()) {
      throw new IllegalStateException(variable + " not found in conversion_test.go");
    }
    return m.group(1);
  }
}

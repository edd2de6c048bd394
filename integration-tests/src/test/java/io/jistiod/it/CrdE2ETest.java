package io.jistiod.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.jistiod.galley.api.networking.v1alpha3.VirtualService;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.ConfigEvent;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.kube.KubernetesConfigStore;
import io.jistiod.it.support.Rig;
import io.jistiod.it.support.RigExtension;
import io.jistiod.it.support.TestNamespace;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Our generated CRDs on a real kube-apiserver: every schema is accepted as structural, objects in
 * every served version are stored without losing fields, printer columns show, the schema rejects
 * what Istio's rejects, and {@link KubernetesConfigStore} sees what kubectl applies.
 *
 * <p>The CRDs stay installed afterwards (as {@code helm.sh/resource-policy: keep} intends); the
 * objects each test creates are deleted with its namespace.
 */
@Tag("e2e")
@ExtendWith(RigExtension.class)
class CrdE2ETest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Path CRDS = Rig.MODULE.getParent().resolve("crds/crd-all.gen.yaml");
  private static final String ALL_KINDS =
      "virtualservices.networking.istio.io,destinationrules.networking.istio.io,"
          + "gateways.networking.istio.io,serviceentries.networking.istio.io,"
          + "sidecars.networking.istio.io,workloadentries.networking.istio.io,"
          + "workloadgroups.networking.istio.io,envoyfilters.networking.istio.io,"
          + "proxyconfigs.networking.istio.io,authorizationpolicies.security.istio.io,"
          + "peerauthentications.security.istio.io,requestauthentications.security.istio.io,"
          + "telemetries.telemetry.istio.io,wasmplugins.extensions.istio.io,"
          + "trafficextensions.extensions.istio.io";

  private KubernetesConfigStore store;

  @BeforeEach
  void installCrds(Rig rig) throws Exception {
    long start = System.nanoTime();
    String out = rig.kubectl("apply", "-f", CRDS.toString());
    assertThat(out.lines().count()).isEqualTo(IstioKinds.ALL.size());
    List<String> names = new ArrayList<>();
    for (var kind : IstioKinds.ALL) {
      names.add("crd/" + kind.plural() + "." + kind.group());
    }
    List<String> wait = new ArrayList<>(List.of("wait", "--for=condition=Established"));
    wait.add("--timeout=60s");
    wait.addAll(names);
    rig.kubectl(wait.toArray(String[]::new));
    System.out.println(
        "CRDs applied and established in " + (System.nanoTime() - start) / 1_000_000 + " ms");
  }

  @AfterEach
  void cleanUp(Rig rig, TestNamespace ns) throws Exception {
    if (store != null) {
      store.close();
    }
    // Nothing finalizes a namespace on the rig; delete our objects so they do not linger.
    rig.kubectl(
        "delete", ALL_KINDS, "--all", "-n", ns.name(), "--ignore-not-found", "--wait=false");
  }

  @Test
  void everySchemaIsStructuralAndEveryCrdServesItsVersions(Rig rig) throws Exception {
    for (var kind : IstioKinds.ALL) {
      JsonNode crd =
          JSON.readTree(
              rig.kubectl("get", "crd", kind.plural() + "." + kind.group(), "-o", "json"));
      List<String> conditions = new ArrayList<>();
      for (JsonNode c : crd.at("/status/conditions")) {
        conditions.add(c.path("type").asText() + "=" + c.path("status").asText());
      }
      assertThat(conditions)
          .as(kind + " conditions")
          .contains("Established=True", "NamesAccepted=True")
          .noneMatch(c -> c.startsWith("NonStructuralSchema"));
      List<String> served = new ArrayList<>();
      for (JsonNode v : crd.at("/spec/versions")) {
        served.add(v.path("name").asText());
      }
      assertThat(served).containsExactlyInAnyOrderElementsOf(kind.versions());
      assertThat(crd.at("/status/storedVersions").toString()).contains(kind.storageVersion());
    }
    // Short names and categories resolve.
    assertThat(rig.kubectl("api-resources", "--api-group=networking.istio.io", "-o", "name"))
        .contains("virtualservices.networking.istio.io");
    rig.kubectl("get", "vs,dr,gw,se", "-A");
    rig.kubectl("get", "istio-io", "-A");
  }

  private static final String VS_V1 =
      """
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata: {name: reviews, namespace: __NS__}
      spec:
        hosts: [reviews]
        gateways: [mesh, istio-system/ingress]
        http:
        - name: canary
          match:
          - headers:
              end-user: {exact: jason}
            uri: {prefix: /api}
            queryParams:
              v: {regex: "^2$"}
          route:
          - destination: {host: reviews, subset: v2, port: {number: 9080}}
            weight: 80
            headers:
              request:
                set: {x-canary: "true"}
          - destination: {host: reviews, subset: v1}
            weight: 20
          timeout: 1.5s
          retries: {attempts: 3, perTryTimeout: 500ms, retryOn: "5xx,connect-failure"}
          fault:
            delay: {percentage: {value: 0.5}, fixedDelay: 5s}
          mirror: {host: reviews-shadow}
          mirrorPercentage: {value: 12.5}
          corsPolicy:
            allowOrigins: [{exact: "https://example.com"}]
            allowMethods: [GET]
            maxAge: 24h
        - route:
          - destination: {host: reviews, subset: v1}
        tcp:
        - match: [{port: 27017}]
          route: [{destination: {host: mongo, port: {number: 5555}}}]
        exportTo: ["."]
      """;

  private static final String VS_V1ALPHA3 =
      """
      apiVersion: networking.istio.io/v1alpha3
      kind: VirtualService
      metadata: {name: ratings, namespace: __NS__}
      spec:
        hosts: [ratings.prod.svc.cluster.local]
        http:
        - redirect: {uri: /v1/bookRatings, authority: newratings.default.svc.cluster.local}
          match: [{uri: {exact: /v1/getProductRatings}}]
        - directResponse: {status: 503, body: {string: unavailable}}
      """;

  private static final String DR_V1BETA1 =
      """
      apiVersion: networking.istio.io/v1beta1
      kind: DestinationRule
      metadata: {name: reviews, namespace: __NS__}
      spec:
        host: reviews
        trafficPolicy:
          loadBalancer:
            consistentHash:
              httpCookie: {name: user, ttl: 0s}
          connectionPool:
            tcp: {maxConnections: 100, connectTimeout: 30ms, idleTimeout: 0s}
            http: {http2MaxRequests: 1000, maxRequestsPerConnection: 10}
          outlierDetection: {consecutive5xxErrors: 7, interval: 5m, baseEjectionTime: 15m}
          tls: {mode: ISTIO_MUTUAL}
        subsets:
        - name: v1
          labels: {version: v1}
        - name: v2
          labels: {version: v2}
          trafficPolicy:
            loadBalancer: {simple: ROUND_ROBIN}
            portLevelSettings:
            - port: {number: 9080}
              loadBalancer: {simple: LEAST_REQUEST}
      """;

  private static final String GATEWAY_V1ALPHA3 =
      """
      apiVersion: networking.istio.io/v1alpha3
      kind: Gateway
      metadata: {name: ingress, namespace: __NS__}
      spec:
        selector: {istio: ingressgateway}
        servers:
        - port: {number: 443, name: https, protocol: HTTPS}
          hosts: ["bookinfo.example.com"]
          tls: {mode: SIMPLE, credentialName: bookinfo-cert}
        - port: {number: 80, name: http, protocol: HTTP}
          hosts: ["*"]
          tls: {httpsRedirect: true}
      """;

  private static final String SERVICE_ENTRY_V1 =
      """
      apiVersion: networking.istio.io/v1
      kind: ServiceEntry
      metadata: {name: external-api, namespace: __NS__}
      spec:
        hosts: [api.example.com]
        location: MESH_EXTERNAL
        resolution: DNS
        ports:
        - {number: 443, name: https, protocol: TLS}
        - {number: 80, name: http, protocol: HTTP, targetPort: 8080}
        endpoints:
        - address: api.example.com
          ports: {https: 443}
          labels: {region: eu}
      """;

  private static final String SIDECAR_V1BETA1 =
      """
      apiVersion: networking.istio.io/v1beta1
      kind: Sidecar
      metadata: {name: default, namespace: __NS__}
      spec:
        egress:
        - hosts: ["./*", "istio-system/*"]
        ingress:
        - port: {number: 9080, protocol: HTTP, name: http}
          defaultEndpoint: 127.0.0.1:8080
        outboundTrafficPolicy: {mode: REGISTRY_ONLY}
      """;

  private static final String AUTHZ_V1 =
      """
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: httpbin, namespace: __NS__}
      spec:
        selector: {matchLabels: {app: httpbin}}
        action: ALLOW
        rules:
        - from:
          - source: {principals: ["cluster.local/ns/default/sa/sleep"], namespaces: [test]}
          to:
          - operation: {methods: [GET], paths: ["/info*"]}
          when:
          - key: request.auth.claims[iss]
            values: ["https://accounts.google.com"]
      """;

  private static final String PEER_AUTHN_V1BETA1 =
      """
      apiVersion: security.istio.io/v1beta1
      kind: PeerAuthentication
      metadata: {name: default, namespace: __NS__}
      spec:
        selector: {matchLabels: {app: reviews}}
        mtls: {mode: STRICT}
        portLevelMtls:
          "8080": {mode: PERMISSIVE}
      """;

  /** Applies {@code yaml} into the namespace and checks the stored spec is what was written. */
  private JsonNode applyAndReadBack(Rig rig, TestNamespace ns, String yaml, String resource)
      throws Exception {
    String text = yaml.replace("__NS__", ns.name());
    rig.apply(text);
    JsonNode written = YAML.readTree(text);
    String name = written.at("/metadata/name").asText();
    String version = written.path("apiVersion").asText();
    String group = version.substring(0, version.indexOf('/'));
    String qualified = resource + "." + version.substring(version.indexOf('/') + 1) + "." + group;
    JsonNode read =
        JSON.readTree(rig.kubectl("get", qualified, name, "-n", ns.name(), "-o", "json"));
    assertThat(read.path("apiVersion").asText()).isEqualTo(version);
    // Nothing pruned, nothing changed: every field we wrote is in the schema with its type.
    assertThat(read.path("spec")).as(resource + " spec").isEqualTo(written.path("spec"));
    return read;
  }

  @Test
  void realisticObjectsInEveryVersionAreStoredWhole(Rig rig, TestNamespace ns) throws Exception {
    applyAndReadBack(rig, ns, VS_V1, "virtualservices");
    applyAndReadBack(rig, ns, VS_V1ALPHA3, "virtualservices");
    applyAndReadBack(rig, ns, DR_V1BETA1, "destinationrules");
    applyAndReadBack(rig, ns, GATEWAY_V1ALPHA3, "gateways");
    applyAndReadBack(rig, ns, SERVICE_ENTRY_V1, "serviceentries");
    applyAndReadBack(rig, ns, SIDECAR_V1BETA1, "sidecars");
    applyAndReadBack(rig, ns, AUTHZ_V1, "authorizationpolicies");
    applyAndReadBack(rig, ns, PEER_AUTHN_V1BETA1, "peerauthentications");

    // The same objects read in the other versions (the API server converts apiVersion only).
    JsonNode old =
        JSON.readTree(
            rig.kubectl(
                "get",
                "virtualservices.v1beta1.networking.istio.io",
                "reviews",
                "-n",
                ns.name(),
                "-o",
                "json"));
    assertThat(old.at("/spec/http/0/route/0/weight").asInt()).isEqualTo(80);
    JsonNode gw =
        JSON.readTree(
            rig.kubectl(
                "get",
                "gateways.v1.networking.istio.io",
                "ingress",
                "-n",
                ns.name(),
                "-o",
                "json"));
    assertThat(gw.at("/spec/servers/0/tls/credentialName").asText()).isEqualTo("bookinfo-cert");
    JsonNode pa =
        JSON.readTree(
            rig.kubectl(
                "get",
                "peerauthentications.v1.security.istio.io",
                "default",
                "-n",
                ns.name(),
                "-o",
                "json"));
    assertThat(pa.at("/spec/portLevelMtls/8080/mode").asText()).isEqualTo("PERMISSIVE");
  }

  @Test
  void kubectlGetShowsIstiosPrinterColumns(Rig rig, TestNamespace ns) throws Exception {
    rig.apply(VS_V1.replace("__NS__", ns.name()));
    rig.apply(DR_V1BETA1.replace("__NS__", ns.name()));
    rig.apply(SERVICE_ENTRY_V1.replace("__NS__", ns.name()));
    rig.apply(AUTHZ_V1.replace("__NS__", ns.name()));
    rig.apply(PEER_AUTHN_V1BETA1.replace("__NS__", ns.name()));

    String vs = rig.kubectl("get", "vs", "-n", ns.name());
    System.out.println(vs);
    assertThat(vs.lines().findFirst().orElseThrow().split("\\s+"))
        .containsExactly("NAME", "GATEWAYS", "HOSTS", "AGE");
    assertThat(vs).contains("reviews").contains("[\"mesh\",\"istio-system/ingress\"]");
    assertThat(vs).contains("[\"reviews\"]");
    assertThat(rig.kubectl("get", "dr", "-n", ns.name()).lines().findFirst().orElseThrow())
        .matches("NAME\\s+HOST\\s+AGE");
    String se = rig.kubectl("get", "se", "-n", ns.name());
    System.out.println(se);
    assertThat(se.lines().findFirst().orElseThrow())
        .matches("NAME\\s+HOSTS\\s+LOCATION\\s+RESOLUTION\\s+AGE");
    assertThat(se).contains("MESH_EXTERNAL").contains("DNS");
    assertThat(rig.kubectl("get", "ap", "-n", ns.name())).contains("ACTION").contains("ALLOW");
    assertThat(rig.kubectl("get", "pa", "-n", ns.name())).contains("MODE").contains("STRICT");
    assertThat(rig.kubectl("get", "gw", "-n", ns.name()).strip()).isEmpty(); // none yet
  }

  private static String vsWithWeight(String ns, String weight) {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: bad, namespace: %s}
        spec:
          hosts: [reviews]
          http:
          - route:
            - destination: {host: reviews}
              weight: %s
        """
        .formatted(ns, weight);
  }

  @Test
  void theSchemaRejectsWhatIstiosRejects(Rig rig, TestNamespace ns) {
    String n = ns.name();
    assertThatThrownBy(() -> rig.apply(vsWithWeight(n, "abc")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("spec.http[0].route[0].weight")
        .hasMessageContaining("integer");
    assertThatThrownBy(
            () ->
                rig.apply(
                    """
                    apiVersion: networking.istio.io/v1
                    kind: DestinationRule
                    metadata: {name: bad, namespace: %s}
                    spec:
                      trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
                    """
                        .formatted(n)))
        .hasMessageContaining("spec.host")
        .hasMessageContaining("Required value");
    assertThatThrownBy(
            () ->
                rig.apply(
                    """
                    apiVersion: networking.istio.io/v1
                    kind: DestinationRule
                    metadata: {name: bad, namespace: %s}
                    spec:
                      host: reviews
                      trafficPolicy:
                        loadBalancer:
                          simple: ROUND_ROBIN
                          consistentHash: {useSourceIp: true}
                    """
                        .formatted(n)))
        .hasMessageContaining("spec.trafficPolicy.loadBalancer");
    assertThatThrownBy(
            () ->
                rig.apply(
                    """
                    apiVersion: networking.istio.io/v1
                    kind: DestinationRule
                    metadata: {name: bad, namespace: %s}
                    spec:
                      host: reviews
                      trafficPolicy: {loadBalancer: {simple: FASTEST}}
                    """
                        .formatted(n)))
        .hasMessageContaining("spec.trafficPolicy.loadBalancer.simple")
        .hasMessageContaining("ROUND_ROBIN");
    assertThatThrownBy(
            () ->
                rig.apply(
                    """
                    apiVersion: networking.istio.io/v1
                    kind: VirtualService
                    metadata: {name: bad, namespace: %s}
                    spec:
                      hosts: [reviews]
                      http: [{timeout: 0s, route: [{destination: {host: reviews}}]}]
                    """
                        .formatted(n)))
        .hasMessageContaining("spec.http[0].timeout")
        .hasMessageContaining("must be a valid duration greater than 1ms");
    assertThatThrownBy(
            () ->
                rig.apply(
                    """
                    apiVersion: networking.istio.io/v1
                    kind: ServiceEntry
                    metadata: {name: bad, namespace: %s}
                    """
                        .formatted(n)))
        .hasMessageContaining("spec")
        .hasMessageContaining("Required value");
  }

  @Test
  void theConfigStoreSeesWhatKubectlApplies(Rig rig, TestNamespace ns) throws Exception {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    store = new KubernetesConfigStore(rig.client(), IstioKinds.ALL, meters);
    List<ConfigEvent> events = new CopyOnWriteArrayList<>();
    store.addHandler(
        e -> {
          if (e.key().namespace().equals(ns.name())) {
            events.add(e);
          }
        });
    long start = System.nanoTime();
    store.start();
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(store::hasSynced);
    System.out.println(
        "store synced on all "
            + IstioKinds.ALL.size()
            + " kinds in "
            + (System.nanoTime() - start) / 1_000_000
            + " ms");

    long applied = System.nanoTime();
    rig.apply(VS_V1.replace("__NS__", ns.name()));
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(10))
        .until(() -> store.get(IstioKinds.VIRTUAL_SERVICE, ns.name(), "reviews").isPresent());
    System.out.println(
        "VirtualService in the store "
            + (System.nanoTime() - applied) / 1_000_000
            + " ms after apply");
    Config vs = store.get(IstioKinds.VIRTUAL_SERVICE, ns.name(), "reviews").orElseThrow();
    VirtualService spec = vs.spec(VirtualService.class);
    assertThat(spec.getHttp(0).getRoute(0).getWeight()).isEqualTo(80);
    assertThat(spec.getHttp(0).getTimeout().getNanos()).isEqualTo(500_000_000);
    assertThat(spec.getGatewaysList()).containsExactly("mesh", "istio-system/ingress");
    assertThat(vs.meta().generation()).isEqualTo(1);

    // Written as v1alpha3, read through v1: the same message.
    rig.apply(VS_V1ALPHA3.replace("__NS__", ns.name()));
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> store.get(IstioKinds.VIRTUAL_SERVICE, ns.name(), "ratings").isPresent());
    assertThat(
            store
                .get(IstioKinds.VIRTUAL_SERVICE, ns.name(), "ratings")
                .orElseThrow()
                .spec(VirtualService.class)
                .getHttp(1)
                .getDirectResponse()
                .getStatus())
        .isEqualTo(503);

    // A status-only write is not a change.
    int before = events.size();
    rig.kubectl(
        "patch",
        "virtualservices.networking.istio.io",
        "reviews",
        "-n",
        ns.name(),
        "--subresource=status",
        "--type=merge",
        "-p",
        "{\"status\":{\"observedGeneration\":1}}");
    String statusVersion =
        rig.kubectl(
            "get", "vs", "reviews", "-n", ns.name(), "-o", "jsonpath={.metadata.resourceVersion}");
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                store
                    .get(IstioKinds.VIRTUAL_SERVICE, ns.name(), "reviews")
                    .orElseThrow()
                    .meta()
                    .resourceVersion()
                    .equals(statusVersion));
    assertThat(events).hasSize(before);

    rig.kubectl("delete", "vs", "reviews", "-n", ns.name());
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> store.get(IstioKinds.VIRTUAL_SERVICE, ns.name(), "reviews").isEmpty());
    assertThat(events.get(events.size() - 1).type()).isEqualTo(ConfigEvent.Type.DELETE);
    assertThat(meters.find("pilot_total_rejected_configs").counters()).isEmpty();
    assertThat(Files.exists(CRDS)).isTrue();
  }
}

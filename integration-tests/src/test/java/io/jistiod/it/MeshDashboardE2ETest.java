package io.jistiod.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.jistiod.citadel.api.IstioCertificateRequest;
import io.jistiod.citadel.api.IstioCertificateServiceGrpc;
import io.jistiod.citadel.pki.Pem;
import io.jistiod.istiod.Istiod;
import io.jistiod.istiod.IstiodOptions;
import io.jistiod.istiod.KubernetesAccess;
import io.jistiod.istiod.security.SecurityOptions;
import io.jistiod.it.support.DeltaAdsClient;
import io.jistiod.it.support.HeadlessChromium;
import io.jistiod.it.support.Rig;
import io.jistiod.it.support.RigExtension;
import io.jistiod.it.support.TestNamespace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live dashboard ({@code /ui} on the monitoring port) in a real headless Chromium: connected
 * proxies with their sync state, a NACK with its text, the convergence histogram, config counts and
 * analyzer findings, the CA's root and a workload certificate, and a proxy that connects later
 * showing up without a reload. Its screenshot is {@code target/dashboard.png} (copied to {@code
 * docs/dashboard.png} with {@code -Djistiod.docs.screenshots=true}).
 */
@Tag("e2e")
@ExtendWith(RigExtension.class)
class MeshDashboardE2ETest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String NACK_TEXT = "cluster refused by the dashboard test";

  @TempDir Path tmp;
  private final List<AutoCloseable> cleanup = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (int i = cleanup.size() - 1; i >= 0; i--) {
      cleanup.get(i).close();
    }
  }

  @Test
  void theDashboardShowsTheMeshLiveInAHeadlessBrowser(Rig rig, TestNamespace ns) throws Exception {
    String n = ns.name();
    rig.installIstioCrds(); // before istiod starts, so its informers see the Istio kinds
    Istiod istiod =
        new Istiod(
            IstiodOptions.defaults(null)
                .withKubernetes(new KubernetesAccess(rig.istiodKubeconfig(n)))
                .withAddresses("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
                .withSecurity(
                    SecurityOptions.fromEnvironment(k -> null)
                        .withSecureGrpcAddr("127.0.0.1:0")
                        .withNamespace(n)
                        .withRootCaDir(tmp.resolve("no-cacerts"))));
    cleanup.add(istiod);
    istiod.start();
    rig.apply(
        """
        apiVersion: v1
        kind: Service
        metadata: {name: reviews, namespace: %1$s}
        spec:
          ports: [{name: http, port: 9080}]
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews, namespace: %1$s}
        spec:
          host: reviews
          subsets: [{name: v1, labels: {version: v1}}]
        """
            .formatted(n));

    ManagedChannel channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", istiod.grpcPort()).usePlaintext().build();
    cleanup.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    DeltaAdsClient app = new DeltaAdsClient(channel, node("app-1." + n, n, "10.1.2.3"));
    cleanup.add(app);
    nackClusters(channel, node("nacker-1." + n, n, "10.1.2.4"));
    String identity = issueWorkloadCertificate(rig, istiod, n, "reviews");
    // a change once the proxies are connected: a push whose convergence the histogram counts, and
    // a route to a subset the rule lacks, which the analyzers report
    Awaitility.await().atMost(WAIT).until(() -> app.resources(DeltaAdsClient.CDS).size() > 0);
    rig.apply(
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews, namespace: %s}
        spec:
          hosts: [reviews]
          http:
          - route: [{destination: {host: reviews, subset: v3}}]
        """
            .formatted(n));

    Path profile = tmp.resolve("chromium");
    HeadlessChromium browser = HeadlessChromium.start(profile);
    cleanup.add(browser);
    HeadlessChromium.Page page =
        browser.open("http://127.0.0.1:" + istiod.monitoringPort() + "/ui");

    // every part of the page, as the browser rendered it
    Awaitility.await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(
            () -> {
              JsonNode dom = dom(page);
              assertThat(dom.path("proxies").toString()).contains("app-1." + n, "nacker-1." + n);
              assertThat(dom.path("appStates").toString()).contains("cds SYNCED", "lds SYNCED");
              assertThat(dom.path("nacks").toString()).contains("nacker-1." + n, NACK_TEXT);
              assertThat(dom.path("findings").toString())
                  .contains("IST0101 (VirtualService " + n + "/reviews)");
              assertThat(dom.path("config").toString())
                  .contains("VirtualService", "DestinationRule");
              assertThat(dom.path("roots").asInt()).isEqualTo(1);
              assertThat(dom.path("workloads").toString()).contains(identity);
              assertThat(dom.path("convergence").asDouble()).isPositive();
            });
    Path shot = Path.of("target/dashboard.png");
    page.screenshot(shot);
    assertThat(Files.size(shot)).isGreaterThan(10_000);
    if (Boolean.getBoolean("jistiod.docs.screenshots")) {
      Files.copy(shot, Path.of("../docs/dashboard.png"), StandardCopyOption.REPLACE_EXISTING);
    }

    // a proxy that connects now appears without a reload (the marker set in the page survives)
    page.evaluate("window.__sameDocument = 'yes'");
    DeltaAdsClient late = new DeltaAdsClient(channel, node("late-1." + n, n, "10.1.2.5"));
    cleanup.add(late);
    Awaitility.await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(
            () -> assertThat(dom(page).path("proxies").toString()).contains("late-1." + n));
    assertThat(page.evaluate("window.__sameDocument").asText()).isEqualTo("yes");
  }

  /** What the page shows, read from its DOM. */
  private static JsonNode dom(HeadlessChromium.Page page) throws Exception {
    return page.evaluate(
        """
        (() => {
          const rows = (sel) => [...document.querySelectorAll(sel)].map(r => r.textContent);
          const app = [...document.querySelectorAll('#proxies tbody tr')]
              .find(r => (r.dataset.proxy || '').startsWith('app-1.'));
          return {
            proxies: [...document.querySelectorAll('#proxies tbody tr[data-proxy]')]
                .map(r => r.dataset.proxy),
            appStates: app ? [...app.querySelectorAll('.badge')].map(b => b.textContent) : [],
            nacks: rows('#nacks tbody tr'),
            findings: rows('#findings li'),
            config: rows('#config tbody tr[data-kind]'),
            roots: document.querySelectorAll('#ca-roots tbody tr td.mono, #ca-roots tbody tr span.mono').length,
            workloads: [...document.querySelectorAll('#workloads tbody tr[data-identity]')]
                .map(r => r.dataset.identity),
            convergence: [...document.querySelectorAll('#convergence .bar')]
                .reduce((a, b) => a + Number(b.dataset.count), 0),
          };
        })()
        """);
  }

  private static Node node(String name, String namespace, String ip) {
    return Node.newBuilder()
        .setId("sidecar~" + ip + "~" + name + "~" + namespace + ".svc.cluster.local")
        .build();
  }

  /** A state-of-the-world client that rejects the clusters it is sent. */
  private void nackClusters(ManagedChannel channel, Node node) {
    String cds = DeltaAdsClient.CDS;
    StreamObserver<DiscoveryRequest>[] requests = new StreamObserver[1];
    requests[0] =
        AggregatedDiscoveryServiceGrpc.newStub(channel)
            .streamAggregatedResources(
                new StreamObserver<>() {
                  @Override
                  public void onNext(DiscoveryResponse r) {
                    requests[0].onNext(
                        DiscoveryRequest.newBuilder()
                            .setTypeUrl(cds)
                            .setResponseNonce(r.getNonce())
                            .setErrorDetail(
                                com.google.rpc.Status.newBuilder().setCode(3).setMessage(NACK_TEXT))
                            .build());
                  }

                  @Override
                  public void onError(Throwable t) {}

                  @Override
                  public void onCompleted() {}
                });
    requests[0].onNext(DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(cds).build());
    cleanup.add(requests[0]::onCompleted);
  }

  /** A CSR for ServiceAccount {@code sa}, authenticated with its token; the identity certified. */
  private String issueWorkloadCertificate(Rig rig, Istiod istiod, String n, String sa)
      throws Exception {
    rig.kubectl("create", "serviceaccount", sa, "-n", n);
    String token = rig.kubectl("create", "token", sa, "-n", n, "--audience", "istio-ca").strip();
    String root = rig.publishedRoot(n, WAIT);
    ManagedChannel tls =
        NettyChannelBuilder.forAddress("127.0.0.1", istiod.secureGrpcPort())
            .overrideAuthority("istiod." + n + ".svc")
            .sslContext(
                GrpcSslContexts.forClient().trustManager(Pem.parseCertificates(root)).build())
            .build();
    cleanup.add(() -> tls.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    Metadata headers = new Metadata();
    headers.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair key = generator.generateKeyPair();
    String csr =
        Pem.encode(
            new JcaPKCS10CertificationRequestBuilder(
                    new X500Name("O=cluster.local"), key.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate())));
    IstioCertificateServiceGrpc.newBlockingStub(tls)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .createCertificate(
            IstioCertificateRequest.newBuilder().setCsr(csr).setValidityDuration(3600).build());
    return "spiffe://cluster.local/ns/" + n + "/sa/" + sa;
  }
}

package io.jistiod.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.rpc.Status;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.jistiod.istiod.Istiod;
import io.jistiod.istiod.IstiodOptions;
import io.jistiod.istiod.webhook.WebhookOptions;
import io.jistiod.it.support.PromParser;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * istiod's {@code /metrics}, scraped after real work (an xDS client that NACKs, webhook requests
 * that pass and fail), is accepted whole by Prometheus' own text parser ({@link PromParser}), and
 * carries every istiod metric Istio 1.27's Grafana dashboards query that jistiod can produce, with
 * Istio's type. docs/metrics.md lists the dashboards' metrics and why the few left out are.
 */
class MetricsExpositionTest {
  private static final String CDS = "type.googleapis.com/envoy.config.cluster.v3.Cluster";

  /**
   * The istiod-side metrics queried by pilot-dashboard.gen.json and
   * istio-performance-dashboard.json (manifests/addons/dashboards at Istio 1.27.0; the other
   * dashboards query only proxy and cAdvisor metrics, and istio_build), with the type Istio exports
   * them as.
   */
  static final Map<String, String> DASHBOARD_METRICS =
      new TreeMap<>(
          Map.ofEntries(
              Map.entry("istio_build", "gauge"),
              Map.entry("pilot_xds", "gauge"),
              Map.entry("pilot_xds_pushes", "counter"),
              Map.entry("pilot_push_triggers", "counter"),
              Map.entry("pilot_total_xds_rejects", "counter"),
              Map.entry("pilot_total_xds_internal_errors", "counter"),
              Map.entry("pilot_xds_push_time", "histogram"),
              Map.entry("pilot_xds_config_size_bytes", "histogram"),
              Map.entry("galley_validation_passed", "counter"),
              Map.entry("galley_validation_failed", "counter"),
              Map.entry("process_cpu_seconds_total", "counter"),
              Map.entry("process_open_fds", "gauge"),
              Map.entry("process_resident_memory_bytes", "gauge"),
              Map.entry("process_virtual_memory_bytes", "gauge"),
              Map.entry("go_goroutines", "gauge"),
              Map.entry("go_memstats_alloc_bytes", "gauge"),
              Map.entry("go_memstats_alloc_bytes_total", "counter"),
              Map.entry("go_memstats_heap_alloc_bytes", "gauge"),
              Map.entry("go_memstats_heap_inuse_bytes", "gauge"),
              Map.entry("go_memstats_heap_sys_bytes", "gauge"),
              Map.entry("go_memstats_stack_inuse_bytes", "gauge")));

  /** Prometheus' Go client's process collector, beyond what the dashboards query. */
  static final Map<String, String> PROCESS_METRICS =
      Map.of("process_start_time_seconds", "gauge", "process_max_fds", "gauge");

  private static Istiod istiod;
  private static ManagedChannel channel;

  @BeforeAll
  static void start() throws Exception {
    istiod =
        new Istiod(
            IstiodOptions.defaults(Path.of("../samples/mesh"))
                .withAddresses("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
                .withWebhook(WebhookOptions.disabled().withHttpsAddr("127.0.0.1:0")));
    istiod.start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", istiod.grpcPort()).usePlaintext().build();
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (istiod != null) {
      istiod.close();
    }
  }

  @Test
  void dashboardMetricsAreThereFromStart() throws Exception {
    PromParser.Report fresh = PromParser.get().check(scrape());

    assertThat(fresh.errors()).isEmpty();
    assertThat(fresh.types()).containsAllEntriesOf(DASHBOARD_METRICS);
  }

  @Test
  void pageAfterAnXdsNackAndWebhookRequestsIsAcceptedWholeByPrometheusParser() throws Exception {
    nackClusters();
    int passed = webhook(virtualService("good", "reviews"));
    int failed = webhook(virtualService("bad", ""));
    assertThat(passed).isEqualTo(200);
    assertThat(failed).isEqualTo(200);

    String page = awaitPage("pilot_total_xds_rejects{type=\"cds\"} 1\n");
    PromParser.Report report = PromParser.get().check(page);

    assertThat(report.errors()).as("Prometheus' parser on the page:\n%s", page).isEmpty();
    assertThat(report.ok()).isTrue();
    assertThat(report.types()).containsAllEntriesOf(DASHBOARD_METRICS);
    assertThat(report.types()).containsAllEntriesOf(PROCESS_METRICS);
    assertThat(report.types())
        .containsEntry("pilot_proxy_convergence_time", "histogram")
        .containsEntry("jvm_memory_used_bytes", "gauge")
        .containsEntry("jvm_threads_live_threads", "gauge")
        .containsEntry("jvm_classes_loaded_classes", "gauge");
    assertThat(page).doesNotContain(".histogram").doesNotContain(".percentile");
    // The work shows in Istio's series.
    assertThat(value(page, "pilot_xds_pushes{type=\"cds\"}")).isGreaterThanOrEqualTo(1);
    assertThat(value(page, "pilot_xds_push_time_count{type=\"cds\"}")).isGreaterThanOrEqualTo(1);
    assertThat(value(page, "pilot_xds_config_size_bytes_count{type=\"cds\"}"))
        .isGreaterThanOrEqualTo(1);
    assertThat(page)
        .contains("pilot_xds_config_size_bytes_bucket{type=\"cds\",le=\"1e+06\"} ")
        .contains("pilot_xds_push_time_bucket{type=\"cds\",le=\"0.01\"} ")
        .contains("istio_build{component=\"pilot\",tag=\"1.27.0\"} 1\n");
    assertThat(
            value(
                page,
                "galley_validation_passed{group=\"networking.istio.io\",resource=\"virtualservices\",version=\"v1\"}"))
        .isEqualTo(1);
    assertThat(
            value(
                page,
                "galley_validation_failed{group=\"networking.istio.io\",reason=\"invalid_resource\",resource=\"virtualservices\",version=\"v1\"}"))
        .isEqualTo(1);
  }

  @Test
  void theParserRejectsWhatIstiodUsedToWrite() {
    // The page of issue #11: a dotted name from Micrometer's histogram gauges.
    PromParser.Report old =
        PromParser.get()
            .check(
                "# TYPE pilot_proxy_convergence_time.histogram gauge\n"
                    + "pilot_proxy_convergence_time.histogram{le=\"0.1\"} 0\n");
    assertThat(old.ok()).isFalse();
    assertThat(old.errors()).isNotEmpty();
  }

  /** Subscribes to clusters as a proxyless gRPC client, then NACKs the answer. */
  private static void nackClusters() throws Exception {
    BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    StreamObserver<DiscoveryRequest> requests =
        AggregatedDiscoveryServiceGrpc.newStub(channel)
            .streamAggregatedResources(
                new StreamObserver<>() {
                  @Override
                  public void onNext(DiscoveryResponse r) {
                    events.add(r);
                  }

                  @Override
                  public void onError(Throwable t) {
                    events.add(t);
                  }

                  @Override
                  public void onCompleted() {}
                });
    Node node =
        Node.newBuilder()
            .setId("sidecar~127.0.0.1~metrics-1.default~default.svc.cluster.local")
            .setMetadata(
                Struct.newBuilder()
                    .putFields("GENERATOR", Value.newBuilder().setStringValue("grpc").build())
                    .putFields("NAMESPACE", Value.newBuilder().setStringValue("default").build()))
            .build();
    requests.onNext(DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(CDS).build());
    Object e = events.poll(10, TimeUnit.SECONDS);
    assertThat(e).as("a CDS response").isInstanceOf(DiscoveryResponse.class);
    DiscoveryResponse r = (DiscoveryResponse) e;
    requests.onNext(
        DiscoveryRequest.newBuilder()
            .setTypeUrl(CDS)
            .setResponseNonce(r.getNonce())
            .setErrorDetail(Status.newBuilder().setCode(3).setMessage("rejected by the test"))
            .build());
    requests.onCompleted();
  }

  /** POSTs an AdmissionReview of {@code object} to the webhook; returns the HTTP status. */
  private static int webhook(String object) throws Exception {
    X509Certificate root =
        (X509Certificate)
            CertificateFactory.getInstance("X.509")
                .generateCertificate(
                    new ByteArrayInputStream(
                        istiod.webhook().caBundle().getBytes(StandardCharsets.US_ASCII)));
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("root", root);
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(null, tmf.getTrustManagers(), null);
    HttpClient client =
        HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(5)).build();
    String review =
        "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
            + "\"uid\":\"u1\",\"operation\":\"CREATE\",\"namespace\":\"default\","
            + "\"kind\":{\"group\":\"networking.istio.io\",\"version\":\"v1\",\"kind\":\"VirtualService\"},"
            + "\"resource\":{\"group\":\"networking.istio.io\",\"version\":\"v1\",\"resource\":\"virtualservices\"},"
            + "\"object\":"
            + object
            + "}}";
    HttpResponse<String> response =
        client.send(
            HttpRequest.newBuilder(
                    URI.create("https://127.0.0.1:" + istiod.webhookPort() + "/validate"))
                .header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(review))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return response.statusCode();
  }

  /** A VirtualService routing to {@code host}; an empty host makes it invalid. */
  private static String virtualService(String name, String host) {
    return "{\"apiVersion\":\"networking.istio.io/v1\",\"kind\":\"VirtualService\","
        + "\"metadata\":{\"name\":\""
        + name
        + "\",\"namespace\":\"default\"},"
        + "\"spec\":{\"hosts\":[\"reviews\"],\"http\":[{\"route\":[{\"destination\":{\"host\":\""
        + host
        + "\"}}]}]}}";
  }

  private static String scrape() throws Exception {
    return Http.get("http://127.0.0.1:" + istiod.monitoringPort() + "/metrics");
  }

  /** The page once it contains {@code line} (counters are recorded as requests are handled). */
  private static String awaitPage(String line) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    String page = scrape();
    while (!page.contains(line) && System.nanoTime() < deadline) {
      Thread.sleep(50);
      page = scrape();
    }
    assertThat(page).contains(line);
    return page;
  }

  private static double value(String page, String series) {
    Matcher m =
        Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(page);
    assertThat(m.find()).as(series + " in the page").isTrue();
    return Double.parseDouble(m.group(1));
  }
}

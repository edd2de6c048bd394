package io.jistiod.pilot.xds;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The xDS metrics, under Istio's names, labels and bucket bounds ({@code pilot/pkg/xds} and {@code
 * pkg/xds} monitoring), so existing dashboards and alerts keep working.
 *
 * <p>Where the label values are known up front, the series exist from the start with value 0 (Istio
 * creates a series on first use, so its dashboards show "No data" until then): {@code
 * pilot_xds_pushes}, {@code pilot_total_xds_rejects}, {@code pilot_xds_push_time} and {@code
 * pilot_xds_config_size_bytes} for the four main types, the push senderr types, {@code
 * pilot_push_triggers} for Istio's trigger reasons and {@code pilot_total_xds_internal_errors}.
 */
public final class XdsMetrics {
  /** The types Istio's help text names: "lds, rds, cds and eds". */
  static final List<String> MAIN_TYPES = List.of("cds", "eds", "lds", "rds");

  /** Istio's push trigger reasons ({@code model.TriggerReason}). */
  static final List<String> TRIGGER_REASONS =
      List.of(
          "endpoint",
          "config",
          "service",
          "proxy",
          "global",
          "unknown",
          "debug",
          "secret",
          "networks",
          "proxyrequest",
          "namespace",
          "clusterupdate");

  private static final String PUSHES_HELP =
      "Pilot build and send errors for lds, rds, cds and eds.";
  private static final String REJECTS_HELP =
      "Total number of XDS responses from pilot rejected by proxy.";
  private static final String TRIGGERS_HELP =
      "Total number of times a push was triggered, labeled by reason for the push.";

  /** Seconds: Istio's bounds for push, send and convergence times. */
  private static final Duration[] TIME_BUCKETS = {
    Duration.ofMillis(10),
    Duration.ofMillis(100),
    Duration.ofSeconds(1),
    Duration.ofSeconds(3),
    Duration.ofSeconds(5),
    Duration.ofSeconds(10),
    Duration.ofSeconds(20),
    Duration.ofSeconds(30)
  };

  /** Bytes: 10K, 1M, 4M (gRPC's default limit), 10M, 40M, as Istio's. */
  private static final double[] SIZE_BUCKETS = {
    1, 10_000, 1_000_000, 4_000_000, 10_000_000, 40_000_000
  };

  private final MeterRegistry registry;
  private final AtomicInteger connected = new AtomicInteger();
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Map<String, Timer> pushTimes = new ConcurrentHashMap<>();
  private final Map<String, DistributionSummary> configSizes = new ConcurrentHashMap<>();
  private final Timer convergence;
  private final Counter writeTimeouts;
  private final Counter internalErrors;

  public XdsMetrics(MeterRegistry registry, String version) {
    this.registry = registry;
    Gauge.builder("pilot_xds", connected, AtomicInteger::get)
        .description("Number of endpoints connected to this pilot using XDS.")
        .tag("version", version)
        .register(registry);
    convergence =
        Timer.builder("pilot_proxy_convergence_time")
            .description(
                "Delay in seconds between config change and a proxy receiving all required configuration.")
            .serviceLevelObjectives(
                Duration.ofMillis(100),
                Duration.ofMillis(500),
                Duration.ofSeconds(1),
                Duration.ofSeconds(3),
                Duration.ofSeconds(5),
                Duration.ofSeconds(10),
                Duration.ofSeconds(20),
                Duration.ofSeconds(30))
            .register(registry);
    writeTimeouts =
        Counter.builder("pilot_xds_write_timeout")
            .description("Pilot XDS response write timeouts.")
            .register(registry);
    internalErrors =
        Counter.builder("pilot_total_xds_internal_errors")
            .description("Total number of internal XDS errors in pilot.")
            .register(registry);
    for (String type : MAIN_TYPES) {
      counter("pilot_xds_pushes", PUSHES_HELP, type);
      counter("pilot_xds_pushes", PUSHES_HELP, type + "_senderr");
      counter("pilot_total_xds_rejects", REJECTS_HELP, type);
      pushTime(type);
      configSize(type);
    }
    for (String reason : TRIGGER_REASONS) {
      counter("pilot_push_triggers", TRIGGERS_HELP, reason);
    }
  }

  public void connected() {
    connected.incrementAndGet();
  }

  public void disconnected() {
    connected.decrementAndGet();
  }

  public int connectedClients() {
    return connected.get();
  }

  /**
   * A response was sent: {@code pilot_xds_pushes{type}}, {@code pilot_xds_push_time{type}} (from
   * the start of generation to the end of the write) and {@code pilot_xds_config_size_bytes{type}}.
   */
  public void pushed(String typeUrl, Duration took, long bytes) {
    String type = TypeUrls.shortName(typeUrl);
    counter("pilot_xds_pushes", PUSHES_HELP, type).increment();
    pushTime(type).record(took);
    configSize(type).record(bytes);
  }

  /** {@code pilot_xds_pushes{type=<t>_senderr}}: a response could not be sent. */
  public void sendError(String typeUrl) {
    counter("pilot_xds_pushes", PUSHES_HELP, TypeUrls.shortName(typeUrl) + "_senderr").increment();
  }

  /** {@code pilot_xds_write_timeout}: a response waited for a stream that did not read. */
  public void writeTimeout() {
    writeTimeouts.increment();
  }

  /** {@code pilot_total_xds_internal_errors}: generating a response failed. */
  public void internalError() {
    internalErrors.increment();
  }

  /** {@code pilot_total_xds_rejects{type}}: the client NACKed a response. */
  public void rejected(String typeUrl) {
    counter("pilot_total_xds_rejects", REJECTS_HELP, TypeUrls.shortName(typeUrl)).increment();
  }

  /** {@code pilot_xds_expired_nonce{type}}: a request carried a nonce that is no longer current. */
  public void expiredNonce(String typeUrl) {
    counter(
            "pilot_xds_expired_nonce",
            "Total number of XDS requests with an expired nonce.",
            TypeUrls.shortName(typeUrl))
        .increment();
  }

  /** {@code pilot_push_triggers{type}}: why pushes happened. */
  public void pushTrigger(String reason, int count) {
    counter("pilot_push_triggers", TRIGGERS_HELP, reason).increment(count);
  }

  public void convergence(Duration d) {
    convergence.record(d);
  }

  private Counter counter(String name, String help, String type) {
    return counters.computeIfAbsent(
        name + "|" + type,
        k -> Counter.builder(name).description(help).tag("type", type).register(registry));
  }

  private Timer pushTime(String type) {
    return pushTimes.computeIfAbsent(
        type,
        t ->
            Timer.builder("pilot_xds_push_time")
                .description("Total time in seconds Pilot takes to push lds, rds, cds and eds.")
                .tag("type", t)
                .serviceLevelObjectives(TIME_BUCKETS)
                .register(registry));
  }

  private DistributionSummary configSize(String type) {
    return configSizes.computeIfAbsent(
        type,
        t ->
            DistributionSummary.builder("pilot_xds_config_size_bytes")
                .description("Distribution of configuration sizes pushed to clients")
                .tag("type", t)
                .serviceLevelObjectives(SIZE_BUCKETS)
                .register(registry));
  }
}

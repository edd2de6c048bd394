package io.jistiod.pilot.xds;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The xDS metrics, under Istio's names and labels so existing dashboards and alerts keep working.
 */
public final class XdsMetrics {
  private final MeterRegistry registry;
  private final AtomicInteger connected = new AtomicInteger();
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Timer convergence;
  private final Counter writeTimeouts;

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

  /** {@code pilot_xds_pushes{type=cds|eds|lds|rds}}: responses sent. */
  public void pushed(String typeUrl) {
    counter(
            "pilot_xds_pushes",
            "Pilot build and send errors for lds, rds, cds and eds.",
            TypeUrls.shortName(typeUrl))
        .increment();
  }

  /** {@code pilot_xds_pushes{type=<t>_senderr}}: a response could not be sent. */
  public void sendError(String typeUrl) {
    counter(
            "pilot_xds_pushes",
            "Pilot build and send errors for lds, rds, cds and eds.",
            TypeUrls.shortName(typeUrl) + "_senderr")
        .increment();
  }

  /** {@code pilot_xds_write_timeout}: a response waited for a stream that did not read. */
  public void writeTimeout() {
    writeTimeouts.increment();
  }

  /** {@code pilot_total_xds_rejects{type}}: the client NACKed a response. */
  public void rejected(String typeUrl) {
    counter(
            "pilot_total_xds_rejects",
            "Total number of XDS responses from pilot rejected by proxy.",
            TypeUrls.shortName(typeUrl))
        .increment();
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
    counter(
            "pilot_push_triggers",
            "Total number of times a push was triggered, labeled by reason for the push.",
            reason)
        .increment(count);
  }

  public void convergence(Duration d) {
    convergence.record(d);
  }

  private Counter counter(String name, String help, String type) {
    return counters.computeIfAbsent(
        name + "|" + type,
        k -> Counter.builder(name).description(help).tag("type", type).register(registry));
  }
}

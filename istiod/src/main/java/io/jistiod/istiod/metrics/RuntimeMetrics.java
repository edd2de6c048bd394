package io.jistiod.istiod.metrics;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.simple.SimpleConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * istiod's registry and the metrics that describe the process rather than its work: {@code
 * istio_build}, {@code process_*}, the Go runtime series Istio's dashboards graph ({@link
 * GoRuntimeMetrics}) and the JVM's own ({@code jvm_*}, from Micrometer's binders).
 */
public final class RuntimeMetrics implements AutoCloseable {
  private final JvmGcMetrics gc;

  /** Held so that its weakly registered counter keeps reading (see ProcessMetrics#register). */
  @SuppressWarnings("unused")
  private final ProcessMetrics process;

  private RuntimeMetrics(JvmGcMetrics gc, ProcessMetrics process) {
    this.gc = gc;
    this.process = process;
  }

  /** A registry whose histograms count since start ({@link CumulativeHistograms}). */
  public static MeterRegistry newRegistry() {
    return newRegistry(Clock.SYSTEM);
  }

  static MeterRegistry newRegistry(Clock clock) {
    MeterRegistry registry = new SimpleMeterRegistry(SimpleConfig.DEFAULT, clock);
    registry.config().meterFilter(new CumulativeHistograms());
    return registry;
  }

  /**
   * Registers the process and runtime metrics, and {@code istio_build{component="pilot",tag}} = 1
   * as istiod records its build. Close to stop listening to GC events.
   *
   * @param istioVersion the Istio release this istiod stands in for, Istio's {@code tag}
   */
  public static RuntimeMetrics register(MeterRegistry registry, String istioVersion) {
    Gauge.builder("istio_build", () -> 1)
        .description("Istio component build info")
        .tag("component", "pilot")
        .tag("tag", istioVersion)
        .register(registry);
    ProcessMetrics process = ProcessMetrics.register(registry);
    GoRuntimeMetrics.register(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new JvmInfoMetrics().bindTo(registry);
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(registry);
    return new RuntimeMetrics(gc, process);
  }

  @Override
  public void close() {
    gc.close();
  }
}

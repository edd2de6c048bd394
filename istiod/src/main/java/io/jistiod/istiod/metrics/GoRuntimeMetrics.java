package io.jistiod.istiod.metrics;

import com.sun.management.HotSpotDiagnosticMXBean;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;

/**
 * The Go runtime series Istio's dashboards graph for istiod ({@code go_goroutines} and the {@code
 * go_memstats_*} gauges of the pilot and performance dashboards), each fed by the JVM figure
 * nearest in meaning, so those panels show istiod's threads and heap instead of "No data".
 * docs/metrics.md lists which JVM figure stands for which Go one. {@code go_memstats_mallocs_total}
 * (objects allocated) has no JVM counterpart and is not exported.
 */
public final class GoRuntimeMetrics {
  /** HotSpot's default thread stack on 64-bit Linux, when the VM option cannot be read. */
  private static final double DEFAULT_STACK_BYTES = 1024 * 1024;

  private GoRuntimeMetrics() {}

  public static void register(MeterRegistry registry) {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    ProcessMetrics proc = new ProcessMetrics(Path.of("/proc"));

    // Java threads are what run istiod's concurrent work, as goroutines do istiod's.
    Gauge.builder("go_goroutines", threads, ThreadMXBean::getThreadCount)
        .description("Number of goroutines that currently exist. (JVM: live Java threads)")
        .register(registry);
    // All OS threads of the process, the JVM's own (GC, JIT) included, as Go counts its Ms.
    Gauge.builder(
            "go_threads",
            threads,
            t -> {
              double os = proc.statusKb("Threads:");
              return Double.isNaN(os) ? t.getThreadCount() : os;
            })
        .description("Number of OS threads created. (JVM: threads of the process)")
        .register(registry);

    String heapUsed = "(JVM: heap used)";
    Gauge.builder("go_memstats_alloc_bytes", memory, m -> m.getHeapMemoryUsage().getUsed())
        .description("Number of bytes allocated in heap and currently in use. " + heapUsed)
        .register(registry);
    Gauge.builder("go_memstats_heap_alloc_bytes", memory, m -> m.getHeapMemoryUsage().getUsed())
        .description("Number of heap bytes allocated and currently in use. " + heapUsed)
        .register(registry);
    Gauge.builder("go_memstats_heap_inuse_bytes", memory, m -> m.getHeapMemoryUsage().getUsed())
        .description("Number of heap bytes that are in use. " + heapUsed)
        .register(registry);
    Gauge.builder("go_memstats_heap_sys_bytes", memory, m -> m.getHeapMemoryUsage().getCommitted())
        .description("Number of heap bytes obtained from system. (JVM: heap committed by the OS)")
        .register(registry);
    Gauge.builder(
            "go_memstats_sys_bytes",
            memory,
            m -> m.getHeapMemoryUsage().getCommitted() + m.getNonHeapMemoryUsage().getCommitted())
        .description(
            "Number of bytes obtained from system. (JVM: heap and non-heap memory committed)")
        .register(registry);
    double stackBytes = threadStackBytes();
    Gauge.builder("go_memstats_stack_inuse_bytes", threads, t -> t.getThreadCount() * stackBytes)
        .description(
            "Number of bytes in use by the stack allocator."
                + " (JVM: live Java threads times the thread stack size, an upper bound)")
        .register(registry);
    if (threads instanceof com.sun.management.ThreadMXBean sun
        && sun.isThreadAllocatedMemorySupported()
        && sun.isThreadAllocatedMemoryEnabled()) {
      FunctionCounter.builder(
              "go_memstats_alloc_bytes_total",
              sun,
              t -> {
                long total = t.getTotalThreadAllocatedBytes();
                return total < 0 ? Double.NaN : total;
              })
          .description(
              "Total number of bytes allocated, even if freed."
                  + " (JVM: heap bytes allocated by all threads since start)")
          .register(registry);
    }
  }

  /** {@code -Xss}: the VM option ThreadStackSize, in KiB. */
  private static double threadStackBytes() {
    try {
      HotSpotDiagnosticMXBean hotspot =
          ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
      double kib = Double.parseDouble(hotspot.getVMOption("ThreadStackSize").getValue());
      return kib > 0 ? kib * 1024 : DEFAULT_STACK_BYTES;
    } catch (RuntimeException e) {
      return DEFAULT_STACK_BYTES;
    }
  }
}

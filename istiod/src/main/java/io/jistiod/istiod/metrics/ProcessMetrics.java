package io.jistiod.istiod.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;

/**
 * The {@code process_*} metrics under the names Prometheus' Go client exports and Istio's
 * dashboards query ({@code process_cpu_seconds_total}, {@code process_resident_memory_bytes}, ...),
 * read from {@code /proc/self} at scrape time as that client reads them on Linux.
 *
 * <p>Elsewhere (no {@code /proc}) the JVM's own figures stand in where it has them: CPU time, start
 * time and file descriptors; the memory gauges are then not registered.
 */
public final class ProcessMetrics {
  /**
   * Clock ticks per second of {@code /proc/<pid>/stat} times; Linux fixes it at 100 for user space
   * (USER_HZ), and Prometheus' procfs reader assumes the same.
   */
  private static final double USER_HZ = 100;

  /**
   * Fields of {@code /proc/<pid>/stat} counted from the one after the command's ')' (= field 3).
   */
  private static final int UTIME = 14 - 3;

  private static final int STIME = 15 - 3;
  private static final int STARTTIME = 22 - 3;
  private static final int VSIZE = 23 - 3;

  /** What procfs reports for an "unlimited" limit: the largest unsigned 64-bit value. */
  static final double UNLIMITED = 18446744073709551615.0;

  private final Path self;
  private final Path stat;

  /**
   * @param proc the proc file system's root ({@code /proc}; a copy in tests)
   */
  ProcessMetrics(Path proc) {
    this.self = proc.resolve("self");
    this.stat = proc.resolve("stat");
  }

  /**
   * Registers the process metrics of this JVM's process. Micrometer holds a function counter's
   * object weakly: the caller keeps the returned reader for as long as the metrics are served.
   */
  public static ProcessMetrics register(MeterRegistry registry) {
    ProcessMetrics p = new ProcessMetrics(Path.of("/proc"));
    p.registerInto(registry);
    return p;
  }

  void registerInto(MeterRegistry registry) {
    if (Files.isReadable(self.resolve("stat"))) {
      registerProc(registry);
    } else {
      registerJvm(registry);
    }
  }

  private void registerProc(MeterRegistry registry) {
    FunctionCounter.builder(
            "process_cpu_seconds_total",
            this,
            p -> p.statField(UTIME, Double.NaN) / USER_HZ + p.statField(STIME, 0) / USER_HZ)
        .description("Total user and system CPU time spent in seconds.")
        .register(registry);
    gauge(
        registry,
        "process_virtual_memory_bytes",
        "Virtual memory size in bytes.",
        p -> p.statField(VSIZE, Double.NaN));
    gauge(
        registry,
        "process_resident_memory_bytes",
        "Resident memory size in bytes.",
        p -> p.statusKb("VmRSS:") * 1024);
    gauge(
        registry,
        "process_start_time_seconds",
        "Start time of the process since unix epoch in seconds.",
        ProcessMetrics::startTime);
    gauge(
        registry, "process_open_fds", "Number of open file descriptors.", ProcessMetrics::openFds);
    gauge(
        registry,
        "process_max_fds",
        "Maximum number of open file descriptors.",
        p -> p.limit("Max open files"));
    gauge(
        registry,
        "process_virtual_memory_max_bytes",
        "Maximum amount of virtual memory available in bytes.",
        p -> p.limit("Max address space"));
  }

  private static void registerJvm(MeterRegistry registry) {
    var os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      FunctionCounter.builder(
              "process_cpu_seconds_total", sun, b -> Math.max(0, b.getProcessCpuTime()) / 1e9)
          .description("Total user and system CPU time spent in seconds.")
          .register(registry);
    }
    Gauge.builder(
            "process_start_time_seconds",
            ManagementFactory.getRuntimeMXBean(),
            b -> b.getStartTime() / 1000.0)
        .description("Start time of the process since unix epoch in seconds.")
        .register(registry);
    if (os instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      Gauge.builder("process_open_fds", unix, b -> b.getOpenFileDescriptorCount())
          .description("Number of open file descriptors.")
          .register(registry);
      Gauge.builder("process_max_fds", unix, b -> b.getMaxFileDescriptorCount())
          .description("Maximum number of open file descriptors.")
          .register(registry);
    }
  }

  private void gauge(
      MeterRegistry registry, String name, String help, ToDoubleFunction<ProcessMetrics> f) {
    // Strong: nothing else holds this reader, and a gauge's object is weakly held by default.
    Gauge.builder(name, this, f).description(help).strongReference(true).register(registry);
  }

  /** A numeric field of {@code /proc/self/stat}, or {@code otherwise} if unreadable. */
  double statField(int index, double otherwise) {
    try {
      String s = Files.readString(self.resolve("stat"));
      // The command (field 2) is in parentheses and may hold spaces or ')': split after the last.
      String[] fields = s.substring(s.lastIndexOf(')') + 2).trim().split(" +");
      return Double.parseDouble(fields[index]);
    } catch (IOException | RuntimeException e) {
      return otherwise;
    }
  }

  /** A {@code kB} line of {@code /proc/self/status} ({@code VmRSS:}), in kB; NaN if absent. */
  double statusKb(String key) {
    try (Stream<String> lines = Files.lines(self.resolve("status"))) {
      return lines
          .filter(l -> l.startsWith(key))
          .findFirst()
          .map(l -> Double.parseDouble(l.substring(key.length()).trim().split("\\s+")[0]))
          .orElse(Double.NaN);
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  /** Boot time ({@code btime} of {@code /proc/stat}) plus the process' start in ticks. */
  double startTime() {
    try (Stream<String> lines = Files.lines(stat)) {
      double boot =
          lines
              .filter(l -> l.startsWith("btime "))
              .findFirst()
              .map(l -> Double.parseDouble(l.substring(6).trim()))
              .orElse(Double.NaN);
      return boot + statField(STARTTIME, Double.NaN) / USER_HZ;
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  double openFds() {
    try (Stream<Path> fds = Files.list(self.resolve("fd"))) {
      return fds.count();
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  /**
   * The soft limit of one row of {@code /proc/self/limits} ("Max open files"), {@link #UNLIMITED}
   * for "unlimited", NaN if absent.
   */
  double limit(String row) {
    try {
      List<String> lines = Files.readAllLines(self.resolve("limits"));
      for (String l : lines) {
        if (l.startsWith(row + " ")) {
          String soft = l.substring(row.length()).trim().split("\\s+")[0];
          return soft.equals("unlimited") ? UNLIMITED : Double.parseDouble(soft);
        }
      }
      return Double.NaN;
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }
}

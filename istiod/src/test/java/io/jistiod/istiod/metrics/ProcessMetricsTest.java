package io.jistiod.istiod.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The process metrics read a /proc laid out as Linux lays it out (a copy under a temp folder). */
class ProcessMetricsTest {
  @TempDir Path proc;

  @Test
  void readsProcAsPrometheusGoClientDoes() throws IOException {
    Path self = Files.createDirectories(proc.resolve("self"));
    // The command holds ") " to prove fields are counted from the last ')'.
    Files.writeString(
        self.resolve("stat"),
        "4242 (java ) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 "
            + "1234 566 0 0 20 0 40 0 250000 5368709120 3000 18446744073709551615 0 0 0\n");
    Files.writeString(
        self.resolve("status"),
        "Name:\tjava\nVmSize:\t 5242880 kB\nVmRSS:\t  12000 kB\nThreads:\t40\n");
    Files.writeString(
        self.resolve("limits"),
        "Limit                     Soft Limit           Hard Limit           Units     \n"
            + "Max open files            1048576              1048576              files     \n"
            + "Max address space         unlimited            unlimited            bytes     \n");
    Path fd = Files.createDirectories(self.resolve("fd"));
    for (int i = 0; i < 5; i++) {
      Files.createFile(fd.resolve(Integer.toString(i)));
    }
    Files.writeString(proc.resolve("stat"), "cpu  1 2 3\nbtime 1700000000\nprocesses 9\n");

    MeterRegistry registry = RuntimeMetrics.newRegistry();
    ProcessMetrics metrics = new ProcessMetrics(proc);
    metrics.registerInto(registry);
    String page = PrometheusTextWriter.write(registry);

    assertThat(page)
        .contains("# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 18\n")
        .contains("process_virtual_memory_bytes 5368709120\n")
        .contains("process_resident_memory_bytes 12288000\n")
        .contains("process_start_time_seconds 1700002500\n")
        .contains("process_open_fds 5\n")
        .contains("process_max_fds 1048576\n")
        .contains("process_virtual_memory_max_bytes 1.8446744073709552E19\n");
    assertThat(metrics).isNotNull(); // held until here: the counter's object is weakly referenced
  }

  @Test
  void unreadableFilesReadAsNaNAndTheCounterIsLeftOut() throws IOException {
    Path self = Files.createDirectories(proc.resolve("self"));
    Files.writeString(self.resolve("stat"), "garbage");

    MeterRegistry registry = RuntimeMetrics.newRegistry();
    new ProcessMetrics(proc).registerInto(registry);
    String page = PrometheusTextWriter.write(registry);

    assertThat(page)
        .doesNotContain("process_cpu_seconds_total ")
        .contains("process_resident_memory_bytes NaN\n")
        .contains("process_open_fds NaN\n")
        .contains("process_max_fds NaN\n");
  }
}

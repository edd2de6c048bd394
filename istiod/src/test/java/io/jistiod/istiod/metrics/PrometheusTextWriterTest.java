package io.jistiod.istiod.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class PrometheusTextWriterTest {
  private final MockClock clock = new MockClock();
  private final MeterRegistry registry = RuntimeMetrics.newRegistry(clock);

  private static final Pattern SAMPLE =
      Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{.*\\})? (\\S+)$", Pattern.MULTILINE);

  @Test
  void timerWithIstioBucketsIsOneHistogramWithoutMicrometersDottedGauges() {
    Timer t =
        Timer.builder("pilot_proxy_convergence_time")
            .description("Delay in seconds.")
            .serviceLevelObjectives(
                Duration.ofMillis(100), Duration.ofMillis(500), Duration.ofSeconds(1))
            .register(registry);
    t.record(Duration.ofMillis(50));
    t.record(Duration.ofMillis(700));
    t.record(Duration.ofSeconds(2));

    String page = PrometheusTextWriter.write(registry);

    assertThat(page).doesNotContain(".histogram").doesNotContain(".percentile");
    assertThat(page)
        .isEqualTo(
            "# HELP pilot_proxy_convergence_time Delay in seconds.\n"
                + "# TYPE pilot_proxy_convergence_time histogram\n"
                + "pilot_proxy_convergence_time_bucket{le=\"0.1\"} 1\n"
                + "pilot_proxy_convergence_time_bucket{le=\"0.5\"} 1\n"
                + "pilot_proxy_convergence_time_bucket{le=\"1\"} 2\n"
                + "pilot_proxy_convergence_time_bucket{le=\"+Inf\"} 3\n"
                + "pilot_proxy_convergence_time_sum 2.75\n"
                + "pilot_proxy_convergence_time_count 3\n");
  }

  @Test
  void histogramBucketsCountSinceStartLikeCountAndSum() {
    DistributionSummary s =
        DistributionSummary.builder("pilot_xds_config_size_bytes")
            .serviceLevelObjectives(1, 10000, 1000000)
            .tag("type", "cds")
            .register(registry);
    s.record(5000);
    clock.add(10, TimeUnit.MINUTES); // Micrometer's default window would have expired by now
    s.record(20);

    assertThat(PrometheusTextWriter.write(registry))
        .contains("pilot_xds_config_size_bytes_bucket{type=\"cds\",le=\"10000\"} 2\n")
        .contains("pilot_xds_config_size_bytes_bucket{type=\"cds\",le=\"1e+06\"} 2\n")
        .contains("pilot_xds_config_size_bytes_bucket{type=\"cds\",le=\"+Inf\"} 2\n")
        .contains("pilot_xds_config_size_bytes_count{type=\"cds\"} 2\n");
  }

  @Test
  void bucketBoundsAreWrittenAsGoWritesThem() {
    assertThat(PrometheusNames.goFloat(0.01)).isEqualTo("0.01");
    assertThat(PrometheusNames.goFloat(0.0001)).isEqualTo("0.0001");
    assertThat(PrometheusNames.goFloat(0.00001)).isEqualTo("1e-05");
    assertThat(PrometheusNames.goFloat(3)).isEqualTo("3");
    assertThat(PrometheusNames.goFloat(10000)).isEqualTo("10000");
    assertThat(PrometheusNames.goFloat(100000)).isEqualTo("100000");
    assertThat(PrometheusNames.goFloat(1000000)).isEqualTo("1e+06");
    assertThat(PrometheusNames.goFloat(40000000)).isEqualTo("4e+07");
    assertThat(PrometheusNames.goFloat(1234567)).isEqualTo("1.234567e+06");
    assertThat(PrometheusNames.goFloat(-2.5)).isEqualTo("-2.5");
    assertThat(PrometheusNames.goFloat(1e300)).isEqualTo("1e+300");
  }

  @Test
  void labelValuesAndHelpAreEscaped() {
    Gauge.builder("g", () -> 1)
        .description("a \\ back\nslash")
        .tag("v", "quote \" back \\ new\nline")
        .register(registry);

    assertThat(PrometheusTextWriter.write(registry))
        .isEqualTo(
            "# HELP g a \\\\ back\\nslash\n"
                + "# TYPE g gauge\n"
                + "g{v=\"quote \\\" back \\\\ new\\nline\"} 1\n");
  }

  @Test
  void micrometerNamesGetPrometheusNamesAndLabelNamesAreMadeLegal() {
    Counter.builder("jvm.gc.memory.allocated").baseUnit("bytes").register(registry).increment(5);
    Gauge.builder("jvm.threads.live", () -> 7).baseUnit("threads").register(registry);
    Timer.builder("jvm.gc.pause")
        .tag("gc.cause", "x")
        .register(registry)
        .record(2, TimeUnit.SECONDS);
    Gauge.builder("odd-name", () -> 1)
        .tag("a.b", "1")
        .tag("9lives", "2")
        .tag("__reserved", "3")
        .register(registry);

    String page = PrometheusTextWriter.write(registry);

    assertThat(page)
        .contains("# TYPE jvm_gc_memory_allocated_bytes_total counter\n")
        .contains("jvm_gc_memory_allocated_bytes_total 5\n")
        .contains("jvm_threads_live_threads 7\n")
        .contains("# TYPE jvm_gc_pause_seconds summary\n")
        .contains("jvm_gc_pause_seconds_sum{gc_cause=\"x\"} 2\n")
        .contains("jvm_gc_pause_seconds_count{gc_cause=\"x\"} 1\n")
        .contains("jvm_gc_pause_seconds_max{gc_cause=\"x\"} 2\n")
        .contains("odd_name{_9lives=\"2\",_reserved=\"3\",a_b=\"1\"} 1\n");
    assertLegal(page);
  }

  @Test
  void istioNamesAreKeptExactly() {
    Counter.builder("pilot_xds_pushes").tag("type", "cds").register(registry).increment();

    assertThat(PrometheusTextWriter.write(registry))
        .isEqualTo("# TYPE pilot_xds_pushes counter\npilot_xds_pushes{type=\"cds\"} 1\n");
  }

  @Test
  void oneTypePerFamilyAndNoRepeatedSeries() {
    Counter.builder("x").tag("a", "1").register(registry).increment();
    Gauge.builder("x", () -> 2).tag("a", "2").register(registry); // another type: left out
    Gauge.builder("y.z", () -> 3).register(registry);
    Gauge.builder("y_z", () -> 4).register(registry); // the same series once "y.z" is made legal

    String page = PrometheusTextWriter.write(registry);

    assertThat(page).containsOnlyOnce("# TYPE x counter").doesNotContain("x{a=\"2\"}");
    assertThat(page).containsOnlyOnce("# TYPE y_z gauge");
    assertThat(page).containsPattern("\ny_z [34]\n");
    assertThat(countMatches(page, "\ny_z ")).isEqualTo(1);
  }

  @Test
  void familiesAreWrittenWholeAndSorted() {
    Counter.builder("b").tag("k", "2").register(registry).increment();
    Counter.builder("a").register(registry).increment();
    Counter.builder("b").tag("k", "1").register(registry).increment();

    assertThat(PrometheusTextWriter.write(registry))
        .isEqualTo("# TYPE a counter\na 1\n" + "# TYPE b counter\nb{k=\"1\"} 1\nb{k=\"2\"} 1\n");
  }

  @Test
  void familyNamedLikeAHistogramsSeriesIsLeftOut() {
    Timer.builder("h")
        .serviceLevelObjectives(Duration.ofSeconds(1))
        .register(registry)
        .record(Duration.ZERO);
    Gauge.builder("h_count", () -> 42).register(registry);
    Gauge.builder("h_bucket", () -> 42).register(registry);

    String page = PrometheusTextWriter.write(registry);

    assertThat(page).doesNotContain("42").doesNotContain("TYPE h_count");
    assertThat(page).contains("h_count 1\n");
  }

  @Test
  void aTagNamedLeOnAHistogramIsRenamed() {
    Timer.builder("h")
        .tag("le", "mine")
        .serviceLevelObjectives(Duration.ofSeconds(1))
        .register(registry)
        .record(Duration.ZERO);

    assertThat(PrometheusTextWriter.write(registry))
        .contains("h_bucket{exported_le=\"mine\",le=\"1\"} 1\n")
        .contains("h_count{exported_le=\"mine\"} 1\n");
  }

  @Test
  void unreadableMetersAreLeftOutAndThePageStillWritten() {
    Object gone = null;
    FunctionCounter.builder("collected", new Object(), o -> Double.NaN).register(registry);
    FunctionCounter.builder(
            "throws",
            this,
            o -> {
              throw new IllegalStateException("boom");
            })
        .register(registry);
    Gauge.builder("nan", () -> Double.NaN).register(registry);
    Counter.builder("ok").register(registry);

    String page = PrometheusTextWriter.write(registry);

    assertThat(page).doesNotContain("collected").doesNotContain("throws");
    assertThat(page).contains("nan NaN\n").contains("ok 0\n");
    assertThat(gone).isNull();
  }

  @Test
  void runtimeMetricsArePresentUnderPrometheusNames() {
    try (RuntimeMetrics ignored = RuntimeMetrics.register(registry, "1.27.0")) {
      String page = PrometheusTextWriter.write(registry);
      assertThat(page)
          .contains("istio_build{component=\"pilot\",tag=\"1.27.0\"} 1\n")
          .contains("# TYPE process_cpu_seconds_total counter\n")
          .contains("process_resident_memory_bytes ")
          .contains("process_virtual_memory_bytes ")
          .contains("process_start_time_seconds ")
          .contains("process_open_fds ")
          .contains("process_max_fds ")
          .contains("go_goroutines ")
          .contains("go_threads ")
          .contains("go_memstats_heap_alloc_bytes ")
          .contains("go_memstats_heap_inuse_bytes ")
          .contains("go_memstats_heap_sys_bytes ")
          .contains("go_memstats_alloc_bytes ")
          .contains("# TYPE go_memstats_alloc_bytes_total counter\n")
          .contains("go_memstats_stack_inuse_bytes ")
          .contains("jvm_memory_used_bytes{area=\"heap\"")
          .contains("jvm_threads_live_threads ")
          .contains("jvm_classes_loaded_classes ")
          .contains("jvm_info{");
      assertThat(value(page, "go_goroutines")).isGreaterThan(1);
      assertThat(value(page, "go_memstats_heap_alloc_bytes")).isGreaterThan(0);
      assertThat(value(page, "process_open_fds")).isGreaterThan(0);
      assertThat(value(page, "process_resident_memory_bytes")).isGreaterThan(1 << 20);
      assertThat(value(page, "process_start_time_seconds"))
          .isBetween(
              System.currentTimeMillis() / 1000.0 - 86400, System.currentTimeMillis() / 1000.0);
      assertLegal(page);
    }
  }

  /** Every line is a HELP, a TYPE or a sample with a legal name; TYPE once per family. */
  private static void assertLegal(String page) {
    List<String> types = new ArrayList<>();
    for (String line : page.split("\n")) {
      if (line.startsWith("# TYPE ")) {
        String name = line.split(" ")[2];
        assertThat(types).doesNotContain(name);
        types.add(name);
      } else if (!line.startsWith("# HELP ")) {
        assertThat(line).matches(SAMPLE);
      }
    }
  }

  private static double value(String page, String name) {
    Matcher m = Pattern.compile("^" + name + " (\\S+)$", Pattern.MULTILINE).matcher(page);
    assertThat(m.find()).as(name).isTrue();
    return Double.parseDouble(m.group(1));
  }

  private static int countMatches(String s, String part) {
    int n = 0;
    for (int i = s.indexOf(part); i >= 0; i = s.indexOf(part, i + 1)) {
      n++;
    }
    return n;
  }
}

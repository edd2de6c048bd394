package io.jistiod.it.load;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.jistiod.it.support.FreePorts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The control-plane load harness: istiod (standalone, its own process) serving S services to P
 * simulated proxies on raw ADS streams; then one VirtualService change and one endpoint change,
 * each timed from the file write until every proxy has received (and ACKed) the new config. It
 * reports convergence p50/p99/max, istiod's CPU seconds and peak RSS, and bytes sent.
 *
 * <p>Run with {@code integration-tests/load/run.sh [SERVICES] [PROXIES]}. Traffic stays on
 * 127.0.0.1.
 */
public final class LoadHarness {
  private static final int PORT = 8080;
  private static final String NS = "load";

  public static void main(String[] args) throws Exception {
    int services = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int proxies = args.length > 1 ? Integer.parseInt(args[1]) : 500;
    Path dir = Files.createTempDirectory("jistiod-load");
    writeMesh(dir, services);
    writeVirtualService(dir, 90);
    int xds = FreePorts.loopback();
    Process istiod = startIstiod(dir, xds);
    long pid = istiod.pid();
    try {
      run(dir, services, proxies, xds, pid);
    } finally {
      istiod.destroy();
      istiod.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static void run(Path dir, int services, int proxies, int xds, long pid) throws Exception {
    List<ManagedChannel> channels = new ArrayList<>();
    for (int i = 0; i < Math.max(1, proxies / 50); i++) {
      channels.add(NettyChannelBuilder.forAddress("127.0.0.1", xds).usePlaintext().build());
    }
    AtomicLong bytes = new AtomicLong();
    Random random = new Random(42);
    List<SimulatedProxy> all = new ArrayList<>();
    long cpuBefore = cpuNanos(pid);
    long connectStart = System.nanoTime();
    for (int i = 0; i < proxies; i++) {
      boolean proxyless = i % 2 == 0;
      SimulatedProxy p = new SimulatedProxy(i, proxyless, channels.get(i % channels.size()), bytes);
      List<String> hosts = new ArrayList<>();
      hosts.add(host(0)); // every proxy watches the service that will change
      for (int k = 0; k < 9; k++) {
        hosts.add(host(1 + random.nextInt(services - 1)));
      }
      p.start(hosts, PORT);
      all.add(p);
    }
    waitUntil(() -> all.stream().allMatch(SimulatedProxy::hasAll), 300, "initial config");
    double initialSeconds = (System.nanoTime() - connectStart) / 1e9;
    long initialBytes = bytes.get();
    Thread.sleep(2000); // let ACKs settle

    // 1. A VirtualService change (route weights of service 0).
    long t0 = System.nanoTime();
    writeVirtualService(dir, 50);
    List<Double> vs = convergence(all, "rds", t0, proxies / 2);
    Thread.sleep(2000);

    // 2. An endpoint change (a new endpoint address for service 0).
    long t1 = System.nanoTime();
    rewriteEndpoints(dir, services);
    List<Double> eds = convergence(all, "eds", t1, proxies);
    long cpu = cpuNanos(pid) - cpuBefore;

    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "services=%d proxies=%d (half proxyless gRPC, half EDS-only sidecar streams)%n",
            services,
            proxies));
    out.append(
        String.format(
            Locale.ROOT,
            "initial: all proxies configured in %.2f s, %.1f MiB sent%n",
            initialSeconds,
            initialBytes / 1048576.0));
    out.append(stats("VirtualService change -> all proxyless proxies have new routes", vs));
    out.append(stats("endpoint change -> all proxies have new endpoints", eds));
    out.append(
        String.format(
            Locale.ROOT,
            "istiod CPU: %.1f s over the run; peak RSS %d MiB; bytes sent %.1f MiB%n",
            cpu / 1e9,
            peakRssKib(pid) / 1024,
            bytes.get() / 1048576.0));
    System.out.print(out);
    for (SimulatedProxy p : all) {
      p.close();
    }
    channels.forEach(ManagedChannel::shutdownNow);
  }

  private static List<Double> convergence(
      List<SimulatedProxy> all, String type, long t0, int expected) throws InterruptedException {
    waitUntil(
        () -> all.stream().filter(p -> after(p.lastResponse(type), t0)).count() >= expected,
        120,
        type + " change");
    List<Double> ms = new ArrayList<>();
    for (SimulatedProxy p : all) {
      Long t = p.lastResponse(type);
      if (after(t, t0)) {
        ms.add((t - t0) / 1e6);
      }
    }
    Collections.sort(ms);
    return ms;
  }

  private static boolean after(Long t, long t0) {
    return t != null && t > t0;
  }

  private static String stats(String what, List<Double> ms) {
    return String.format(
        Locale.ROOT,
        "%s: n=%d p50=%.0f ms p99=%.0f ms max=%.0f ms%n",
        what,
        ms.size(),
        ms.get(ms.size() / 2),
        ms.get(Math.min(ms.size() - 1, (int) Math.ceil(ms.size() * 0.99) - 1)),
        ms.get(ms.size() - 1));
  }

  interface Check {
    boolean ok();
  }

  private static void waitUntil(Check c, int seconds, String what) throws InterruptedException {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    while (!c.ok()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out after " + seconds + " s waiting for " + what);
      }
      Thread.sleep(10);
    }
  }

  private static String host(int i) {
    return "svc-" + i + "." + NS + ".svc.cluster.local";
  }

  private static void writeMesh(Path dir, int services) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < services; i++) {
      sb.append(serviceEntry(i, "10.1")).append("---\n");
    }
    Files.writeString(dir.resolve("services.yaml"), sb.toString());
  }

  private static String serviceEntry(int i, String prefix) {
    int a = i / 250;
    int b = i % 250;
    return """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: svc-%1$d, namespace: load}
        spec:
          hosts: [%2$s]
          resolution: STATIC
          ports: [{name: grpc, number: %3$d, protocol: GRPC}]
          endpoints:
          - {address: %4$s.%5$d.%6$d, labels: {version: v1}}
          - {address: 10.2.%5$d.%6$d, labels: {version: v1}}
          - {address: 10.3.%5$d.%6$d, labels: {version: v2}}
        """
        .formatted(i, host(i), PORT, prefix, a, b);
  }

  private static void rewriteEndpoints(Path dir, int services) throws IOException {
    // Only service 0 changes; it lives in its own file so the rewrite is small.
    Files.writeString(
        dir.resolve("services.yaml"),
        Files.readString(dir.resolve("services.yaml"))
            .replaceFirst("address: 10\\.1\\.0\\.0,", "address: 10.9.0.0,"));
  }

  private static void writeVirtualService(Path dir, int v1Weight) throws IOException {
    String vs =
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: svc-0, namespace: load}
        spec:
          hosts: [%s]
          http:
          - route:
            - {destination: {host: %s, subset: v1}, weight: %d}
            - {destination: {host: %s, subset: v2}, weight: %d}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: svc-0, namespace: load}
        spec:
          host: %s
          subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
        """
            .formatted(host(0), host(0), v1Weight, host(0), 100 - v1Weight, host(0));
    Path tmp = dir.resolve(".vs.tmp");
    Files.writeString(tmp, vs);
    Files.move(
        tmp,
        dir.resolve("vs.yaml"),
        StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);
  }

  private static Process startIstiod(Path dir, int xds) throws IOException, InterruptedException {
    Path log = dir.getParent().resolve(dir.getFileName() + "-istiod.log");
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx2g",
                "-cp",
                System.getProperty("java.class.path"),
                "io.jistiod.istiod.Main",
                "discovery",
                "--configDir",
                dir.toString(),
                "--grpcAddr",
                "127.0.0.1:" + xds,
                "--httpAddr",
                "127.0.0.1:0",
                "--monitoringAddr",
                "127.0.0.1:0")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    waitUntil(
        () -> {
          if (!p.isAlive()) {
            throw new IllegalStateException("istiod exited; see " + log);
          }
          try {
            return Files.readString(log, StandardCharsets.UTF_8).contains("serving: xDS");
          } catch (IOException e) {
            return false;
          }
        },
        120,
        "istiod to start (log: " + log + ")");
    return p;
  }

  /** utime + stime of a process from /proc, in nanoseconds (clock ticks of 10 ms). */
  private static long cpuNanos(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
    return ticks * 10_000_000L;
  }

  private static long peakRssKib(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }
}

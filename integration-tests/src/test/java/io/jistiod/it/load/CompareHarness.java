package io.jistiod.it.load;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.jistiod.it.support.Rig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code integration-tests/load/compare.sh SERVICES PROXIES[,PROXIES...]}: the same inputs on the
 * rig, the same simulated proxies and the same changes, first against Istio's pilot-discovery 1.27
 * and then against our istiod (never both at once), and per figure ours, the reference's and the
 * ratio. Its last line is {@code ratio convergence_p99=X rss=Y cpu=Z} (of the last PROXIES).
 *
 * <p>Environment: LOAD_CONNECT_RATE (streams opened per second; default {@link
 * #defaultConnectRate}), LOAD_CHANGE_TIMEOUT (seconds; default {@link #defaultChangeTimeout}),
 * LOAD_RESULTS (a TSV the figures are appended to, for {@link ConvergenceChart}), JAVA_OPTS (passed
 * to bin/istiod), PILOT_DEBOUNCE_AFTER (both servers; default 100ms), LOAD_MAX_SERVER_RSS_MIB (a
 * server above it is stopped and the run fails; default {@link #defaultMaxServerRssMib}). Progress
 * goes to stderr, figures to stdout.
 */
public final class CompareHarness {
  private static final String CHANGE_TIMEOUT_ENV = System.getenv("LOAD_CHANGE_TIMEOUT");
  private static final String CONNECT_RATE_ENV = System.getenv("LOAD_CONNECT_RATE");
  // A server past this resident size is stopped before the kernel's OOM killer picks a process of
  // whoever else shares the machine (pilot-discovery reached 22 GiB at 5000 services x 500 when
  // its proxies connected at 20/s).
  private static final long MAX_SERVER_RSS_KIB =
      Long.parseLong(
              System.getenv()
                  .getOrDefault(
                      "LOAD_MAX_SERVER_RSS_MIB",
                      String.valueOf(defaultMaxServerRssMib(ProcStat.memTotalKib()))))
          * 1024;

  // LOAD_ONLY=ours or reference: measure that server alone (no comparison, no ratio line)
  private static final String ONLY = only(System.getenv("LOAD_ONLY"));

  private final Rig rig;
  private final LoadInputs inputs;
  private final Path root;
  private final Path mesh;
  private final Path oursKubeconfig;
  private final String oursNamespace;
  private final Map<String, String> env = new HashMap<>();
  private final double connectRate;
  private final double changeTimeoutS;

  /**
   * Streams opened per second when LOAD_CONNECT_RATE is not set: 20 up to 1000 services (the
   * reference's own limit on 2 cores is 25/s); beyond, 10 000 per service (2/s at 5000). A proxy's
   * first configuration grows with the services (20-40 MiB each at 5000), and the simulated proxies
   * read it on the same two cores: at 20/s pilot-discovery held the responses of every proxy that
   * had connected at once and passed 22 GiB before any was configured.
   */
  static double defaultConnectRate(int services) {
    return services <= 1000 ? 20 : 10_000.0 / services;
  }

  /**
   * How long a change may take to converge when LOAD_CHANGE_TIMEOUT is not set: 120 s, growing past
   * 2000 services (300 s at 5000, where the reference took 80-127 s per change). A proxy that has
   * not converged counts as the timeout, so a timeout below the reference's real time would flatter
   * the ratio.
   */
  static double defaultChangeTimeout(int services) {
    return 120 * Math.max(1.0, services / 2000.0);
  }

  /**
   * The resident size past which a server is stopped, when LOAD_MAX_SERVER_RSS_MIB is not set: half
   * the machine's memory, at least 8 GiB (the reference peaked near 10 GiB at 5000 x 500).
   */
  static long defaultMaxServerRssMib(long memTotalKib) {
    return Math.max(8192, memTotalKib / 1024 / 2);
  }

  private CompareHarness(
      Rig rig, LoadInputs inputs, Path root, Path mesh, Path oursKubeconfig, String oursNamespace) {
    this.rig = rig;
    this.inputs = inputs;
    this.root = root;
    this.mesh = mesh;
    this.oursKubeconfig = oursKubeconfig;
    this.oursNamespace = oursNamespace;
    this.connectRate =
        CONNECT_RATE_ENV == null || CONNECT_RATE_ENV.isBlank()
            ? defaultConnectRate(inputs.services)
            : Double.parseDouble(CONNECT_RATE_ENV);
    this.changeTimeoutS =
        CHANGE_TIMEOUT_ENV == null || CHANGE_TIMEOUT_ENV.isBlank()
            ? defaultChangeTimeout(inputs.services)
            : Double.parseDouble(CHANGE_TIMEOUT_ENV);
    log(
        "proxies connect at %.1f/s; a change may take %.0f s; a server past %d MiB is stopped",
        connectRate, changeTimeoutS, MAX_SERVER_RSS_KIB / 1024);
    env.put("PILOT_DEBOUNCE_AFTER", System.getenv().getOrDefault("PILOT_DEBOUNCE_AFTER", "100ms"));
    env.put("ENABLE_CA_SERVER", "false");
    env.put("VALIDATION_WEBHOOK_CONFIG_NAME", "");
    env.put("INJECTION_WEBHOOK_CONFIG_NAME", "");
    env.put("PILOT_ENABLE_GATEWAY_API", "false");
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: compare.sh SERVICES PROXIES[,PROXIES...]");
      System.exit(2);
    }
    int services = Integer.parseInt(args[0]);
    List<Integer> proxyCounts = new ArrayList<>();
    for (String p : args[1].split(",")) {
      proxyCounts.add(Integer.parseInt(p.trim()));
    }
    Path module = Rig.MODULE; // integration-tests/
    Path root = module.getParent();
    Rig rig = Rig.at(ServerProcess.rigDir().resolve("kubeconfig"));
    String run = String.format(Locale.ROOT, "ld%04x", new Random().nextInt(0x10000));
    LoadInputs inputs = new LoadInputs(run, services);
    log(
        "run %s: %d services in %d namespaces; proxies %s; load average %s",
        run, services, inputs.namespaces, proxyCounts, ProcStat.loadAverage());
    Path work = Files.createTempDirectory("jistiod-compare");
    Path meshIn = work.resolve("mesh-input.yaml");
    Files.writeString(
        meshIn,
        "# the same MeshConfig for both; the reference script adds "
            + "rootNamespace and discoverySelectors\n");
    String oursNs = run + "-istiod";
    // A run stopped by a signal (Ctrl-C, kill) skips the finally below: without this its thousands
    // of objects stay on the shared rig, and every later e2e test's proxies see them (the gRPC
    // clients' config grew past their 4 MiB message limit), and its istiod keeps running.
    java.util.concurrent.atomic.AtomicBoolean cleaned =
        new java.util.concurrent.atomic.AtomicBoolean();
    Runnable cleanupOnce =
        () -> {
          if (cleaned.compareAndSet(false, true)) {
            ProcessHandle.current().descendants().forEach(ProcessHandle::destroy);
            cleanup(rig, inputs, oursNs);
          }
        };
    Thread onKill = new Thread(cleanupOnce, "compare-cleanup");
    Runtime.getRuntime().addShutdownHook(onKill);
    try {
      ensureCrds(rig, root);
      long t0 = System.nanoTime();
      InputWriter.applyAll(rig, inputs.namespaceDocs());
      InputWriter.applyAll(rig, inputs.baseDocs());
      log("inputs applied in %.1f s", (System.nanoTime() - t0) / 1e9);
      rig.kubectl("create", "namespace", oursNs);
      Path kubeconfig = rig.istiodKubeconfig(oursNs);
      CompareHarness h = new CompareHarness(rig, inputs, root, meshIn, kubeconfig, oursNs);
      List<String> blocks = new ArrayList<>();
      for (int proxies : proxyCounts) {
        String load = ProcStat.loadAverage();
        if (ONLY != null) {
          // one server alone, to profile or iterate on it: no ratio, nothing appended to the TSV
          if (ONLY.equals(ServerProcess.OURS)) {
            // ours reads the MeshConfig the reference's script writes (rootNamespace and the run's
            // discoverySelectors): start and stop the reference once so that file is this run's
            ServerProcess.reference(Rig.MODULE, meshIn, inputs.run, h.env).close();
          }
          ServerFigures alone = h.measure(ONLY, proxies);
          System.out.printf(
              Locale.ROOT,
              "== %s alone: %d services, %d proxies; load average before %s, after %s%n"
                  + "resources per proxy: %s%n%s%n",
              ONLY,
              services,
              proxies,
              load,
              ProcStat.loadAverage(),
              alone.counts(),
              CompareReport.single(alone));
          continue;
        }
        ServerFigures ref = h.measure(ServerProcess.REFERENCE, proxies);
        ServerFigures ours = h.measure(ServerProcess.OURS, proxies);
        String block =
            String.format(
                    Locale.ROOT,
                    "== %d services, %d proxies (half Envoy delta ADS, half proxyless gRPC); "
                        + "load average before %s, after %s; JAVA_OPTS=%s%n",
                    services,
                    proxies,
                    load,
                    ProcStat.loadAverage(),
                    System.getenv().getOrDefault("JAVA_OPTS", "(bin/istiod's)"))
                + countsBlock(ours, ref)
                + CompareReport.table(ours, ref)
                + CompareReport.ratioLine(ours, ref)
                + "\n";
        System.out.print(block);
        System.out.flush();
        blocks.add(block);
        appendResults(services, proxies, load, ref, ours);
      }
    } finally {
      cleanupOnce.run();
      try {
        Runtime.getRuntime().removeShutdownHook(onKill);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running or has run: nothing left to remove
      }
      rig.close();
    }
  }

  private static String only(String value) {
    if (value == null || value.isEmpty()) {
      return null;
    }
    if (!value.equals(ServerProcess.OURS) && !value.equals(ServerProcess.REFERENCE)) {
      throw new IllegalArgumentException(
          "LOAD_ONLY must be " + ServerProcess.OURS + " or " + ServerProcess.REFERENCE);
    }
    return value;
  }

  private static String countsBlock(ServerFigures ours, ServerFigures ref) {
    StringBuilder sb = new StringBuilder();
    for (String kind : ref.counts().keySet()) {
      String o = ours.counts().get(kind);
      String r = ref.counts().get(kind);
      sb.append(
          String.format(
              Locale.ROOT,
              "resources per %s: ours %s | reference %s%s%n",
              kind,
              o,
              r,
              r.equals(o) ? "" : "  <-- MISMATCH: the servers did not serve the same load"));
    }
    return sb.toString();
  }

  /** One server: start, connect every proxy, each change in turn; stopped and inputs restored. */
  private ServerFigures measure(String kind, int proxyCount) throws Exception {
    log("%s: starting", kind);
    ByteCounts bytes = new ByteCounts();
    ExecutorService callbacks = Executors.newFixedThreadPool(4, daemon("xds-client"));
    ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(daemon("retry"));
    ServerProcess server =
        kind.equals(ServerProcess.REFERENCE)
            ? ServerProcess.reference(Rig.MODULE, mesh, inputs.run, env)
            : ServerProcess.ours(
                root, oursKubeconfig, ServerProcess.referenceMeshFile(), oursNamespace, env);
    List<ManagedChannel> channels = new ArrayList<>();
    List<LoadProxy> proxies = new ArrayList<>();
    Map<String, Double> cpu = new LinkedHashMap<>();
    Map<String, Convergence> changes = new LinkedHashMap<>();
    try {
      double readyS = (server.readyNanos - server.startNanos) / 1e9;
      double cpuMark = ProcStat.cpuSeconds(server.pid);
      cpu.put("start to ready", cpuMark);
      log("%s: ready in %.2f s (pid %d)", kind, readyS, server.pid);
      for (int i = 0; i < Math.max(1, proxyCount / 50); i++) {
        channels.add(
            NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort)
                .usePlaintext()
                .executor(callbacks)
                .maxInboundMessageSize(512 << 20)
                .build());
      }
      long connectStart = System.nanoTime();
      for (int i = 0; i < proxyCount; i++) {
        LoadProxy p = proxy(i, bytes, retries);
        proxies.add(p);
        long due = connectStart + (long) (i * 1e9 / connectRate);
        long wait = due - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
        p.connect(channels.get(i % channels.size()));
      }
      double allowed = 300;
      long deadline = System.nanoTime() + (long) (allowed * 1e9);
      while (!proxies.stream().allMatch(LoadProxy::configured) && System.nanoTime() < deadline) {
        guard(server);
        Thread.sleep(20);
      }
      long configured = proxies.stream().filter(LoadProxy::configured).count();
      long last = proxies.stream().mapToLong(LoadProxy::configuredAtNanos).max().orElse(0);
      double configuredS = (last - server.startNanos) / 1e9;
      int reconnects = proxies.stream().mapToInt(p -> p.reconnects).sum();
      log(
          "%s: %d/%d proxies configured %.2f s after start (connect took %.1f s; %d reconnects)",
          kind,
          configured,
          proxyCount,
          configuredS,
          (System.nanoTime() - connectStart) / 1e9,
          reconnects);
      proxies.stream()
          .filter(p -> p.lastError != null)
          .map(p -> String.valueOf(p.lastError))
          .distinct()
          .limit(3)
          .forEach(e -> log("%s: a stream failed: %s", kind, e));
      long bytesInitial = bytes.total();
      log("%s: initial config received: %s", kind, ByteCounts.since(Map.of(), bytes.snapshot()));
      cpuMark = mark(cpu, "connect + initial config", server.pid, cpuMark);
      Map<String, String> counts = counts(proxies, configured, proxyCount);
      Thread.sleep(2000);
      cpuMark = ProcStat.cpuSeconds(server.pid);
      for (Change c : changes()) {
        Map<String, Long> bytesBefore = bytes.snapshot();
        changes.put(c.name, converge(server, c, proxies));
        cpuMark = mark(cpu, c.name, server.pid, cpuMark);
        Thread.sleep(1000);
        log("%s: %s: received %s", kind, c.name, ByteCounts.since(bytesBefore, bytes.snapshot()));
        cpuMark = ProcStat.cpuSeconds(server.pid);
      }
      double cpuTotal = ProcStat.cpuSeconds(server.pid);
      long hwm = ProcStat.peakRssKib(server.pid);
      return new ServerFigures(
          kind,
          readyS,
          configuredS,
          cpuTotal,
          cpu,
          hwm,
          bytes.total(),
          bytesInitial,
          changes,
          counts);
    } finally {
      proxies.forEach(LoadProxy::close);
      channels.forEach(ManagedChannel::shutdownNow);
      server.close();
      callbacks.shutdownNow();
      retries.shutdownNow();
      log("%s: stopped (log %s); restoring the inputs", kind, server.log);
      for (Change c : changes()) {
        c.revert.run();
      }
    }
  }

  private static double mark(Map<String, Double> cpu, String phase, long pid, double before)
      throws IOException {
    double now = ProcStat.cpuSeconds(pid);
    cpu.put(phase, now - before);
    return now;
  }

  private LoadProxy proxy(int i, ByteCounts bytes, ScheduledExecutorService retries) {
    String ns = inputs.namespace(i % inputs.namespaces);
    if (i % 2 == 0) {
      return new SidecarProxy(i, ns, bytes, retries);
    }
    Random r = new Random(i);
    Set<String> targets = new LinkedHashSet<>();
    targets.add(inputs.host(0) + ":" + LoadInputs.GRPC_PORT);
    while (targets.size() < Math.min(5, inputs.services)) {
      targets.add(inputs.host(r.nextInt(inputs.services)) + ":" + LoadInputs.GRPC_PORT);
    }
    return new GrpcProxy(i, ns, targets, bytes, retries);
  }

  /** "sidecar" / "grpc" -> per type min-max over the proxies of that kind. */
  private static Map<String, String> counts(List<LoadProxy> proxies, long configured, int total) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String kind : List.of("sidecar", "grpc")) {
      StringBuilder sb = new StringBuilder();
      for (String type : List.of("cds", "lds", "rds", "eds")) {
        int min = Integer.MAX_VALUE;
        int max = 0;
        for (LoadProxy p : proxies) {
          if ((p instanceof SidecarProxy) == kind.equals("sidecar")) {
            int n = p.counts().get(type);
            min = Math.min(min, n);
            max = Math.max(max, n);
          }
        }
        sb.append(type)
            .append(' ')
            .append(min == max ? String.valueOf(min) : min + "-" + max)
            .append(' ');
      }
      out.put(kind, sb.toString().strip());
    }
    if (configured < total) {
      out.put("proxy configured", configured + "/" + total);
    }
    return out;
  }

  /** One change: what to write, how to undo it, and what each proxy kind must then show. */
  private record Change(
      String name, IoAction write, Runnable revert, Expectation sidecar, Expectation grpc) {}

  interface IoAction {
    void run() throws Exception;
  }

  private List<Change> changes() {
    String h0 = inputs.host(0);
    int added = inputs.services;
    String addedHost = inputs.host(added);
    int http = LoadInputs.HTTP_PORT;
    int grpc = LoadInputs.GRPC_PORT;
    return List.of(
        new Change(
            "VirtualService edit",
            () -> InputWriter.apply(rig, inputs.virtualService(0, LoadInputs.CHANGED_WEIGHT)),
            () -> InputWriter.applyQuietly(rig, inputs.virtualService(0, LoadInputs.BASE_WEIGHT)),
            new Expectation(
                SidecarProxy.RDS,
                String.valueOf(http),
                ContentDetectors.routeWeight(
                    LoadInputs.cluster(http, h0), LoadInputs.CHANGED_WEIGHT)),
            new Expectation(
                SidecarProxy.RDS,
                null,
                ContentDetectors.routeWeight(
                    LoadInputs.cluster(grpc, h0), LoadInputs.CHANGED_WEIGHT))),
        new Change(
            "endpoint scale-up",
            () -> InputWriter.apply(rig, inputs.endpointSlice(0, true)),
            () -> InputWriter.applyQuietly(rig, inputs.endpointSlice(0, false)),
            new Expectation(
                SidecarProxy.EDS,
                LoadInputs.cluster(http, h0),
                ContentDetectors.hasEndpoint(LoadInputs.addedAddress())),
            new Expectation(
                SidecarProxy.EDS,
                LoadInputs.cluster(grpc, h0),
                ContentDetectors.hasEndpoint(LoadInputs.addedAddress()))),
        new Change(
            "new service",
            () -> {
              InputWriter.apply(rig, inputs.service(added));
              InputWriter.apply(rig, inputs.endpointSlice(added, false));
            },
            () -> {
              InputWriter.deleteQuietly(rig, inputs.endpointSlice(added, false));
              InputWriter.deleteQuietly(rig, inputs.service(added));
            },
            new Expectation(
                SidecarProxy.CDS, LoadInputs.cluster(http, addedHost), ContentDetectors.present()),
            null),
        new Change(
            "DestinationRule edit",
            () ->
                InputWriter.apply(
                    rig, inputs.destinationRule(0, LoadInputs.CHANGED_MAX_CONNECTIONS)),
            () ->
                InputWriter.applyQuietly(
                    rig, inputs.destinationRule(0, LoadInputs.BASE_MAX_CONNECTIONS)),
            new Expectation(
                SidecarProxy.CDS,
                LoadInputs.cluster(http, h0),
                ContentDetectors.maxConnections(LoadInputs.CHANGED_MAX_CONNECTIONS)),
            null));
  }

  /** Stops the run when the server grows past {@code LOAD_MAX_SERVER_RSS_MIB}. */
  private static void guard(ServerProcess server) throws IOException {
    long rss = ProcStat.rssKib(server.pid);
    if (rss > MAX_SERVER_RSS_KIB) {
      throw new IllegalStateException(
          server.kind
              + " reached "
              + rss / 1024
              + " MiB resident, above LOAD_MAX_SERVER_RSS_MIB="
              + MAX_SERVER_RSS_KIB / 1024
              + ": stopped before the machine runs out of memory");
    }
  }

  private Convergence converge(ServerProcess server, Change c, List<LoadProxy> proxies)
      throws Exception {
    String kind = server.kind;
    List<LoadProxy> affected = new ArrayList<>();
    for (LoadProxy p : proxies) {
      Expectation e = p instanceof SidecarProxy ? c.sidecar : c.grpc;
      if (e != null && p.configured()) {
        p.expect(e);
        affected.add(p);
      }
    }
    long t0 = System.nanoTime();
    c.write.run();
    long deadline = t0 + (long) (changeTimeoutS * 1e9);
    for (int i = 0;
        System.nanoTime() < deadline && !affected.stream().allMatch(p -> p.metAtNanos() != 0);
        i++) {
      if (i % 20 == 0) {
        guard(server);
      }
      Thread.sleep(5);
    }
    List<Double> ms = new ArrayList<>();
    for (LoadProxy p : affected) {
      long at = p.metAtNanos();
      ms.add(at == 0 ? null : (at - t0) / 1e6);
      p.expect(null);
    }
    Convergence conv = Convergence.of(ms, changeTimeoutS * 1000);
    log(
        "%s: %s: %d/%d proxies, p50 %.0f ms, p99 %.0f ms, max %.0f ms",
        kind, c.name, conv.converged(), conv.expected(), conv.p50(), conv.p99(), conv.max());
    return conv;
  }

  private static void appendResults(
      int services, int proxies, String load, ServerFigures ref, ServerFigures ours)
      throws IOException {
    Path file =
        Path.of(
            System.getenv()
                .getOrDefault(
                    "LOAD_RESULTS",
                    Rig.MODULE.resolve("target/load/compare-results.tsv").toString()));
    Files.createDirectories(file.toAbsolutePath().getParent());
    StringBuilder sb = new StringBuilder();
    if (!Files.exists(file)) {
      sb.append(
          "# time\tservices\tproxies\tserver\tload\tready_s\tconfigured_s\tcpu_s\thwm_mib"
              + "\tmib_sent\tworst_p99_ms\tp99_ms_per_change\n");
    }
    for (ServerFigures f : List.of(ref, ours)) {
      StringBuilder per = new StringBuilder();
      f.changes()
          .forEach((k, v) -> per.append(k).append('=').append(Math.round(v.p99())).append(';'));
      sb.append(
          String.format(
              Locale.ROOT,
              "%s\t%d\t%d\t%s\t%s\t%.2f\t%.2f\t%.1f\t%d\t%.1f\t%.0f\t%s%n",
              Instant.now(),
              services,
              proxies,
              f.kind(),
              load,
              f.readySeconds(),
              f.configuredSeconds(),
              f.cpuSeconds(),
              f.peakRssKib() / 1024,
              f.bytesTotal() / 1048576.0,
              f.worstP99(),
              per));
    }
    Files.writeString(
        file,
        sb.toString(),
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    log("figures appended to %s", file);
  }

  private static void ensureCrds(Rig rig, Path root) throws IOException, InterruptedException {
    try {
      rig.kubectl("get", "crd", "virtualservices.networking.istio.io");
    } catch (IOException e) {
      log("installing Istio's CRDs (crds/crd-all.gen.yaml)");
      rig.kubectl("apply", "--server-side", "-f", root.resolve("crds/crd-all.gen.yaml").toString());
      rig.kubectl("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s");
    }
  }

  /** Removes every object of the run, then its namespaces (finalized: no controller-manager). */
  private static void cleanup(Rig rig, LoadInputs inputs, String oursNs) {
    try {
      rig.kubectl(
          "delete",
          "services,endpointslices.discovery.k8s.io,"
              + "virtualservices.networking.istio.io,destinationrules.networking.istio.io",
          "-A",
          "-l",
          LoadInputs.RUN_LABEL + "=" + inputs.run,
          "--wait=false");
      List<String> namespaces = new ArrayList<>();
      for (int k = 0; k < inputs.namespaces; k++) {
        namespaces.add(inputs.namespace(k));
      }
      namespaces.add(oursNs);
      for (String ns : namespaces) {
        rig.kubectl("delete", "namespace", ns, "--wait=false", "--ignore-not-found");
        String json = rig.kubectl("get", "namespace", ns, "-o", "json", "--ignore-not-found");
        if (!json.isBlank()) {
          rig.kubectlStdin(
              json.replace("\"kubernetes\"", ""),
              "replace",
              "--raw",
              "/api/v1/namespaces/" + ns + "/finalize",
              "-f",
              "-");
        }
      }
      log("run %s removed from the rig", inputs.run);
    } catch (IOException | InterruptedException e) {
      log("cleanup of run %s: %s", inputs.run, e.getMessage());
    }
  }

  static java.util.concurrent.ThreadFactory daemon(String name) {
    AtomicLong n = new AtomicLong();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  static void log(String format, Object... args) {
    System.err.println(
        "["
            + java.time.LocalTime.now().withNano(0)
            + "] "
            + String.format(Locale.ROOT, format, args));
  }
}

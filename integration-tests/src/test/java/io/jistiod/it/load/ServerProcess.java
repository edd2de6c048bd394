package io.jistiod.it.load;

import io.jistiod.it.support.FreePorts;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A control plane under load, as its own process on loopback ports: Istio's pilot-discovery through
 * {@code cluster/reference-istiod.sh}, or ours through {@code bin/istiod} (the built jar, JAVA_OPTS
 * from the environment). Both get plaintext xDS only, no CA, no webhooks, the same MeshConfig file
 * and PILOT_DEBOUNCE_AFTER; readiness is polled here every 20 ms on both, so "ready" is measured
 * the same way.
 */
final class ServerProcess implements AutoCloseable {
  static final String REFERENCE = "reference";
  static final String OURS = "ours";
  private static final String REF_NAME = "load-compare";

  final String kind;
  final long pid;
  final int grpcPort;
  final long startNanos;
  final long readyNanos;
  final Path log;
  private final Process launcher;

  private ServerProcess(
      String kind, long pid, int grpcPort, long startNanos, long readyNanos, Path log, Process p) {
    this.kind = kind;
    this.pid = pid;
    this.grpcPort = grpcPort;
    this.startNanos = startNanos;
    this.readyNanos = readyNanos;
    this.log = log;
    this.launcher = p;
  }

  static Path rigDir() {
    return Path.of(System.getenv().getOrDefault("JISTIOD_RIG_DIR", "/tmp/jistiod-rig"));
  }

  /** The MeshConfig pilot-discovery ran with (its script adds rootNamespace and selectors). */
  static Path referenceMeshFile() {
    return rigDir().resolve("reference").resolve(REF_NAME).resolve("mesh.yaml");
  }

  static ServerProcess reference(Path module, Path mesh, String scenario, Map<String, String> env)
      throws IOException, InterruptedException {
    int grpc = FreePorts.loopback();
    int http = FreePorts.loopback();
    int mon = FreePorts.loopback();
    Path log = Files.createTempFile("reference-istiod-start", ".log");
    List<String> cmd =
        List.of(
            "bash",
            module.resolve("cluster/reference-istiod.sh").toString(),
            "start",
            REF_NAME,
            "--mesh",
            mesh.toString(),
            "--scenario-label",
            scenario,
            "--grpc-port",
            String.valueOf(grpc),
            "--http-port",
            String.valueOf(http),
            "--monitoring-port",
            String.valueOf(mon));
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(env);
    Path pidFile = rigDir().resolve("reference").resolve(REF_NAME).resolve("pid");
    Files.deleteIfExists(pidFile);
    Process script = pb.start();
    long pid = -1;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (pid < 0) {
      if (Files.isRegularFile(pidFile)) {
        String s = Files.readString(pidFile).strip();
        if (!s.isEmpty()) {
          pid = Long.parseLong(s);
          break;
        }
      }
      if (!script.isAlive() || System.nanoTime() > deadline) {
        throw new IOException(
            "reference-istiod.sh did not start pilot-discovery:\n" + Files.readString(log));
      }
      Thread.sleep(5);
    }
    long start = ProcStat.startNanos(pid);
    long ready = awaitReady(http, pid, log);
    if (!script.waitFor(60, TimeUnit.SECONDS) || script.exitValue() != 0) {
      throw new IOException("reference-istiod.sh start failed:\n" + Files.readString(log));
    }
    return new ServerProcess(
        REFERENCE,
        pid,
        grpc,
        start,
        ready,
        rigDir().resolve("reference").resolve(REF_NAME).resolve("pilot-discovery.log"),
        null);
  }

  static ServerProcess ours(
      Path root, Path kubeconfig, Path mesh, String namespace, Map<String, String> env)
      throws IOException, InterruptedException {
    int grpc = FreePorts.loopback();
    int http = FreePorts.loopback();
    int mon = FreePorts.loopback();
    Path log = Files.createTempFile("jistiod-load", ".log");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                root.resolve("bin/istiod").toString(),
                "discovery",
                "--kubeconfig",
                kubeconfig.toString(),
                "--meshConfig",
                mesh.toString(),
                "--clusterID",
                "Kubernetes",
                "--domain",
                "cluster.local",
                "--grpcAddr",
                "127.0.0.1:" + grpc,
                "--httpAddr",
                "127.0.0.1:" + http,
                "--monitoringAddr",
                "127.0.0.1:" + mon,
                "--httpsAddr",
                "",
                "--secureGRPCAddr",
                "",
                "--keepaliveMaxServerConnectionAge",
                "30m",
                "-n",
                namespace,
                "--log_output_level",
                "default:info"));
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(env);
    pb.environment().put("POD_NAMESPACE", namespace);
    pb.environment().put("POD_NAME", "istiod-load");
    Process p = pb.start();
    long start = ProcStat.startNanos(p.pid());
    long ready = awaitReady(http, p.pid(), log);
    return new ServerProcess(OURS, p.pid(), grpc, start, ready, log, p);
  }

  /** Polls /ready every 20 ms; returns the nanoTime of the first 200. */
  private static long awaitReady(int http, long pid, Path log)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    URI uri = URI.create("http://127.0.0.1:" + http + "/ready");
    while (true) {
      try {
        HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
        c.setConnectTimeout(500);
        c.setReadTimeout(1000);
        int code = c.getResponseCode();
        c.disconnect();
        if (code == 200) {
          return System.nanoTime();
        }
      } catch (IOException e) {
        // not listening yet
      }
      if (!Files.isDirectory(Path.of("/proc/" + pid)) || System.nanoTime() > deadline) {
        throw new IOException("server " + pid + " not ready; log " + log + ":\n" + tail(log));
      }
      Thread.sleep(20);
    }
  }

  static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(" + e.getMessage() + ")";
    }
  }

  @Override
  public void close() throws IOException, InterruptedException {
    if (launcher == null) {
      Process p =
          new ProcessBuilder(
                  "bash",
                  Path.of("").toAbsolutePath().resolve("cluster/reference-istiod.sh").toString(),
                  "stop",
                  REF_NAME)
              .inheritIO()
              .start();
      p.waitFor(30, TimeUnit.SECONDS);
    } else {
      launcher.destroy();
      if (!launcher.waitFor(15, TimeUnit.SECONDS)) {
        launcher.destroyForcibly();
      }
    }
  }
}

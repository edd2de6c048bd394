package io.jistiod.it.interop;

import io.jistiod.it.support.TestHost;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One backend of the xDS interop cases: grpc-java's own {@code XdsTestServer} as its own JVM,
 * inside a {@link TestHost} (a network namespace with address 10.250.N.2, since the API server
 * refuses loopback endpoints) and a UTS namespace of its own, so that the hostname it reports in
 * every response ({@code SimpleResponse.hostname} and the {@code hostname} response header) is this
 * backend's name. The server resolves its hostname with {@code InetAddress.getLocalHost()}, which a
 * hosts file given with {@code -Djdk.net.hosts.file} answers.
 */
final class InteropBackend implements AutoCloseable {
  /** The port every backend serves on, inside its own namespace. */
  static final int PORT = 8080;

  private static final String MAIN = "io.grpc.testing.integration.XdsTestServer";

  private final TestHost host;
  private final String hostname;
  private final Path dir;
  private final Path xdsBootstrap;
  private Process process;
  private Path log;
  private int generation;

  private InteropBackend(TestHost host, String hostname, Path dir, Path xdsBootstrap) {
    this.host = host;
    this.hostname = hostname;
    this.dir = dir;
    this.xdsBootstrap = xdsBootstrap;
  }

  /** Creates test host {@code n} (10.250.n.2) for a backend named {@code xds-backend-n}. */
  static InteropBackend create(int n, Path dir) throws IOException, InterruptedException {
    return new InteropBackend(TestHost.create(n), "xds-backend-" + n, dir, null);
  }

  /**
   * A backend in test host {@code n} that serves as an xDS server ({@code --secure_mode=true}: xDS
   * server credentials, so its listener's TLS and RBAC come from istiod) with the gRPC bootstrap
   * {@code xdsBootstrap}; its maintenance services listen on {@link #PORT} + 1.
   */
  static InteropBackend createXdsServer(int n, String hostname, Path dir, Path xdsBootstrap)
      throws IOException, InterruptedException {
    return new InteropBackend(TestHost.create(n), hostname, dir, xdsBootstrap);
  }

  /** The name this backend reports, which the test client counts RPCs by. */
  String hostname() {
    return hostname;
  }

  /** The address this backend serves on (its test host's). */
  String address() {
    return host.address();
  }

  synchronized boolean running() {
    return process != null && process.isAlive();
  }

  /** Starts the server process if it is not running; see {@link #awaitServing}. */
  synchronized void start() throws IOException {
    if (running()) {
      return;
    }
    Path hosts = dir.resolve(hostname + ".hosts");
    Files.writeString(
        hosts, "127.0.0.1 localhost\n" + host.address() + " " + hostname + "\n", UTF8);
    log = dir.resolve(hostname + "-" + (++generation) + ".log");
    List<String> cmd = new ArrayList<>();
    if (xdsBootstrap != null) {
      cmd.addAll(List.of("env", "GRPC_XDS_BOOTSTRAP=" + xdsBootstrap));
    }
    // unshare --uts gives the server a hostname of its own; sh sets it and execs java, so the
    // process this class holds is the JVM itself.
    cmd.addAll(List.of("unshare", "--uts", "sh", "-c", "hostname \"$0\" && exec \"$@\"", hostname));
    if (xdsBootstrap != null) {
      // Its xDS server's view (listener NACKs, serving state) in its log.
      Path logging = dir.resolve(hostname + "-logging.properties");
      Files.writeString(
          logging,
          String.join(
              "\n",
              "handlers=java.util.logging.ConsoleHandler",
              "java.util.logging.ConsoleHandler.level=FINE",
              ".level=INFO",
              "io.grpc.xds.level=FINE",
              ""));
      cmd.addAll(
          Jvm.command(
              MAIN, "-Djdk.net.hosts.file=" + hosts, "-Djava.util.logging.config.file=" + logging));
    } else {
      cmd.addAll(Jvm.command(MAIN, "-Djdk.net.hosts.file=" + hosts));
    }
    boolean xds = xdsBootstrap != null;
    cmd.addAll(
        List.of(
            "--port=" + PORT,
            "--maintenance_port=" + (xds ? PORT + 1 : PORT),
            "--secure_mode=" + xds,
            "--server_id=" + hostname));
    process = host.start(log, cmd.toArray(String[]::new));
  }

  /** Waits until the server says it serves; fails with its log if it died or took too long. */
  void awaitServing(Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Process p;
      Path l;
      synchronized (this) {
        p = process;
        l = log;
      }
      String out = l != null && Files.exists(l) ? Files.readString(l, UTF8) : "";
      if (out.contains("Server started on port")) {
        return;
      }
      if (p == null || !p.isAlive() || System.nanoTime() > deadline) {
        throw new IOException(
            hostname
                + (p != null && !p.isAlive() ? " exited" : " did not start in " + timeout)
                + ":\n"
                + tail(out, 3000));
      }
      Thread.sleep(100);
    }
  }

  /** Kills the server process (as if its VM went away); connections to it are refused. */
  synchronized void stop() throws InterruptedException {
    if (process != null) {
      process.destroyForcibly();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException(hostname + " did not stop in 10 s");
      }
    }
  }

  /** The last part of the current process's output, for failure messages. */
  synchronized String logTail() {
    try {
      return log == null ? "" : tail(Files.readString(log, UTF8), 2000);
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() throws IOException, InterruptedException {
    try {
      stop();
    } finally {
      host.close();
    }
  }

  @Override
  public String toString() {
    return hostname + "@" + host.address();
  }

  static String tail(String s, int max) {
    return s.length() <= max ? s : "..." + s.substring(s.length() - max);
  }

  private static final java.nio.charset.Charset UTF8 = StandardCharsets.UTF_8;
}

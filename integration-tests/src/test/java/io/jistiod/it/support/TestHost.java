package io.jistiod.it.support;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A test host of our own: a network namespace joined to this machine by a veth pair, with its own
 * address ({@code 10.250.N.2}, the host side {@code 10.250.N.1}). The Kubernetes API server refuses
 * loopback addresses in EndpointSlices, so workloads that must receive real traffic run here.
 * Traffic goes only to namespaces this class created. Needs root (CI and dev machines are).
 */
public final class TestHost implements AutoCloseable {
  private final String name;
  private final String hostIf;
  private final String address;
  private final List<Process> processes = new ArrayList<>();

  private TestHost(String name, String hostIf, String address) {
    this.name = name;
    this.hostIf = hostIf;
    this.address = address;
  }

  /** Creates namespace {@code jistiod-N}; N in 1..250 picks the subnet 10.250.N.0/24. */
  public static TestHost create(int n) throws IOException, InterruptedException {
    String name = "jistiod-" + n;
    String hostIf = "jvh" + n;
    String nsIf = "jvn" + n;
    // A namespace left over from an aborted run is replaced.
    run(false, "ip", "netns", "del", name);
    run(false, "ip", "link", "del", hostIf);
    run(true, "ip", "netns", "add", name);
    run(true, "ip", "link", "add", hostIf, "type", "veth", "peer", "name", nsIf);
    run(true, "ip", "link", "set", nsIf, "netns", name);
    run(true, "ip", "addr", "add", "10.250." + n + ".1/24", "dev", hostIf);
    run(true, "ip", "link", "set", hostIf, "up");
    run(
        true,
        "ip",
        "netns",
        "exec",
        name,
        "ip",
        "addr",
        "add",
        "10.250." + n + ".2/24",
        "dev",
        nsIf);
    run(true, "ip", "netns", "exec", name, "ip", "link", "set", nsIf, "up");
    run(true, "ip", "netns", "exec", name, "ip", "link", "set", "lo", "up");
    return new TestHost(name, hostIf, "10.250." + n + ".2");
  }

  /**
   * Fails the calling test unless this machine lets us create network namespaces (needs root, as CI
   * runs). In the e2e suite a missing capability is a failure, never a skip: the tests that send
   * real traffic are the proof. Probes by creating and deleting a namespace of its own.
   */
  public static void requireSupported() {
    String probe = "jistiod-probe-" + ProcessHandle.current().pid();
    try {
      run(false, "ip", "netns", "del", probe);
      run(true, "ip", "netns", "add", probe);
      run(true, "ip", "netns", "del", probe);
    } catch (IOException e) {
      throw new AssertionError(
          "network namespaces are not available, and the e2e suite needs them for its test hosts"
              + " (run as root, with iproute2's `ip` on PATH): "
              + e.getMessage(),
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while probing network namespaces", e);
    }
  }

  /** The address workloads in this host listen on. */
  public String address() {
    return address;
  }

  /** Starts {@code command} inside the namespace; it is killed on {@link #close()}. */
  public Process start(Path log, String... command) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", name));
    cmd.addAll(List.of(command));
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    processes.add(p);
    return p;
  }

  @Override
  public void close() throws IOException, InterruptedException {
    for (Process p : processes) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    run(false, "ip", "netns", "del", name);
    run(false, "ip", "link", "del", hostIf);
  }

  private static void run(boolean check, String... cmd) throws IOException, InterruptedException {
    Process p;
    try {
      p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IOException(String.join(" ", cmd) + ": cannot run: " + e.getMessage(), e);
    }
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException(String.join(" ", cmd) + ": timed out");
    }
    if (check && p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + ": " + out.strip());
    }
  }
}

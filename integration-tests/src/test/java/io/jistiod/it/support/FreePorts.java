package io.jistiod.it.support;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for a test to hand to a process (or a chart value) before it binds them.
 *
 * <p>A port the kernel gives to {@code bind(0)} comes from the ephemeral range, the same range it
 * takes the local port of every outgoing connection from. Between the pick and the bind a test
 * typically opens dozens of connections (helm, kubectl, the API server's own watches), and one of
 * them can take the port. So the ports here are drawn at random from below the ephemeral range,
 * where the kernel never assigns anything by itself, checked bindable, and never handed out twice
 * by this JVM.
 */
public final class FreePorts {
  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();
  private static final int[] RANGE = range();

  private FreePorts() {}

  /** A port free on 127.0.0.1. */
  public static int loopback() {
    return pick(InetAddress.getLoopbackAddress());
  }

  /** A port free on every address (for processes that bind the wildcard address). */
  public static int anyAddress() {
    return pick(null);
  }

  private static int pick(InetAddress address) {
    for (int attempt = 0; attempt < 2000; attempt++) {
      int port = ThreadLocalRandom.current().nextInt(RANGE[0], RANGE[1]);
      if (!HANDED_OUT.add(port)) {
        continue;
      }
      try (ServerSocket s = new ServerSocket()) {
        s.bind(new InetSocketAddress(address, port), 1);
        return port;
      } catch (IOException inUse) {
        // taken by another process: draw again
      }
    }
    throw new IllegalStateException(
        "no free port in " + RANGE[0] + "-" + RANGE[1] + " after 2000 attempts");
  }

  /** 12000 ports just below the kernel's ephemeral range (32768 when it cannot be read). */
  private static int[] range() {
    // readAllLines, not readString: a /proc file reports size 0 and readString stops short.
    int ephemeralLow = 32768;
    try {
      String[] parts =
          Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))
              .get(0)
              .trim()
              .split("\\s+");
      ephemeralLow = Integer.parseInt(parts[0]);
    } catch (IOException | RuntimeException unreadable) {
      // not Linux, or no /proc: the default range
    }
    int high = Math.max(ephemeralLow, 2048);
    int low = Math.max(1024, high - 12000);
    return new int[] {low, high};
  }
}

package io.jistiod.it.interop;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Command lines for the interop programs, each in a JVM of its own on the test classpath. */
final class Jvm {
  private Jvm() {}

  /**
   * {@code java <flags> <extra> -cp <test classpath> <main>}. The flags keep each JVM small and
   * cheap to start (C1 only, serial GC), since several run at once on a 2-core machine.
   */
  static List<String> command(String main, String... extra) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(
        List.of(
            "-Xmx256m",
            "-Xss512k",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-XX:-UsePerfData"));
    cmd.addAll(List.of(extra));
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(main);
    return cmd;
  }
}

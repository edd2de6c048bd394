package io.jistiod.it.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A process's figures from /proc (Linux; clock ticks of 10 ms, as USER_HZ is everywhere). */
final class ProcStat {
  private static final double TICK = 0.01;

  private ProcStat() {}

  /** utime + stime in seconds. */
  static double cpuSeconds(long pid) throws IOException {
    String[] f = fields(pid);
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * TICK;
  }

  /** Peak resident set (VmHWM) in KiB. */
  static long peakRssKib(long pid) throws IOException {
    return status(pid, "VmHWM:");
  }

  /** Current resident set (VmRSS) in KiB. */
  static long rssKib(long pid) throws IOException {
    return status(pid, "VmRSS:");
  }

  /** The System.nanoTime() at which the process started (to within a tick). */
  static long startNanos(long pid) throws IOException {
    long now = System.nanoTime();
    double uptime = Double.parseDouble(Files.readString(Path.of("/proc/uptime")).split(" ")[0]);
    double started = Long.parseLong(fields(pid)[19]) * TICK;
    return now - (long) ((uptime - started) * 1e9);
  }

  /** The machine's memory (MemTotal of /proc/meminfo), KiB; 0 if unknown. */
  static long memTotalKib() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | NumberFormatException e) {
      // unknown: the caller's floor applies
    }
    return 0;
  }

  /** The 1-minute load average. */
  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return "?";
    }
  }

  // fields after "pid (comm) ": index 0 is the state (field 3 of proc(5))
  private static String[] fields(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
  }

  private static long status(long pid, String key) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith(key)) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }
}

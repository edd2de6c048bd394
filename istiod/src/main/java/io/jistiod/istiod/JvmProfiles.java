package io.jistiod.istiod;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import javax.management.ObjectName;

/**
 * What Go's {@code /debug/pprof/*} profiles show, as the JVM can tell it, in text: every thread's
 * stack (for {@code goroutine}), the live heap by class ({@code heap}, the JVM's class histogram)
 * and the command line ({@code cmdline}).
 */
final class JvmProfiles {
  private JvmProfiles() {}

  static String threadDump() {
    StringBuilder out = new StringBuilder();
    for (ThreadInfo t : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true, 256)) {
      out.append('"')
          .append(t.getThreadName())
          .append("\" #")
          .append(t.getThreadId())
          .append(t.isDaemon() ? " daemon" : "")
          .append(' ')
          .append(t.getThreadState());
      if (t.getLockName() != null) {
        out.append(" on ").append(t.getLockName());
      }
      if (t.getLockOwnerName() != null) {
        out.append(" owned by \"").append(t.getLockOwnerName()).append('"');
      }
      out.append('\n');
      for (StackTraceElement e : t.getStackTrace()) {
        // as jstack writes a frame: no class loader or module prefix
        out.append("\tat ")
            .append(e.getClassName())
            .append('.')
            .append(e.getMethodName())
            .append('(')
            .append(
                e.isNativeMethod()
                    ? "Native Method"
                    : e.getFileName() == null
                        ? "Unknown Source"
                        : e.getFileName() + (e.getLineNumber() >= 0 ? ":" + e.getLineNumber() : ""))
            .append(")\n");
      }
      out.append('\n');
    }
    return out.toString();
  }

  /** The JVM's {@code GC.class_histogram} (a full GC first, as it counts live objects only). */
  static String heapHistogram() {
    try {
      Object r =
          ManagementFactory.getPlatformMBeanServer()
              .invoke(
                  new ObjectName("com.sun.management:type=DiagnosticCommand"),
                  "gcClassHistogram",
                  new Object[] {new String[0]},
                  new String[] {String[].class.getName()});
      return String.valueOf(r);
    } catch (Exception e) {
      return "the class histogram is not available on this JVM: " + e.getMessage() + "\n";
    }
  }

  static String commandLine() {
    StringBuilder out = new StringBuilder();
    ProcessHandle.current().info().command().ifPresent(out::append);
    ProcessHandle.current()
        .info()
        .arguments()
        .ifPresent(
            args -> {
              for (String a : args) {
                out.append('\0').append(a);
              }
            });
    return out.toString();
  }
}

package io.jistiod.it.support;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import org.slf4j.LoggerFactory;

/**
 * Watches the log of everything running in the test JVM (istiod runs in-process) for the API server
 * refusing a request for lack of permission. With istiod on the chart's ServiceAccount (see {@link
 * Rig#istiodKubeconfig}), one such line means the chart's RBAC misses a rule istiod needs, and
 * RigExtension fails the test with it.
 */
public final class ForbiddenLog extends AppenderBase<ILoggingEvent> {
  // What the API server and fabric8 say about a 403: RBAC's "pods is forbidden: User
  // \"system:serviceaccount:...\" cannot list ...", a Status "code=403", an HTTP "403 Forbidden".
  // Not a bare "403" (resource versions and ports are numbers too), nor a bare "Forbidden" (a
  // field error type in validation messages).
  private static final Pattern FORBIDDEN =
      Pattern.compile("(?i)is forbidden: User \"|code=403\\b|\\b403 forbidden\\b");

  private static final ForbiddenLog INSTANCE = new ForbiddenLog();

  private final List<String> lines = new CopyOnWriteArrayList<>();

  private ForbiddenLog() {}

  /** Attached to the root logger once per JVM; returns the shared instance. */
  static synchronized ForbiddenLog install() {
    if (!INSTANCE.isStarted()) {
      Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
      INSTANCE.setContext(root.getLoggerContext());
      INSTANCE.setName("forbidden-log");
      INSTANCE.start();
      root.addAppender(INSTANCE);
    }
    return INSTANCE;
  }

  /** Forgets what was seen (at the start of each test). */
  void reset() {
    lines.clear();
  }

  /** The log lines seen since the last reset that report a 403. */
  List<String> lines() {
    return List.copyOf(lines);
  }

  @Override
  protected void append(ILoggingEvent e) {
    if (e.getLoggerName().startsWith("io.jistiod.it.")) {
      return; // the tests' own logging, not istiod's
    }
    StringBuilder text = new StringBuilder(e.getFormattedMessage());
    for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
      text.append(" | ").append(t.getClassName()).append(": ").append(t.getMessage());
    }
    if (FORBIDDEN.matcher(text).find()) {
      lines.add(e.getLevel() + " " + e.getLoggerName() + " [" + e.getThreadName() + "] " + text);
    }
  }

  /** Whether {@code text} reports a 403 (for tests of this class). */
  static boolean reportsForbidden(String text) {
    return FORBIDDEN.matcher(text).find();
  }
}

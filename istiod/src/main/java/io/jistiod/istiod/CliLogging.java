package io.jistiod.istiod;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.ConsoleAppender;
import org.slf4j.LoggerFactory;

/**
 * Offline commands print their result on stdout (kube-inject's objects, say), where istiod's server
 * logs go; moving the console log to stderr keeps a warning out of the YAML a user pipes to
 * kubectl.
 */
public final class CliLogging {
  private CliLogging() {}

  /** Sends every console appender of the root logger to stderr. */
  public static void toStderr() {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return; // another SLF4J binding (tests): nothing of ours to move
    }
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.iteratorForAppenders()
        .forEachRemaining(
            a -> {
              if (a instanceof ConsoleAppender<?> console
                  && !"System.err".equals(console.getTarget())) {
                console.stop();
                console.setTarget("System.err");
                console.start();
              }
            });
  }
}

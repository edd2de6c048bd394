package io.jistiod.istiod.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.pattern.ThrowableHandlingConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The parts of istiod's log line that logback does not write by itself: {@code <time>\t<level>\t
 * [<scope>\t]<message>[\terror=...]}, one line per event.
 */
public final class IstioLineConverters {
  private IstioLineConverters() {}

  /**
   * The event's time in UTC with microseconds, as istiod writes it ({@code
   * 2026-12-04T21:34:29.796654Z}).
   */
  public static final class TimeConverter extends ClassicConverter {
    private static final java.time.format.DateTimeFormatter FORMAT =
        java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
            .withZone(java.time.ZoneOffset.UTC);

    @Override
    public String convert(ILoggingEvent event) {
      java.time.Instant at = event.getInstant();
      return FORMAT.format(at == null ? java.time.Instant.ofEpochMilli(event.getTimeStamp()) : at);
    }
  }

  /** The level as istiod writes it: {@code debug}, {@code info}, {@code warn}, {@code error}. */
  public static final class LevelConverter extends ClassicConverter {
    @Override
    public String convert(ILoggingEvent event) {
      Level level = event.getLevel();
      return level == Level.TRACE ? "debug" : level.toString().toLowerCase(Locale.ROOT);
    }
  }

  /** The Istio scope and a tab, or nothing for the default scope (as istiod leaves it out). */
  public static final class ScopeConverter extends ClassicConverter {
    private final ConcurrentHashMap<String, String> cache = new ConcurrentHashMap<>();

    @Override
    public String convert(ILoggingEvent event) {
      return cache.computeIfAbsent(
          event.getLoggerName(),
          name -> {
            String scope = IstioScopes.of(name);
            return IstioScopes.DEFAULT.equals(scope) ? "" : scope + "\t";
          });
    }
  }

  /**
   * The message on one line: a line break inside it is written as {@code \n}, so a multi-line
   * message (a YAML error, say) stays one event for log shippers.
   */
  public static final class MessageConverter extends ClassicConverter {
    @Override
    public String convert(ILoggingEvent event) {
      return oneLine(event.getFormattedMessage());
    }
  }

  /**
   * A logged exception as {@code \terror=<type>: <message>} with its causes after {@code ; caused
   * by: }, on the event's line instead of a stack trace.
   */
  public static final class ErrorConverter extends ThrowableHandlingConverter {
    @Override
    public String convert(ILoggingEvent event) {
      IThrowableProxy t = event.getThrowableProxy();
      if (t == null) {
        return "";
      }
      StringBuilder out = new StringBuilder("\terror=");
      int depth = 0;
      while (t != null && depth < 5) {
        if (depth > 0) {
          out.append("; caused by: ");
        }
        out.append(simpleName(t.getClassName()));
        if (t.getMessage() != null) {
          out.append(": ").append(oneLine(t.getMessage()));
        }
        t = t.getCause();
        depth++;
      }
      return out.toString();
    }

    private static String simpleName(String className) {
      int dot = className.lastIndexOf('.');
      return dot < 0 ? className : className.substring(dot + 1);
    }
  }

  static String oneLine(String s) {
    if (s == null || (s.indexOf('\n') < 0 && s.indexOf('\r') < 0)) {
      return s;
    }
    return s.replace("\r", "").replace("\n", "\\n");
  }
}

package io.jistiod.istiod.inject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The injector config from a directory's {@code config} and {@code values} files (a mounted
 * ConfigMap), read again when they change. Polled: a mounted ConfigMap changes by a symlink swap,
 * which file watching sees unreliably.
 */
public final class FileInjectorConfigSource implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FileInjectorConfigSource.class);

  private final Path config;
  private final Path values;
  private final InjectorConfigHolder holder;
  private final ScheduledExecutorService poller;
  // a change is applied once two polls in a row read the same, so a file caught while being
  // rewritten (empty, or cut short) is never taken for the new config
  private io.jistiod.galley.file.SettledContent<java.util.List<String>> content;

  private FileInjectorConfigSource(Path dir, InjectorConfigHolder holder, long periodMillis) {
    this.config = dir.resolve("config");
    this.values = dir.resolve("values");
    this.holder = holder;
    this.poller =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "inject-config-files");
              t.setDaemon(true);
              return t;
            });
    poller.scheduleWithFixedDelay(
        () -> read(false), periodMillis, periodMillis, TimeUnit.MILLISECONDS);
  }

  /** Whether {@code dir} holds an injection config (its {@code config} file exists). */
  public static boolean present(Path dir) {
    return dir != null && Files.exists(dir.resolve("config"));
  }

  /** Reads the files now, then every {@code periodMillis}. */
  public static FileInjectorConfigSource start(
      Path dir, InjectorConfigHolder holder, long periodMillis) {
    FileInjectorConfigSource s = new FileInjectorConfigSource(dir, holder, periodMillis);
    s.read(true);
    return s;
  }

  private synchronized void read(boolean first) {
    try {
      String c = Files.readString(config);
      String v = Files.exists(values) ? Files.readString(values) : "";
      if (first) {
        content = new io.jistiod.galley.file.SettledContent<>(java.util.List.of(c, v));
        holder.update(c, v, config.getParent().toString());
      } else {
        content
            .offer(java.util.List.of(c, v))
            .ifPresent(
                settled ->
                    holder.update(settled.get(0), settled.get(1), config.getParent().toString()));
      }
    } catch (IOException e) {
      log.error("cannot read injection config {}: {}", config.getParent(), e.toString());
    } catch (RuntimeException e) {
      log.error("injection config {}: {}", config.getParent(), e.toString());
    }
  }

  @Override
  public void close() {
    poller.shutdownNow();
  }
}

package io.jistiod.galley.file;

import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.ConfigKey;
import io.jistiod.galley.config.MemoryConfigStore;
import io.jistiod.galley.parse.ConfigError;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.galley.parse.ParseResult;
import io.jistiod.galley.validation.ConfigValidator;
import io.jistiod.galley.validation.ValidationMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Istio config from a folder of YAML/JSON files ({@code --configDir}), kept in a {@link
 * MemoryConfigStore} and kept current as files change.
 *
 * <p>Nothing good is ever lost to a bad edit: a file that does not parse (for example one caught
 * half-written) keeps serving what it last held, and an invalid object keeps its last valid
 * version. Each problem is logged once, with file, object and field, when it first appears.
 *
 * <p>Threads: {@link #rescan()} is synchronized; the watcher thread calls it after changes settle.
 */
public final class FileConfigSource implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(FileConfigSource.class);

  /** How long the folder must be quiet before a rescan, so a burst of writes is read once. */
  static final long SETTLE_MILLIS = 100;

  private final Path root;
  private final ConfigParser parser;
  private final ConfigValidator validator;
  private final MemoryConfigStore store;

  /** Per file: the objects it last contributed. */
  private final Map<Path, Map<ConfigKey, Config>> lastGood = new HashMap<>();

  /** Per file: the problems last reported, so a problem is logged once, not on every rescan. */
  private final Map<Path, List<String>> lastProblems = new HashMap<>();

  /**
   * Each file's text when it was last read: an unchanged file keeps its last result without being
   * parsed and validated again (both are pure), so a change to one file of a large folder costs
   * that file, not the folder.
   */
  private final Map<Path, String> lastText = new HashMap<>();

  private WatchService watcher;
  private Thread watchThread;

  public FileConfigSource(
      Path root, ConfigParser parser, ConfigValidator validator, MemoryConfigStore store) {
    this.root = Objects.requireNonNull(root, "root");
    this.parser = Objects.requireNonNull(parser, "parser");
    this.validator = Objects.requireNonNull(validator, "validator");
    this.store = Objects.requireNonNull(store, "store");
  }

  /**
   * Loads the folder once, marks the store synced, then watches for changes.
   *
   * @throws IOException if the folder does not exist or cannot be watched
   */
  public void start() throws IOException {
    if (!Files.isDirectory(root)) {
      throw new IOException("config folder " + root + " does not exist or is not a folder");
    }
    rescan();
    store.markSynced();
    watcher = FileSystems.getDefault().newWatchService();
    registerTree(root);
    watchThread = new Thread(this::watchLoop, "config-dir-watch");
    watchThread.setDaemon(true);
    watchThread.start();
  }

  /** Reads every file and brings the store in line with what they hold. */
  public synchronized void rescan() {
    Map<Path, Map<ConfigKey, Config>> current = new TreeMap<>();
    for (Path file : listFiles()) {
      current.put(file, readFile(file));
    }
    lastGood.keySet().retainAll(current.keySet());
    lastGood.putAll(current);
    lastProblems.keySet().retainAll(current.keySet());
    lastText.keySet().retainAll(current.keySet());

    Map<ConfigKey, Config> desired = new LinkedHashMap<>();
    Map<ConfigKey, Path> owner = new HashMap<>();
    for (var entry : current.entrySet()) {
      for (Config c : entry.getValue().values()) {
        Path first = owner.putIfAbsent(c.key(), entry.getKey());
        if (first != null) {
          log.warn(
              "{}: {} is also defined in {}; using the one in {}",
              relative(entry.getKey()),
              c.key(),
              relative(first),
              relative(first));
          continue;
        }
        desired.put(c.key(), c);
      }
    }
    desired.values().forEach(store::put);
    for (ConfigKey key : store.keys()) {
      if (!desired.containsKey(key)) {
        store.delete(key);
      }
    }
  }

  private Map<ConfigKey, Config> readFile(Path file) {
    Map<ConfigKey, Config> previous = lastGood.getOrDefault(file, Map.of());
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException | UncheckedIOException e) {
      report(
          file,
          List.of(
              relative(file)
                  + ": cannot read: "
                  + e.getMessage()
                  + "; keeping its last good objects"));
      return previous;
    }
    if (text.equals(lastText.get(file)) && lastGood.containsKey(file)) {
      return previous; // the same text gives the same objects and the same findings
    }
    lastText.put(file, text);
    ParseResult result = parser.parse(text, relative(file));
    // A syntax error means the file is half-written or broken: which objects it was meant to
    // hold is unknowable, so it keeps serving everything it last held.
    boolean fileUnreadable = result.errors().stream().anyMatch(e -> e.object().isEmpty());
    List<String> problems = new ArrayList<>();
    for (ConfigError e : result.errors()) {
      problems.add(e + (fileUnreadable ? "; keeping the file's last good objects" : ""));
    }
    if (fileUnreadable) {
      report(file, problems);
      return previous;
    }
    Map<ConfigKey, Config> out = new LinkedHashMap<>();
    for (Config c : result.configs()) {
      List<ValidationMessage> findings = validator.validate(c);
      boolean invalid = findings.stream().anyMatch(ValidationMessage::isError);
      for (ValidationMessage m : findings) {
        problems.add(
            relative(file)
                + ": "
                + c.meta().kind().kind()
                + " "
                + c.namespace()
                + "/"
                + c.name()
                + ": "
                + m
                + (m.isError() ? "" : " (warning)"));
      }
      if (!invalid) {
        out.put(c.key(), c);
      } else if (previous.containsKey(c.key())) {
        out.put(c.key(), previous.get(c.key()));
      }
    }
    // An object that failed to parse keeps its last good version too.
    for (ConfigError e : result.errors()) {
      previous.forEach(
          (key, cfg) -> {
            if (e.object().equals(key.kind().kind() + " " + key.namespace() + "/" + key.name())) {
              out.putIfAbsent(key, cfg);
            }
          });
    }
    report(file, problems);
    return out;
  }

  private void report(Path file, List<String> problems) {
    List<String> before = lastProblems.put(file, problems);
    if (problems.equals(before)) {
      return;
    }
    for (String p : problems) {
      log.error("invalid config: {}", p);
    }
  }

  private List<Path> listFiles() {
    try (Stream<Path> walk = Files.walk(root)) {
      return walk.filter(Files::isRegularFile)
          .filter(FileConfigSource::isConfigFile)
          .sorted()
          .collect(Collectors.toList());
    } catch (IOException | UncheckedIOException e) {
      log.error("cannot list config folder {}: {}", root, e.getMessage());
      return new ArrayList<>(lastGood.keySet());
    }
  }

  private static boolean isConfigFile(Path p) {
    String name = p.getFileName().toString();
    if (name.startsWith(".")) {
      return false; // editor swap files, Kubernetes ConfigMap mount internals
    }
    return name.endsWith(".yaml") || name.endsWith(".yml") || name.endsWith(".json");
  }

  private String relative(Path file) {
    Path parent = root.getParent();
    return (parent == null ? file : parent.relativize(file)).toString();
  }

  private void registerTree(Path dir) throws IOException {
    try (Stream<Path> dirs = Files.walk(dir)) {
      for (Path d : dirs.filter(Files::isDirectory).collect(Collectors.toList())) {
        d.register(
            watcher,
            StandardWatchEventKinds.ENTRY_CREATE,
            StandardWatchEventKinds.ENTRY_MODIFY,
            StandardWatchEventKinds.ENTRY_DELETE);
      }
    }
  }

  private void watchLoop() {
    try {
      while (true) {
        WatchKey key = watcher.take();
        drain(key);
        // Let a burst of writes settle so a file being written is read once, when complete.
        WatchKey more;
        while ((more = watcher.poll(SETTLE_MILLIS, TimeUnit.MILLISECONDS)) != null) {
          drain(more);
        }
        try {
          registerTree(root); // picks up new sub-folders; already-registered ones are no-ops
        } catch (IOException e) {
          log.warn("cannot watch new folders under {}: {}", root, e.getMessage());
        }
        rescan();
      }
    } catch (InterruptedException | ClosedWatchServiceException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.error("config folder watcher stopped", e);
    }
  }

  private static void drain(WatchKey key) {
    key.pollEvents();
    key.reset();
  }

  /** Keys of the objects currently loaded from files, for tests and debug. */
  public synchronized Set<ConfigKey> loadedKeys() {
    return lastGood.values().stream()
        .flatMap(m -> m.keySet().stream())
        .collect(Collectors.toUnmodifiableSet());
  }

  @Override
  public void close() throws IOException {
    if (watcher != null) {
      watcher.close();
    }
    if (watchThread != null) {
      watchThread.interrupt();
    }
  }
}

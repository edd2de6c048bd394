package io.jistiod.istiod.inject;

import io.jistiod.injector.InjectionConfig;
import io.jistiod.injector.InjectionConfigException;
import io.jistiod.injector.InjectorConfig;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The injector config in use. An update that does not parse (bad YAML, a template with a syntax
 * error) is refused with one error line naming the source and the reason, and the last good config
 * stays, as istiod's watcher keeps it.
 */
public final class InjectorConfigHolder implements Supplier<InjectorConfig> {
  private static final Logger log = LoggerFactory.getLogger(InjectorConfigHolder.class);

  private final InjectionConfig.TemplateParser parser;
  private volatile InjectorConfig current;
  private String lastConfig;
  private String lastValues;
  private final java.util.List<Runnable> listeners =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  public InjectorConfigHolder(InjectionConfig.TemplateParser parser) {
    this.parser = Objects.requireNonNull(parser, "parser");
  }

  @Override
  public InjectorConfig get() {
    return current;
  }

  /** Runs {@code listener} after each config that is put in use. */
  public void addListener(Runnable listener) {
    listeners.add(listener);
  }

  /**
   * Parses and installs {@code config} and {@code values} from {@code source}.
   *
   * @return whether they are now in use (false when unchanged or refused)
   */
  public synchronized boolean update(String config, String values, String source) {
    if (Objects.equals(config, lastConfig) && Objects.equals(values, lastValues)) {
      return false;
    }
    lastConfig = config;
    lastValues = values;
    try {
      current = InjectorConfig.parse(config, values, parser);
      log.info(
          "injection config from {}: policy {}, templates {}",
          source,
          current.config().policy(),
          current.config().templates().keySet());
      listeners.forEach(Runnable::run);
      return true;
    } catch (InjectionConfigException e) {
      log.error(
          "injection config from {} refused, {}: {}",
          source,
          current == null ? "nothing is injected until it is fixed" : "keeping the last good one",
          e.getMessage());
      return false;
    }
  }
}

package io.jistiod.galley.parse;

import io.jistiod.galley.config.Config;
import java.util.List;

/** The objects read from one input, and the errors for those that could not be read. */
public record ParseResult(List<Config> configs, List<ConfigError> errors) {
  public ParseResult {
    configs = List.copyOf(configs);
    errors = List.copyOf(errors);
  }
}

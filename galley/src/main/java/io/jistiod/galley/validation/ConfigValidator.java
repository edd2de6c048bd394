package io.jistiod.galley.validation;

import io.jistiod.galley.config.Config;
import java.util.List;

/** Checks one object on its own. Pure: no I/O, no other objects. */
@FunctionalInterface
public interface ConfigValidator {

  /** Every finding, errors and warnings; empty when the object is fine. */
  List<ValidationMessage> validate(Config config);

  /** Accepts everything; for kinds without rules yet. */
  ConfigValidator NONE = config -> List.of();
}

package io.jistiod.galley.analysis;

import io.jistiod.galley.config.Config;
import java.util.List;

/**
 * A cross-object check: looks at one config object against the rest of the mesh and reports what is
 * likely a mistake but not invalid on its own (a route to a subset nobody defines, a selector that
 * selects nothing). Findings are warnings: the object is admitted and the user is told.
 *
 * <p>Implementations are pure and thread-safe: they read only {@code object} and {@code context}.
 */
public interface Analyzer {

  /** A short name for logs, e.g. {@code destinationrule.SubsetAnalyzer}. */
  String name();

  /**
   * Findings about {@code object}. {@code context.config()} already holds {@code object} in place
   * of any stored version with the same key, as the store will look once it is admitted.
   */
  List<AnalysisMessage> analyze(Config object, AnalysisContext context);
}

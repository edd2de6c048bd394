package io.jistiod.galley.analysis;

import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.ConfigKind;
import io.jistiod.galley.config.ConfigStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** A read-only view of the mesh's config, as analyzers see it. */
public interface ConfigView {

  /** Every object of {@code kind}; in {@code namespace} only, unless it is null. */
  List<Config> list(ConfigKind kind, String namespace);

  /** The view of a store (reads through; nothing is copied). */
  static ConfigView of(ConfigStore store) {
    Objects.requireNonNull(store, "store");
    return store::list;
  }

  /** This view with {@code candidate} added, replacing any object with the same key. */
  default ConfigView with(Config candidate) {
    Objects.requireNonNull(candidate, "candidate");
    ConfigView base = this;
    return (kind, namespace) -> {
      List<Config> out = new ArrayList<>();
      for (Config c : base.list(kind, namespace)) {
        if (!c.key().equals(candidate.key())) {
          out.add(c);
        }
      }
      if (candidate.meta().kind().equals(kind)
          && (namespace == null || namespace.equals(candidate.namespace()))) {
        out.add(candidate);
      }
      return out;
    };
  }
}

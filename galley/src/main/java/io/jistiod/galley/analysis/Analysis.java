package io.jistiod.galley.analysis;

import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.ConfigStore;
import io.jistiod.galley.validation.Deadline;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the analyzers on one object against the current config (and, when istiod has one, the
 * registries' view). Used by the admission webhook to attach findings as warnings.
 *
 * <p>Never fails the caller: until the store has synced it reports nothing (a half-loaded store
 * would make every reference look dangling), and an analyzer that throws is logged and skipped.
 * Thread-safe.
 */
public final class Analysis {
  private static final Logger log = LoggerFactory.getLogger(Analysis.class);

  private final List<Analyzer> analyzers;
  private final ConfigStore store;
  private final MeshView mesh;
  private final String domainSuffix;
  private final java.util.function.Supplier<String> rootNamespace;

  /**
   * @param mesh the registries' view, or null when istiod has none (then the analyzers that need it
   *     report nothing)
   */
  public Analysis(
      List<Analyzer> analyzers,
      ConfigStore store,
      MeshView mesh,
      String domainSuffix,
      String rootNamespace) {
    this(analyzers, store, mesh, domainSuffix, constant(rootNamespace));
  }

  /** As above, with the root namespace read per analysis (it follows a live MeshConfig). */
  public Analysis(
      List<Analyzer> analyzers,
      ConfigStore store,
      MeshView mesh,
      String domainSuffix,
      java.util.function.Supplier<String> rootNamespace) {
    this.analyzers = List.copyOf(analyzers);
    this.store = Objects.requireNonNull(store, "store");
    this.mesh = mesh;
    this.domainSuffix = Objects.requireNonNull(domainSuffix, "domainSuffix");
    this.rootNamespace = Objects.requireNonNull(rootNamespace, "rootNamespace");
  }

  private static java.util.function.Supplier<String> constant(String value) {
    Objects.requireNonNull(value, "rootNamespace");
    return () -> value;
  }

  /** Every analyzer istiod runs. */
  public static List<Analyzer> all() {
    return List.of(
        new SubsetAnalyzer(),
        new ServiceHostAnalyzer(),
        new PeerAuthenticationConflictAnalyzer(),
        new WorkloadSelectorAnalyzer());
  }

  /** Every analyzer istiod runs, with those that read MeshConfig ({@code mesh}). */
  public static List<Analyzer> all(java.util.function.Supplier<MeshConfig> mesh) {
    List<Analyzer> out = new ArrayList<>(all());
    out.add(new AuthorizationPolicyAnalyzer(mesh));
    return List.copyOf(out);
  }

  /** The findings about {@code candidate} once admitted; empty until the store has synced. */
  public List<AnalysisMessage> analyze(Config candidate) {
    if (!store.hasSynced()) {
      return List.of();
    }
    AnalysisContext context =
        new AnalysisContext(
            ConfigView.of(store).with(candidate),
            mesh != null && mesh.hasSynced() ? Optional.of(mesh) : Optional.empty(),
            domainSuffix,
            rootNamespace.get());
    List<AnalysisMessage> out = new ArrayList<>();
    for (Analyzer analyzer : analyzers) {
      try {
        out.addAll(analyzer.analyze(candidate, context));
      } catch (Deadline.Exceeded e) {
        throw e;
      } catch (RuntimeException e) {
        log.warn(
            "analyzer {} failed on {} {}/{}: {}",
            analyzer.name(),
            candidate.meta().kind().kind(),
            candidate.namespace(),
            candidate.name(),
            e.toString());
      }
    }
    return out;
  }
}

package io.jistiod.galley.analysis;

import java.util.Objects;
import java.util.Optional;

/**
 * What an analyzer may look at.
 *
 * @param config the mesh's config, with the object under analysis in it
 * @param mesh services and workloads, when known (empty: istiod has no registry view, or it has not
 *     synced yet; analyzers that need it report nothing rather than guess)
 * @param domainSuffix the cluster DNS suffix, for short host names ({@code cluster.local})
 * @param rootNamespace the mesh config root namespace: policies there without a selector apply to
 *     the whole mesh
 */
public record AnalysisContext(
    ConfigView config, Optional<MeshView> mesh, String domainSuffix, String rootNamespace) {

  public AnalysisContext {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(mesh, "mesh");
    Objects.requireNonNull(domainSuffix, "domainSuffix");
    Objects.requireNonNull(rootNamespace, "rootNamespace");
  }
}

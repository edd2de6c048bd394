package io.jistiod.pilot.ambient;

import java.util.Objects;

/**
 * What, besides the Kubernetes objects, goes into every address.
 *
 * @param clusterId istiod's cluster ID ({@code --clusterID}, {@code Kubernetes} by default): the
 *     first part of every workload uid
 * @param domainSuffix the cluster DNS suffix of service hostnames
 */
public record AmbientSettings(String clusterId, String domainSuffix) {
  public AmbientSettings {
    Objects.requireNonNull(clusterId, "clusterId");
    Objects.requireNonNull(domainSuffix, "domainSuffix");
  }
}

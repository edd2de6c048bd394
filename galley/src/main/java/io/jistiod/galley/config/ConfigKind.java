package io.jistiod.galley.config;

import com.google.protobuf.Message;
import java.util.List;
import java.util.Objects;

/**
 * One kind of config: its API group, kind name, the versions the API server serves, and the proto
 * messages that hold its spec and, for kinds whose status istiod reads (the Gateway API's), its
 * status. Specs are identical across versions (Istio serves v1alpha3, v1beta1 and v1 of networking
 * kinds from one proto), so a kind has exactly one message type.
 *
 * @param group API group, e.g. {@code networking.istio.io}
 * @param kind kind name, e.g. {@code VirtualService}
 * @param plural resource name, e.g. {@code virtualservices}
 * @param versions served versions, preferred (the one we write and report) first
 * @param storageVersion the version the API server stores, one of {@code versions}
 * @param shortNames kubectl short names, e.g. {@code vs}
 * @param specPrototype default instance of the spec message
 * @param statusPrototype default instance of the status message, or null if istiod does not read
 *     the kind's status (every Istio kind but WorkloadEntry, whose health it reads: their status is
 *     istiod's own output)
 * @param clusterScoped true for kinds without a namespace (GatewayClass); their objects have the
 *     namespace {@code ""}
 */
public record ConfigKind(
    String group,
    String kind,
    String plural,
    List<String> versions,
    String storageVersion,
    List<String> shortNames,
    Message specPrototype,
    Message statusPrototype,
    boolean clusterScoped) {

  /** A namespaced kind whose status istiod does not read. */
  public ConfigKind(
      String group,
      String kind,
      String plural,
      List<String> versions,
      String storageVersion,
      List<String> shortNames,
      Message specPrototype) {
    this(group, kind, plural, versions, storageVersion, shortNames, specPrototype, null, false);
  }

  public ConfigKind {
    Objects.requireNonNull(group, "group");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(plural, "plural");
    versions = List.copyOf(versions);
    if (versions.isEmpty()) {
      throw new IllegalArgumentException("versions: empty (expected: at least one)");
    }
    if (!versions.contains(storageVersion)) {
      throw new IllegalArgumentException(
          "storageVersion: " + storageVersion + " (expected: one of " + versions + ")");
    }
    shortNames = List.copyOf(shortNames);
    Objects.requireNonNull(specPrototype, "specPrototype");
  }

  /** The preferred {@code group/version}. */
  public String apiVersion() {
    return group + "/" + versions.get(0);
  }

  /** Whether {@code apiVersion} (such as {@code networking.istio.io/v1beta1}) names this kind. */
  public boolean servesApiVersion(String apiVersion) {
    int slash = apiVersion.indexOf('/');
    if (slash < 0) {
      return false;
    }
    return group.equals(apiVersion.substring(0, slash))
        && versions.contains(apiVersion.substring(slash + 1));
  }

  @Override
  public String toString() {
    return kind;
  }
}

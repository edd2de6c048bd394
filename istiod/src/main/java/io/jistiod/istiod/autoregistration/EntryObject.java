package io.jistiod.istiod.autoregistration;

import io.jistiod.galley.api.meta.v1alpha1.IstioStatus;
import io.jistiod.galley.api.networking.v1alpha3.WorkloadEntry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A WorkloadEntry as the controller reads and writes it: the metadata it manages, the spec, the
 * status (its conditions) and the version it was read at.
 *
 * @param owner the controlling owner (the WorkloadGroup), or null
 * @param status null when the object has none
 * @param resourceVersion empty for an object not yet created
 */
public record EntryObject(
    String namespace,
    String name,
    Map<String, String> labels,
    Map<String, String> annotations,
    Owner owner,
    WorkloadEntry spec,
    IstioStatus status,
    String resourceVersion) {

  /** An owner reference to a controlling object. */
  public record Owner(String apiVersion, String kind, String name, String uid) {}

  public EntryObject {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
    labels = Map.copyOf(labels);
    annotations = Map.copyOf(annotations);
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(resourceVersion, "resourceVersion");
  }

  public String key() {
    return namespace + "/" + name;
  }

  public Optional<String> annotation(String name) {
    return Optional.ofNullable(annotations.get(name));
  }

  /** This entry with {@code name} set to {@code value}, or removed when {@code value} is null. */
  public EntryObject withAnnotation(String name, String value) {
    Map<String, String> a = new LinkedHashMap<>(annotations);
    if (value == null) {
      a.remove(name);
    } else {
      a.put(name, value);
    }
    return new EntryObject(namespace, this.name, labels, a, owner, spec, status, resourceVersion);
  }

  public EntryObject withStatus(IstioStatus s) {
    return new EntryObject(namespace, name, labels, annotations, owner, spec, s, resourceVersion);
  }
}

package io.jistiod.istiod.autoregistration;

import io.jistiod.galley.api.networking.v1alpha3.WorkloadGroup;
import java.util.Objects;

/**
 * A WorkloadGroup as registration needs it: its spec and what an owner reference names.
 *
 * @param apiVersion the version it was read at, as the owner reference states it
 */
public record GroupObject(
    String namespace, String name, String uid, String apiVersion, WorkloadGroup spec) {
  public GroupObject {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(uid, "uid");
    Objects.requireNonNull(apiVersion, "apiVersion");
    Objects.requireNonNull(spec, "spec");
  }
}

package io.jistiod.istiod.autoregistration;

import java.util.List;
import java.util.Optional;

/**
 * Where WorkloadEntries and WorkloadGroups live (the API server): reads are current, writes are
 * conditional on the version read, so concurrent writers (another istiod the workload reconnected
 * to) are detected rather than overwritten.
 */
public interface WorkloadEntryApi {

  /** A write lost to a concurrent change: read again and retry. */
  final class Conflict extends RuntimeException {
    public Conflict(String message) {
      super(message);
    }
  }

  Optional<EntryObject> entry(String namespace, String name);

  Optional<GroupObject> group(String namespace, String name);

  /** Every WorkloadEntry this istiod may manage, for the periodic cleanup. */
  List<EntryObject> entries();

  /** Creates the entry; {@link Conflict} if it exists already. */
  void create(EntryObject entry);

  /**
   * Sets the entry's annotations to {@code annotations} (adding, changing and removing), if it is
   * unchanged since {@code current} was read; nothing else of it is touched.
   */
  void updateAnnotations(EntryObject current, java.util.Map<String, String> annotations);

  /**
   * Sets the entry's status conditions to {@code status}'s, if it is unchanged since {@code
   * current} was read.
   */
  void updateStatus(EntryObject current, io.jistiod.galley.api.meta.v1alpha1.IstioStatus status);

  /** Deletes the entry if unchanged since {@code resourceVersion}; absent is not an error. */
  void delete(String namespace, String name, String resourceVersion);
}

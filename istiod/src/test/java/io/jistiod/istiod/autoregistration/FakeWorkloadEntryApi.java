package io.jistiod.istiod.autoregistration;

import io.jistiod.galley.api.meta.v1alpha1.IstioStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** An API server of WorkloadEntries and WorkloadGroups in memory, with resource versions. */
final class FakeWorkloadEntryApi implements WorkloadEntryApi {
  final Map<String, EntryObject> entries = new TreeMap<>();
  final Map<String, GroupObject> groups = new TreeMap<>();
  final List<String> writes = new ArrayList<>();
  private long version = 100;

  void addGroup(GroupObject g) {
    groups.put(g.namespace() + "/" + g.name(), g);
  }

  /** Stores an entry as if written by someone else: a new resource version. */
  synchronized void put(EntryObject e) {
    entries.put(e.key(), withVersion(e));
  }

  private EntryObject withVersion(EntryObject e) {
    return new EntryObject(
        e.namespace(),
        e.name(),
        e.labels(),
        e.annotations(),
        e.owner(),
        e.spec(),
        e.status(),
        Long.toString(++version));
  }

  @Override
  public synchronized Optional<EntryObject> entry(String namespace, String name) {
    return Optional.ofNullable(entries.get(namespace + "/" + name));
  }

  @Override
  public synchronized Optional<GroupObject> group(String namespace, String name) {
    return Optional.ofNullable(groups.get(namespace + "/" + name));
  }

  @Override
  public synchronized List<EntryObject> entries() {
    return List.copyOf(entries.values());
  }

  @Override
  public synchronized void create(EntryObject entry) {
    if (entries.containsKey(entry.key())) {
      throw new Conflict(entry.key() + " exists");
    }
    writes.add("create " + entry.key());
    entries.put(entry.key(), withVersion(entry));
  }

  private void check(EntryObject current) {
    EntryObject now = entries.get(current.key());
    if (now == null || !now.resourceVersion().equals(current.resourceVersion())) {
      throw new Conflict(current.key() + " changed");
    }
  }

  @Override
  public synchronized void updateAnnotations(EntryObject current, Map<String, String> annotations) {
    check(current);
    writes.add("annotate " + current.key());
    EntryObject now = entries.get(current.key());
    entries.put(
        current.key(),
        withVersion(
            new EntryObject(
                now.namespace(),
                now.name(),
                now.labels(),
                annotations,
                now.owner(),
                now.spec(),
                now.status(),
                now.resourceVersion())));
  }

  @Override
  public synchronized void updateStatus(EntryObject current, IstioStatus status) {
    check(current);
    writes.add("status " + current.key());
    entries.put(current.key(), withVersion(entries.get(current.key()).withStatus(status)));
  }

  @Override
  public synchronized void delete(String namespace, String name, String resourceVersion) {
    EntryObject now = entries.get(namespace + "/" + name);
    if (now == null) {
      return;
    }
    if (!now.resourceVersion().equals(resourceVersion)) {
      throw new Conflict(namespace + "/" + name + " changed");
    }
    writes.add("delete " + namespace + "/" + name);
    entries.remove(namespace + "/" + name);
  }
}

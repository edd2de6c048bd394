package io.jistiod.injector;

import java.util.Map;

/**
 * The strategic-merge metadata of {@code core/v1} Pod (and of the workload objects a gateway
 * deployment template renders) that matters when merging injection templates and overlays: which
 * lists merge by key (the {@code patchStrategy:"merge"} / {@code patchMergeKey} tags of k8s.io/api)
 * and the schema of their elements. A list not named here is replaced whole, as Kubernetes replaces
 * lists without a merge strategy.
 */
final class PodPatchSchema {
  /** A list that merges; {@code key} is null for a list of scalars (merged as a set). */
  record ListMeta(String key, PodPatchSchema element) {}

  private final Map<String, PodPatchSchema> fields;
  private final Map<String, ListMeta> lists;

  private PodPatchSchema(Map<String, PodPatchSchema> fields, Map<String, ListMeta> lists) {
    this.fields = fields;
    this.lists = lists;
  }

  static final PodPatchSchema NONE = new PodPatchSchema(Map.of(), Map.of());

  private static final PodPatchSchema CONTAINER =
      new PodPatchSchema(
          Map.of(),
          Map.of(
              "ports", new ListMeta("containerPort", NONE),
              "env", new ListMeta("name", NONE),
              "volumeMounts", new ListMeta("mountPath", NONE),
              "volumeDevices", new ListMeta("devicePath", NONE)));

  private static final PodPatchSchema OBJECT_META =
      new PodPatchSchema(
          Map.of(),
          Map.of(
              "ownerReferences", new ListMeta("uid", NONE),
              "finalizers", new ListMeta(null, NONE)));

  private static final PodPatchSchema POD_SPEC =
      new PodPatchSchema(
          Map.of(),
          Map.of(
              "volumes", new ListMeta("name", NONE),
              "initContainers", new ListMeta("name", CONTAINER),
              "containers", new ListMeta("name", CONTAINER),
              "ephemeralContainers", new ListMeta("name", CONTAINER),
              "imagePullSecrets", new ListMeta("name", NONE),
              "hostAliases", new ListMeta("ip", NONE),
              "topologySpreadConstraints", new ListMeta("topologyKey", NONE),
              "schedulingGates", new ListMeta("name", NONE),
              "resourceClaims", new ListMeta("name", NONE)));

  /** The Pod itself. */
  static final PodPatchSchema POD =
      new PodPatchSchema(Map.of("metadata", OBJECT_META, "spec", POD_SPEC), Map.of());

  private static final PodPatchSchema POD_TEMPLATE =
      new PodPatchSchema(Map.of("metadata", OBJECT_META, "spec", POD_SPEC), Map.of());

  /** apps/v1 Deployment: its pod template merges as a Pod does. */
  static final PodPatchSchema DEPLOYMENT =
      new PodPatchSchema(
          Map.of(
              "metadata",
              OBJECT_META,
              "spec",
              new PodPatchSchema(Map.of("template", POD_TEMPLATE), Map.of())),
          Map.of());

  /** core/v1 Service: ports merge by port number. */
  static final PodPatchSchema SERVICE =
      new PodPatchSchema(
          Map.of(
              "metadata",
              OBJECT_META,
              "spec",
              new PodPatchSchema(Map.of(), Map.of("ports", new ListMeta("port", NONE)))),
          Map.of());

  /** core/v1 ServiceAccount: secrets merge by name. */
  static final PodPatchSchema SERVICE_ACCOUNT =
      new PodPatchSchema(
          Map.of("metadata", OBJECT_META), Map.of("secrets", new ListMeta("name", NONE)));

  /** An object whose only merging lists are in its metadata (HorizontalPodAutoscaler, PDB). */
  static final PodPatchSchema METADATA_ONLY =
      new PodPatchSchema(Map.of("metadata", OBJECT_META), Map.of());

  PodPatchSchema field(String name) {
    return fields.getOrDefault(name, NONE);
  }

  /** The merge metadata of list field {@code name}, or null when that list is replaced whole. */
  ListMeta list(String name) {
    return lists.get(name);
  }
}

package io.jistiod.istiod.autoregistration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.jistiod.galley.api.meta.v1alpha1.IstioStatus;
import io.jistiod.galley.api.networking.v1alpha3.WorkloadEntry;
import io.jistiod.galley.api.networking.v1alpha3.WorkloadGroup;
import io.jistiod.galley.parse.ProtoJsonReader;
import io.jistiod.galley.parse.ProtoJsonWriter;
import io.jistiod.galley.parse.SpecConversionException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * {@link WorkloadEntryApi} on the API server through fabric8: GETs for reads (current, not a cache,
 * since each decision compares stamps another istiod may have just written), PUTs and DELETEs
 * conditional on the resource version read.
 */
public final class KubeWorkloadEntryApi implements WorkloadEntryApi {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String API_VERSION = "networking.istio.io/v1";

  private final KubernetesClient client;

  public KubeWorkloadEntryApi(KubernetesClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  private MixedOperation<
          GenericKubernetesResource,
          GenericKubernetesResourceList,
          Resource<GenericKubernetesResource>>
      kind(String kind) {
    return client.genericKubernetesResources(API_VERSION, kind);
  }

  @Override
  public Optional<EntryObject> entry(String namespace, String name) {
    GenericKubernetesResource o = kind("WorkloadEntry").inNamespace(namespace).withName(name).get();
    return o == null ? Optional.empty() : Optional.of(fromKube(o));
  }

  @Override
  public Optional<GroupObject> group(String namespace, String name) {
    GenericKubernetesResource o = kind("WorkloadGroup").inNamespace(namespace).withName(name).get();
    if (o == null) {
      return Optional.empty();
    }
    WorkloadGroup.Builder spec = WorkloadGroup.newBuilder();
    read(o, "spec", spec);
    return Optional.of(
        new GroupObject(
            namespace,
            name,
            o.getMetadata().getUid(),
            o.getApiVersion() == null ? API_VERSION : o.getApiVersion(),
            spec.build()));
  }

  @Override
  public List<EntryObject> entries() {
    List<EntryObject> out = new ArrayList<>();
    for (GenericKubernetesResource o : kind("WorkloadEntry").inAnyNamespace().list().getItems()) {
      try {
        out.add(fromKube(o));
      } catch (IllegalArgumentException e) {
        // an entry istiod cannot read is not one it wrote: leave it alone
      }
    }
    return out;
  }

  @Override
  public void create(EntryObject entry) {
    try {
      kind("WorkloadEntry").inNamespace(entry.namespace()).resource(toKube(entry)).create();
    } catch (KubernetesClientException e) {
      throw translate(e, entry);
    }
  }

  @Override
  public void updateAnnotations(EntryObject current, Map<String, String> annotations) {
    ObjectNode patch = JSON.createObjectNode();
    ObjectNode meta = patch.putObject("metadata");
    // the version read is a precondition of the merge patch: a concurrent write is a conflict
    meta.put("resourceVersion", current.resourceVersion());
    ObjectNode a = meta.putObject("annotations");
    current.annotations().keySet().stream()
        .filter(k -> !annotations.containsKey(k))
        .forEach(a::putNull);
    annotations.forEach(a::put);
    patch(current, null, patch);
  }

  @Override
  public void updateStatus(EntryObject current, IstioStatus status) {
    ObjectNode patch = JSON.createObjectNode();
    patch.putObject("metadata").put("resourceVersion", current.resourceVersion());
    ObjectNode s = ProtoJsonWriter.write(status);
    // a merge patch replaces the list whole; an empty one is written, not left out, to clear it
    s.set("conditions", s.has("conditions") ? s.get("conditions") : JSON.createArrayNode());
    patch.set("status", s);
    patch(current, "status", patch);
  }

  private void patch(EntryObject current, String subresource, ObjectNode patch) {
    Resource<GenericKubernetesResource> r =
        kind("WorkloadEntry").inNamespace(current.namespace()).withName(current.name());
    var merge =
        io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
            io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE);
    try {
      if (subresource == null) {
        r.patch(merge, patch.toString());
      } else {
        r.subresource(subresource).patch(merge, patch.toString());
      }
    } catch (KubernetesClientException e) {
      throw translate(e, current);
    }
  }

  @Override
  public void delete(String namespace, String name, String resourceVersion) {
    try {
      kind("WorkloadEntry")
          .inNamespace(namespace)
          .withName(name)
          .lockResourceVersion(resourceVersion)
          .delete();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        return;
      }
      if (e.getCode() == 409) {
        throw new Conflict("WorkloadEntry " + namespace + "/" + name + ": " + e.getMessage());
      }
      throw e;
    }
  }

  private static RuntimeException translate(KubernetesClientException e, EntryObject entry) {
    if (e.getCode() == 409) {
      return new Conflict("WorkloadEntry " + entry.key() + ": " + e.getMessage());
    }
    return e;
  }

  static EntryObject fromKube(GenericKubernetesResource o) {
    ObjectMeta m = o.getMetadata();
    WorkloadEntry.Builder spec = WorkloadEntry.newBuilder();
    read(o, "spec", spec);
    IstioStatus status = null;
    if (o.getAdditionalProperties().get("status") != null) {
      IstioStatus.Builder s = IstioStatus.newBuilder();
      read(o, "status", s);
      status = s.build();
    }
    EntryObject.Owner owner = null;
    for (var ref : m.getOwnerReferences()) {
      if (Boolean.TRUE.equals(ref.getController())) {
        owner =
            new EntryObject.Owner(ref.getApiVersion(), ref.getKind(), ref.getName(), ref.getUid());
      }
    }
    return new EntryObject(
        m.getNamespace(),
        m.getName(),
        m.getLabels() == null ? Map.of() : m.getLabels(),
        m.getAnnotations() == null ? Map.of() : m.getAnnotations(),
        owner,
        spec.build(),
        status,
        m.getResourceVersion() == null ? "" : m.getResourceVersion());
  }

  static GenericKubernetesResource toKube(EntryObject e) {
    GenericKubernetesResource o = new GenericKubernetesResource();
    o.setApiVersion(API_VERSION);
    o.setKind("WorkloadEntry");
    ObjectMeta m = new ObjectMeta();
    m.setName(e.name());
    m.setNamespace(e.namespace());
    if (!e.labels().isEmpty()) {
      m.setLabels(new java.util.TreeMap<>(e.labels()));
    }
    if (!e.annotations().isEmpty()) {
      m.setAnnotations(new java.util.TreeMap<>(e.annotations()));
    }
    if (e.owner() != null) {
      m.setOwnerReferences(
          List.of(
              new OwnerReferenceBuilder()
                  .withApiVersion(e.owner().apiVersion())
                  .withKind(e.owner().kind())
                  .withName(e.owner().name())
                  .withUid(e.owner().uid())
                  .withController(true)
                  .build()));
    }
    if (!e.resourceVersion().isEmpty()) {
      m.setResourceVersion(e.resourceVersion());
    }
    o.setMetadata(m);
    o.setAdditionalProperty("spec", JSON.convertValue(ProtoJsonWriter.write(e.spec()), Map.class));
    if (e.status() != null) {
      ObjectNode status = ProtoJsonWriter.write(e.status());
      o.setAdditionalProperty("status", JSON.convertValue(status, Map.class));
    }
    return o;
  }

  private static void read(
      GenericKubernetesResource o, String field, com.google.protobuf.Message.Builder into) {
    Object raw = o.getAdditionalProperties().get(field);
    if (raw == null) {
      return;
    }
    JsonNode json = JSON.valueToTree(raw);
    try {
      ProtoJsonReader.merge(json, into, field);
    } catch (SpecConversionException e) {
      throw new IllegalArgumentException(
          o.getKind()
              + " "
              + o.getMetadata().getNamespace()
              + "/"
              + o.getMetadata().getName()
              + ": "
              + e.getMessage(),
          e);
    }
  }
}

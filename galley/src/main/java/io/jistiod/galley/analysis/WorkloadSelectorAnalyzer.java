package io.jistiod.galley.analysis;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.jistiod.galley.api.networking.v1alpha3.Gateway;
import io.jistiod.galley.api.networking.v1alpha3.WorkloadEntry;
import io.jistiod.galley.api.security.v1beta1.AuthorizationPolicy;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.IstioKinds;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * A workload selector that matches no running workload: the resource applies to nothing, usually
 * because of a typo in a label. Covers every kind with a selector ({@code spec.selector} or {@code
 * spec.workloadSelector}). Workloads are the pods the registries know plus WorkloadEntries; in the
 * root namespace, and for Gateways, in every namespace, elsewhere in the resource's own. Istio's
 * code is IST0127, and IST0101 (reference type {@code selector}) for Gateways. As istioctl analyze,
 * an AuthorizationPolicy without a selector (or with an empty one) outside the root namespace is
 * reported too when its namespace has no workload at all. Needs the registries' view; without it
 * nothing is reported.
 */
public final class WorkloadSelectorAnalyzer implements Analyzer {

  @Override
  public String name() {
    return "selector.WorkloadSelectorAnalyzer";
  }

  @Override
  public List<AnalysisMessage> analyze(Config object, AnalysisContext context) {
    if (context.mesh().isEmpty()) {
      return List.of();
    }
    Selector selector = selector(object.spec());
    if (selector == null || selector.labels().isEmpty()) {
      // no selector: applies to every workload in scope; an AuthorizationPolicy of a namespace
      // without any workload applies to nothing, which istiod's analyzer reports
      return namespaceWidePolicyWithoutWorkloads(object, context)
          ? List.of(
              new AnalysisMessage(
                  MessageType.NO_MATCHING_WORKLOADS_FOUND,
                  object.key(),
                  "",
                  "No matching workloads for this resource with the following labels: "))
          : List.of();
    }
    boolean gateway = object.spec() instanceof Gateway;
    String scope =
        gateway || object.namespace().equals(context.rootNamespace()) ? null : object.namespace();
    List<Map<String, String>> workloads =
        new ArrayList<>(context.mesh().get().workloadLabels(scope));
    for (Config c : context.config().list(IstioKinds.WORKLOAD_ENTRY, scope)) {
      workloads.add(c.spec(WorkloadEntry.class).getLabelsMap());
    }
    for (Map<String, String> labels : workloads) {
      if (labels.entrySet().containsAll(selector.labels().entrySet())) {
        return List.of();
      }
    }
    String labels =
        new TreeMap<>(selector.labels())
            .entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(","));
    if (gateway) {
      return List.of(
          new AnalysisMessage(
              MessageType.REFERENCED_RESOURCE_NOT_FOUND,
              object.key(),
              selector.field(),
              "Referenced selector not found: \"" + labels + "\""));
    }
    return List.of(
        new AnalysisMessage(
            MessageType.NO_MATCHING_WORKLOADS_FOUND,
            object.key(),
            selector.field(),
            "No matching workloads for this resource with the following labels: " + labels));
  }

  /**
   * A selector-less AuthorizationPolicy outside the root namespace, in a namespace of no workload.
   */
  private static boolean namespaceWidePolicyWithoutWorkloads(
      Config object, AnalysisContext context) {
    if (!(object.spec() instanceof AuthorizationPolicy)
        || object.namespace().equals(context.rootNamespace())) {
      return false;
    }
    return context.mesh().get().workloadLabels(object.namespace()).isEmpty()
        && context.config().list(IstioKinds.WORKLOAD_ENTRY, object.namespace()).isEmpty();
  }

  record Selector(String field, Map<String, String> labels) {}

  /**
   * The spec's selector: {@code selector} (Gateway: a label map; security, telemetry and extension
   * kinds: {@code matchLabels}) or {@code workloadSelector} ({@code labels} or {@code
   * matchLabels}). Null when the kind has none or it is unset.
   */
  static Selector selector(Message spec) {
    Descriptor type = spec.getDescriptorForType();
    for (String name : List.of("selector", "workload_selector")) {
      FieldDescriptor field = type.findFieldByName(name);
      if (field == null) {
        continue;
      }
      String path = "spec." + field.getJsonName();
      if (field.isMapField()) {
        return new Selector(path, labels(spec, field));
      }
      if (field.getJavaType() != FieldDescriptor.JavaType.MESSAGE || !spec.hasField(field)) {
        return null;
      }
      Message inner = (Message) spec.getField(field);
      for (String mapName : List.of("match_labels", "labels")) {
        FieldDescriptor map = inner.getDescriptorForType().findFieldByName(mapName);
        if (map != null && map.isMapField()) {
          return new Selector(path + "." + map.getJsonName(), labels(inner, map));
        }
      }
      return null;
    }
    return null;
  }

  private static Map<String, String> labels(Message owner, FieldDescriptor map) {
    Map<String, String> out = new TreeMap<>();
    for (Object entry : (List<?>) owner.getField(map)) {
      Message e = (Message) entry;
      Descriptor d = e.getDescriptorForType();
      out.put(
          String.valueOf(e.getField(d.findFieldByName("key"))),
          String.valueOf(e.getField(d.findFieldByName("value"))));
    }
    return out;
  }
}

package io.jistiod.istiod.autoregistration;

import com.google.protobuf.Value;
import io.jistiod.galley.api.networking.v1alpha3.WorkloadEntry;
import io.jistiod.galley.api.networking.v1alpha3.WorkloadGroup;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Proxy;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The WorkloadEntry istiod creates for a VM that connects naming a WorkloadGroup (node metadata
 * {@code AUTO_REGISTER_GROUP}): pure functions of the proxy and the group.
 */
public final class AutoRegisteredEntries {
  /** Kubernetes' limit on an object name. */
  static final int MAX_NAME = 253;

  /** A label the agent may send, whose value ({@code region/zone}) is no valid label value. */
  private static final String LOCALITY_LABEL = "istio-locality";

  private AutoRegisteredEntries() {}

  /** The group the proxy asks to be registered in, if any. */
  public static Optional<String> groupOf(Proxy proxy) {
    Value v = proxy.metadata().raw().getFieldsMap().get("AUTO_REGISTER_GROUP");
    return v == null || !v.hasStringValue() || v.getStringValue().isEmpty()
        ? Optional.empty()
        : Optional.of(v.getStringValue());
  }

  /**
   * The entry's name: group, first IP (colons as dashes) and network, joined by dashes; its last
   * 253 characters when longer. Empty when the proxy has no namespace in its metadata.
   */
  public static Optional<String> name(Proxy proxy, String group) {
    if (proxy.ipAddresses().isEmpty() || proxy.metadata().namespace().isEmpty()) {
      return Optional.empty();
    }
    StringBuilder name =
        new StringBuilder(group).append('-').append(proxy.ipAddresses().get(0).replace(':', '-'));
    if (!proxy.metadata().network().isEmpty()) {
      name.append('-').append(proxy.metadata().network());
    }
    String n = name.toString();
    return Optional.of(n.length() > MAX_NAME ? n.substring(n.length() - MAX_NAME) : n);
  }

  /**
   * The entry for {@code proxy} from {@code group}'s template, before the connection stamps: the
   * proxy's first IP as address; labels of the template, then the group's metadata, then the
   * proxy's (without {@code istio-locality}); the proxy's network and node locality when it has
   * them; the group named in an annotation, with the group's metadata annotations; health checks
   * enabled when the agent probes (its PROXY_CONFIG has a readinessProbe); owned by the group.
   *
   * @param nodeHasLocality whether the node carried a locality: even an empty one replaces the
   *     template's
   */
  public static EntryObject fromGroup(
      String name, Proxy proxy, boolean nodeHasLocality, GroupObject group) {
    WorkloadGroup g = group.spec();
    WorkloadEntry.Builder spec = g.getTemplate().toBuilder();
    spec.setAddress(proxy.ipAddresses().get(0));
    Map<String, String> labels = new LinkedHashMap<>(spec.getLabelsMap());
    labels.putAll(g.getMetadata().getLabelsMap());
    if (proxy.metadata().raw().containsFields("LABELS")) {
      labels.putAll(proxy.metadata().labels());
      labels.remove(LOCALITY_LABEL); // the locality field says it
    }
    spec.clearLabels().putAllLabels(labels);
    if (!proxy.metadata().network().isEmpty()) {
      spec.setNetwork(proxy.metadata().network());
    }
    if (nodeHasLocality) {
      spec.setLocality(localityString(proxy.locality()));
    }
    Map<String, String> annotations = new LinkedHashMap<>();
    annotations.put(WorkloadEntryAnnotations.AUTO_REGISTRATION_GROUP, group.name());
    annotations.putAll(g.getMetadata().getAnnotationsMap());
    if (probes(proxy)) {
      annotations.put(WorkloadEntryAnnotations.HEALTH_CHECKS_ENABLED, "true");
    }
    return new EntryObject(
        proxy.metadata().namespace(),
        name,
        labels,
        annotations,
        new EntryObject.Owner(group.apiVersion(), "WorkloadGroup", group.name(), group.uid()),
        spec.build(),
        null,
        "");
  }

  /** {@code region/zone/subzone}, stopping at the first empty part. */
  static String localityString(Locality l) {
    String out = l.region();
    if (l.zone().isEmpty()) {
      return out;
    }
    out += "/" + l.zone();
    return l.subzone().isEmpty() ? out : out + "/" + l.subzone();
  }

  /** Whether the agent's PROXY_CONFIG has a readiness probe (from the group's probe). */
  static boolean probes(Proxy proxy) {
    Value config = proxy.metadata().raw().getFieldsMap().get("PROXY_CONFIG");
    if (config == null || !config.hasStructValue()) {
      return false;
    }
    var fields = config.getStructValue().getFieldsMap();
    return present(fields.get("readinessProbe")) || present(fields.get("readiness_probe"));
  }

  private static boolean present(Value v) {
    return v != null && !v.hasNullValue();
  }
}

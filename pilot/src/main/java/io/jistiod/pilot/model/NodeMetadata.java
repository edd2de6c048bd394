package io.jistiod.pilot.model;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The node metadata keys istiod reads, decoded from the {@code node.metadata} Struct that
 * pilot-agent (or a gRPC bootstrap) sends. Unknown keys are kept in {@link #raw()}.
 *
 * <p>pilot-agent encodes lists as comma-joined strings and booleans as strings; both are accepted.
 */
public record NodeMetadata(
    String generator,
    String namespace,
    String clusterId,
    String istioVersion,
    String serviceAccount,
    String workloadName,
    String network,
    List<String> instanceIps,
    Map<String, String> labels,
    Struct raw) {

  public NodeMetadata {
    instanceIps = List.copyOf(instanceIps);
    labels = Map.copyOf(labels);
  }

  /** Decodes the metadata; a value of the wrong shape is an error naming the key. */
  public static NodeMetadata from(Struct metadata) throws NodeParseException {
    Map<String, Value> f = metadata.getFieldsMap();
    String ips = string(f, "INSTANCE_IPS");
    return new NodeMetadata(
        string(f, "GENERATOR"),
        string(f, "NAMESPACE"),
        string(f, "CLUSTER_ID"),
        string(f, "ISTIO_VERSION"),
        string(f, "SERVICE_ACCOUNT"),
        string(f, "WORKLOAD_NAME"),
        string(f, "NETWORK"),
        ips.isEmpty() ? List.of() : List.of(ips.split(",")),
        stringMap(f, "LABELS"),
        metadata);
  }

  private static String string(Map<String, Value> fields, String key) throws NodeParseException {
    Value v = fields.get(key);
    if (v == null || v.hasNullValue()) {
      return "";
    }
    switch (v.getKindCase()) {
      case STRING_VALUE:
        return v.getStringValue();
      case BOOL_VALUE:
        return Boolean.toString(v.getBoolValue());
      case NUMBER_VALUE:
        double d = v.getNumberValue();
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
      default:
        throw new NodeParseException("node metadata " + key + ": expected a string");
    }
  }

  private static Map<String, String> stringMap(Map<String, Value> fields, String key)
      throws NodeParseException {
    Value v = fields.get(key);
    if (v == null || v.hasNullValue()) {
      return Map.of();
    }
    if (!v.hasStructValue()) {
      throw new NodeParseException("node metadata " + key + ": expected a map of strings");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (var e : v.getStructValue().getFieldsMap().entrySet()) {
      if (!e.getValue().hasStringValue()) {
        throw new NodeParseException(
            "node metadata " + key + "[" + e.getKey() + "]: expected a string");
      }
      out.put(e.getKey(), e.getValue().getStringValue());
    }
    return out;
  }
}

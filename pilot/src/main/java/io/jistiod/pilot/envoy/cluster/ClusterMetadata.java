package io.jistiod.pilot.envoy.cluster;

import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServiceAttributes;
import java.util.List;

/**
 * The {@code istio} filter metadata istiod puts on clusters, which Istio's telemetry and the
 * tooling read: the services behind the cluster, the DestinationRule that shaped it, its subset,
 * whether it leaves the mesh, and {@code alpn_override: "false"} when the rule originates TLS.
 */
final class ClusterMetadata {
  private ClusterMetadata() {}

  static final String ISTIO = "istio";

  static Struct.Builder istio(Cluster.Builder c) {
    var md = c.getMetadataBuilder();
    if (!md.containsFilterMetadata(ISTIO)) {
      md.putFilterMetadata(ISTIO, Struct.getDefaultInstance());
    }
    return md.getFilterMetadataMap().get(ISTIO).toBuilder();
  }

  static void put(Cluster.Builder c, String key, Value value) {
    Struct.Builder s = istio(c);
    s.putFields(key, value);
    c.getMetadataBuilder().putFilterMetadata(ISTIO, s.build());
  }

  /** {@code services: [{host, name, namespace}]}. */
  static void services(Cluster.Builder c, List<Service> services) {
    ListValue.Builder list = ListValue.newBuilder();
    for (Service s : services) {
      list.addValues(
          Value.newBuilder()
              .setStructValue(
                  Struct.newBuilder()
                      .putFields("host", string(s.hostname()))
                      .putFields("name", string(shortName(s)))
                      .putFields("namespace", string(s.namespace()))));
    }
    put(c, "services", Value.newBuilder().setListValue(list).build());
  }

  /** A ServiceEntry host is its own name in istiod's model; a Kubernetes Service has its name. */
  static String shortName(Service s) {
    return ServiceAttributes.EXTERNAL.equals(s.attributes().registry())
        ? s.hostname()
        : s.attributes().name();
  }

  /** {@code config: /apis/networking.istio.io/v1/namespaces/NS/destination-rule/NAME}. */
  static void destinationRule(Cluster.Builder c, Config rule) {
    put(
        c,
        "config",
        string(
            "/apis/networking.istio.io/v1/namespaces/"
                + rule.namespace()
                + "/destination-rule/"
                + rule.name()));
  }

  static Value string(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }

  static Value bool(boolean b) {
    return Value.newBuilder().setBoolValue(b).build();
  }
}

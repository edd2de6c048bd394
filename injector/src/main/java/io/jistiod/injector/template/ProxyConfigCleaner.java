package io.jistiod.injector.template;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Duration;
import com.google.protobuf.Message;
import java.util.Map;

/**
 * Istio's cleanProxyConfig before protoToJSON: fields equal to mesh.DefaultProxyConfig() are
 * dropped so the injected PROXY_CONFIG stays small. Other messages pass through unchanged.
 */
final class ProxyConfigCleaner {
  private static final String PROXY_CONFIG = "istio.mesh.v1alpha1.ProxyConfig";

  /** Defaults of scalar and duration fields, by proto field name. */
  private static final Map<String, Object> DEFAULTS =
      Map.of(
          "config_path",
          "./etc/istio/proxy",
          "binary_path",
          "/usr/local/bin/envoy",
          "service_cluster",
          "istio-proxy",
          "drain_duration",
          Duration.newBuilder().setSeconds(45).build(),
          "termination_drain_duration",
          Duration.newBuilder().setSeconds(5).build(),
          "discovery_address",
          "istiod.istio-system.svc:15012",
          "proxy_admin_port",
          15000,
          "stat_name_length",
          189,
          "status_port",
          15020);

  private ProxyConfigCleaner() {}

  static Message clean(Message msg) {
    if (msg == null || !msg.getDescriptorForType().getFullName().equals(PROXY_CONFIG)) {
      return msg;
    }
    Message.Builder b = msg.toBuilder();
    for (Map.Entry<String, Object> d : DEFAULTS.entrySet()) {
      FieldDescriptor f = msg.getDescriptorForType().findFieldByName(d.getKey());
      if (f == null || !msg.hasField(f)) {
        continue;
      }
      if (msg.getField(f).equals(d.getValue())) {
        b.clearField(f);
      }
    }
    FieldDescriptor auth = msg.getDescriptorForType().findFieldByName("control_plane_auth_policy");
    if (auth != null
        && ((com.google.protobuf.Descriptors.EnumValueDescriptor) msg.getField(auth))
            .getName()
            .equals("MUTUAL_TLS")) {
      b.clearField(auth);
    }
    return b.build();
  }
}

package io.jistiod.istiod.autoregistration;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.jistiod.galley.api.networking.v1alpha3.WorkloadEntry;
import io.jistiod.galley.api.networking.v1alpha3.WorkloadGroup;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.xds.StreamLifecycle;
import io.jistiod.pilot.xds.XdsCaller;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/** VM proxies and WorkloadGroups as pilot-agent and a user would send and write them. */
final class Vms {
  private Vms() {}

  static Value str(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }

  /** The metadata pilot-agent sends for a VM of group {@code group} in namespace vm-ns. */
  static Struct.Builder metadata(String group, String ip) {
    return Struct.newBuilder()
        .putFields("AUTO_REGISTER_GROUP", str(group))
        .putFields("NAMESPACE", str("vm-ns"))
        .putFields("INSTANCE_IPS", str(ip))
        .putFields("SERVICE_ACCOUNT", str("vm-sa"))
        .putFields("NETWORK", str("vm-net"))
        .putFields(
            "LABELS",
            Value.newBuilder()
                .setStructValue(
                    Struct.newBuilder()
                        .putFields("app", str("ratings"))
                        .putFields("istio-locality", str("r1.z1"))
                        .putFields("version", str("v2")))
                .build());
  }

  static Proxy proxy(Struct.Builder metadata, String ip, Locality locality) {
    try {
      return Proxy.fromNode(
          "sidecar~" + ip + "~vm-1.vm-ns~vm-ns.svc.cluster.local", metadata.build(), locality);
    } catch (io.jistiod.pilot.model.NodeParseException e) {
      throw new AssertionError(e);
    }
  }

  static StreamLifecycle.Stream stream(String id, Proxy proxy, Instant at, String sa) {
    return new StreamLifecycle.Stream(
        id, proxy, true, at, Optional.of(new XdsCaller.Identity("cluster.local", "vm-ns", sa)));
  }

  static GroupObject group(String name) {
    return new GroupObject(
        "vm-ns",
        name,
        "uid-" + name,
        "networking.istio.io/v1",
        WorkloadGroup.newBuilder()
            .setMetadata(
                WorkloadGroup.ObjectMeta.newBuilder()
                    .putLabels("app", "from-group")
                    .putLabels("team", "a")
                    .putAnnotations("example.com/owner", "team-a"))
            .setTemplate(
                WorkloadEntry.newBuilder()
                    .setServiceAccount("vm-sa")
                    .setNetwork("template-net")
                    .setLocality("template/locality")
                    .setWeight(3)
                    .putPorts("http", 8080)
                    .putLabels("app", "from-template")
                    .putLabels("tier", "backend"))
            .build());
  }

  static Map<String, String> map(String... kv) {
    Map<String, String> m = new java.util.TreeMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }
}

package io.jistiod.galley.mesh;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.BoolValue;
import com.google.protobuf.Duration;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.parse.KubeYaml;
import io.jistiod.galley.parse.ProtoJsonReader;
import io.jistiod.galley.parse.SpecConversionException;
import io.jistiod.galley.parse.UnknownFields;
import io.jistiod.galley.parse.YamlException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * MeshConfig as istiod reads it: the user's YAML (the {@code mesh} key of the {@code istio}
 * ConfigMap, mounted at {@code /etc/istio/config/mesh}) applied over istiod's defaults, so a file
 * that sets one field keeps every other default.
 */
public final class MeshConfigs {
  private static final Logger log = LoggerFactory.getLogger(MeshConfigs.class);

  private MeshConfigs() {}

  /** The defaults istiod applies when the mesh config leaves a field out. */
  public static MeshConfig defaults() {
    return MeshConfig.newBuilder()
        .setProxyListenPort(15001)
        .setProxyInboundListenPort(15006)
        .setConnectTimeout(Duration.newBuilder().setSeconds(10))
        .setProtocolDetectionTimeout(Duration.getDefaultInstance())
        .setIngressClass("istio")
        .setIngressService("istio-ingressgateway")
        .setIngressControllerMode(MeshConfig.IngressControllerMode.STRICT)
        .setEnableTracing(true)
        .setAccessLogFile("")
        .setOutboundTrafficPolicy(
            MeshConfig.OutboundTrafficPolicy.newBuilder()
                .setMode(MeshConfig.OutboundTrafficPolicy.Mode.ALLOW_ANY))
        .setEnableAutoMtls(BoolValue.of(true))
        .setTrustDomain("cluster.local")
        .setRootNamespace("istio-system")
        .addDefaultServiceExportTo("*")
        .addDefaultVirtualServiceExportTo("*")
        .addDefaultDestinationRuleExportTo("*")
        .setDnsRefreshRate(Duration.newBuilder().setSeconds(60))
        .build();
  }

  /**
   * The defaults with {@code yaml} applied over them. Repeated fields the YAML sets replace the
   * defaults' lists rather than appending to them.
   *
   * @param source names the input in errors, e.g. the file path
   * @throws IllegalArgumentException naming the source and field path if the YAML does not fit
   */
  public static MeshConfig parse(String yaml, String source) {
    return parse(yaml, source, defaults());
  }

  /**
   * As {@link #parse(String, String)}, over {@code base} instead of the defaults: how istiod layers
   * its sources ({@code SHARED_MESH_CONFIG}'s ConfigMap first, then the mesh file or ConfigMap).
   */
  public static MeshConfig parse(String yaml, String source, MeshConfig base) {
    JsonNode json;
    try {
      // As Istio applies it: YAML to JSON the Kubernetes way (sigs.k8s.io/yaml), then JSON.
      json = KubeYaml.read(yaml);
    } catch (YamlException e) {
      throw new IllegalArgumentException(source + ": not valid YAML: " + e.getMessage());
    }
    MeshConfig.Builder b = base.toBuilder();
    if (json == null || json.isNull() || json.isMissingNode()) {
      return b.build();
    }
    if (!json.isObject()) {
      throw new IllegalArgumentException(source + ": expected a mapping of MeshConfig fields");
    }
    for (var it = json.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      var type = b.getDescriptorForType();
      var field = type.findFieldByName(name);
      if (field == null) {
        field =
            type.getFields().stream()
                .filter(f -> f.getJsonName().equals(name))
                .findFirst()
                .orElse(null);
      }
      if (field != null && field.isRepeated()) {
        b.clearField(field);
      }
    }
    // As istiod (protomarshal.ApplyYAML): fields this build does not know are ignored, with a
    // warning, so a mesh config written for a newer Istio still loads.
    for (String field : UnknownFields.strip(json, b.getDescriptorForType())) {
      log.warn("{}: ignoring unknown MeshConfig field {}", source, field);
    }
    try {
      ProtoJsonReader.merge(json, b, "");
    } catch (SpecConversionException e) {
      throw new IllegalArgumentException(source + ": " + e.getMessage());
    }
    // istiod keeps the aliases as a sorted set (mesh.ApplyMeshConfig): the order users write them
    // in never shows in the SAN matchers and RBAC principals built from them.
    List<String> aliases = List.copyOf(new TreeSet<>(b.getTrustDomainAliasesList()));
    b.clearTrustDomainAliases().addAllTrustDomainAliases(aliases);
    return b.build();
  }

  /** Reads {@code path} with {@link #parse}; a missing file yields the defaults. */
  public static MeshConfig load(Path path) throws IOException {
    if (path == null || !Files.exists(path)) {
      return defaults();
    }
    return parse(Files.readString(path), path.toString());
  }
}

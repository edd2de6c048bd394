package io.jistiod.injector;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.BoolValue;
import com.google.protobuf.Duration;
import io.jistiod.galley.api.mesh.v1alpha1.AuthenticationPolicy;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.api.mesh.v1alpha1.ProxyConfig;
import io.jistiod.galley.parse.KubeYaml;
import io.jistiod.galley.parse.ProtoJsonReader;
import io.jistiod.galley.parse.SpecConversionException;
import io.jistiod.galley.parse.UnknownFields;
import io.jistiod.galley.parse.YamlException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The layers of the ProxyConfig an injected pod gets: istiod's code defaults under the mesh's
 * {@code defaultConfig}, and the pod's {@code proxy.istio.io/config} annotation applied over a
 * ProxyConfig. {@link ProxyConfigResources} adds the ProxyConfig resources between the two.
 */
public final class ProxyConfigs {
  public static final String ANNOTATION = "proxy.istio.io/config";

  private ProxyConfigs() {}

  /** istiod's {@code mesh.DefaultProxyConfig()}. */
  public static ProxyConfig defaults() {
    return ProxyConfig.newBuilder()
        .setConfigPath("./etc/istio/proxy")
        .setServiceCluster("istio-proxy")
        .setDrainDuration(Duration.newBuilder().setSeconds(45))
        .setTerminationDrainDuration(Duration.newBuilder().setSeconds(5))
        .setProxyAdminPort(15000)
        .setControlPlaneAuthPolicy(AuthenticationPolicy.MUTUAL_TLS)
        .setDiscoveryAddress("istiod.istio-system.svc:15012")
        .setBinaryPath("/usr/local/bin/envoy")
        .setStatNameLength(189)
        .setStatusPort(15020)
        .build();
  }

  /**
   * The mesh as the injector sees it: the proxy defaults under {@code defaultConfig}, and the
   * defaults istiod has that jistiod's mesh reader leaves unset (prometheus merge on, inbound
   * traffic passthrough).
   */
  public static MeshConfig completeMesh(MeshConfig mesh) {
    MeshConfig.Builder b = mesh.toBuilder();
    b.setDefaultConfig(defaults().toBuilder().mergeFrom(mesh.getDefaultConfig()));
    if (!mesh.hasEnablePrometheusMerge()) {
      b.setEnablePrometheusMerge(BoolValue.of(true));
    }
    return b.build();
  }

  /**
   * {@code base} with the YAML of a {@code proxy.istio.io/config} annotation applied: fields it
   * sets replace, {@code proxyMetadata} entries are added to the mesh's.
   *
   * @throws InjectionException when the annotation is not a ProxyConfig
   */
  public static ProxyConfig apply(ProxyConfig base, String yaml) throws InjectionException {
    JsonNode json;
    try {
      json = KubeYaml.read(yaml);
    } catch (YamlException e) {
      throw new InjectionException("could not parse proxy config: " + e.getMessage());
    }
    if (json == null || json.isNull() || json.isMissingNode()) {
      return base;
    }
    if (!json.isObject()) {
      throw new InjectionException("could not parse proxy config: expected a mapping");
    }
    Map<String, String> metadata = new LinkedHashMap<>(base.getProxyMetadataMap());
    ProxyConfig.Builder b = base.toBuilder();
    // Repeated fields and maps the annotation sets replace the mesh's, as JSON decoding does.
    for (var it = json.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      var field =
          b.getDescriptorForType().getFields().stream()
              .filter(f -> f.getJsonName().equals(name) || f.getName().equals(name))
              .findFirst()
              .orElse(null);
      if (field != null && field.isRepeated()) {
        b.clearField(field);
      }
    }
    // istiod's protomarshal.ApplyYAML ignores fields it does not know (a newer Istio's, say)
    UnknownFields.strip(json, b.getDescriptorForType());
    try {
      ProtoJsonReader.merge(json, b, "");
    } catch (SpecConversionException e) {
      throw new InjectionException("could not parse proxy config: " + e.getMessage());
    }
    metadata.putAll(b.getProxyMetadataMap());
    b.clearProxyMetadata().putAllProxyMetadata(metadata);
    return b.build();
  }
}

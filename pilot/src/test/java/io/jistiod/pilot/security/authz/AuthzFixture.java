package io.jistiod.pilot.security.authz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.mesh.MeshConfigs;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.galley.parse.ParseResult;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.NodeMetadata;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.model.Service;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** Policies from YAML, a proxy with labels, and filters printed as JSON for assertions. */
final class AuthzFixture {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonFormat.Printer PRINTER =
      JsonFormat.printer()
          .usingTypeRegistry(
              JsonFormat.TypeRegistry.newBuilder()
                  .add(io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.getDescriptor())
                  .add(io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.getDescriptor())
                  .add(
                      io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz
                          .getDescriptor())
                  .add(
                      io.envoyproxy.envoy.extensions.filters.network.ext_authz.v3.ExtAuthz
                          .getDescriptor())
                  .add(
                      io.envoyproxy.envoy.extensions.path.match.uri_template.v3
                          .UriTemplateMatchConfig.getDescriptor())
                  .build());

  private AuthzFixture() {}

  static List<Config> policies(String yaml) {
    ParseResult r = new ConfigParser(IstioKinds.ALL, "default").parse(yaml, "test.yaml");
    if (!r.errors().isEmpty()) {
      throw new IllegalArgumentException(r.errors().toString());
    }
    return r.configs();
  }

  static MeshConfig mesh(String yaml) {
    return yaml.isEmpty() ? MeshConfigs.defaults() : MeshConfigs.parse(yaml, "mesh.yaml");
  }

  static PolicyIndex index(String yaml) {
    return index(yaml, "", h -> null);
  }

  static PolicyIndex index(String yaml, String meshYaml, Function<String, Service> services) {
    MeshConfig mesh = mesh(meshYaml);
    return new PolicyIndex(mesh.getRootNamespace(), policies(yaml), mesh, services);
  }

  static Proxy proxy(String namespace, Map<String, String> labels) {
    NodeMetadata md =
        new NodeMetadata(
            "",
            namespace,
            "Kubernetes",
            "1.27.0",
            "sa",
            "wl",
            "",
            List.of("10.244.0.1"),
            labels,
            Struct.getDefaultInstance());
    return new Proxy(
        Proxy.NodeType.SIDECAR,
        List.of("10.244.0.1"),
        "pod." + namespace,
        namespace + ".svc.cluster.local",
        namespace,
        Locality.UNKNOWN,
        md);
  }

  static JsonNode json(Message m) {
    try {
      return JSON.readTree(PRINTER.print(m));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static JsonNode json(List<? extends Message> ms) {
    var arr = JSON.createArrayNode();
    ms.forEach(m -> arr.add(json(m)));
    return arr;
  }
}

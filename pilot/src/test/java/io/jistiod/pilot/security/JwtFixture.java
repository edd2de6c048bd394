package io.jistiod.pilot.security;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.config.MemoryConfigStore;
import io.jistiod.galley.mesh.MeshConfigs;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.galley.parse.ParseResult;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.push.PushContextBuilder;
import io.jistiod.pilot.push.PushRequest;
import io.jistiod.pilot.serviceentry.ServiceEntryRegistry;
import java.util.List;
import java.util.Map;

/** Push contexts from RequestAuthentication YAML, proxies, and the jwt_authn config they get. */
final class JwtFixture {
  static final String NS = "app";

  private JwtFixture() {}

  static PushContext push(JwksSource jwks, String... yaml) {
    MemoryConfigStore store = new MemoryConfigStore();
    ConfigParser parser = new ConfigParser(IstioKinds.ALL, NS);
    for (String doc : yaml) {
      ParseResult r = parser.parse(doc, "test");
      if (!r.errors().isEmpty()) {
        throw new IllegalArgumentException(r.errors().toString());
      }
      r.configs().forEach(store::put);
    }
    store.markSynced();
    return new PushContextBuilder(
            store, List.of(new ServiceEntryRegistry(store)), "cluster.local", MeshConfigs::defaults)
        .jwks(jwks)
        .build(null, PushRequest.fullForAll("test", System.nanoTime()));
  }

  static PushContext push(String... yaml) {
    return push(JwksSource.NONE, yaml);
  }

  static Proxy sidecar(String namespace, Map<String, String> labels) {
    return proxy("sidecar", namespace, labels);
  }

  static Proxy proxy(String type, String namespace, Map<String, String> labels) {
    Struct.Builder l = Struct.newBuilder();
    labels.forEach((k, v) -> l.putFields(k, Value.newBuilder().setStringValue(v).build()));
    Struct md =
        Struct.newBuilder()
            .putFields("NAMESPACE", Value.newBuilder().setStringValue(namespace).build())
            .putFields("LABELS", Value.newBuilder().setStructValue(l).build())
            .build();
    try {
      return Proxy.fromNode(
          type + "~10.1.0.5~pod-1." + namespace + "~" + namespace + ".svc.cluster.local",
          md,
          Locality.UNKNOWN);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The proxy's jwt_authn config, or null when it gets no filter. */
  static JwtAuthentication jwtAuthn(PushContext push, Proxy proxy) {
    List<HttpFilter> filters = RequestAuthentications.httpFilters(push, proxy);
    if (filters.isEmpty()) {
      return null;
    }
    if (filters.size() != 1 || !filters.get(0).getName().equals("envoy.filters.http.jwt_authn")) {
      throw new AssertionError("expected only jwt_authn: " + filters);
    }
    try {
      return filters.get(0).getTypedConfig().unpack(JwtAuthentication.class);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  static String requestAuthentication(String namespace, String name, String spec) {
    return """
        apiVersion: security.istio.io/v1
        kind: RequestAuthentication
        metadata: {name: %s, namespace: %s}
        spec:
        %s
        """
        .formatted(name, namespace, spec.indent(2));
  }
}

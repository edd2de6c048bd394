package io.jistiod.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Any;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.jistiod.it.support.EnvoyValidator;
import io.jistiod.it.support.EnvoyValidator.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every resource in pilot's golden files satisfies Envoy's own proto constraints
 * (go-control-plane's ValidateAll, through {@link EnvoyValidator}), including the typed configs
 * nested in Any fields. pilot's GoldenScenarioTest fails unless those files are exactly what the
 * generators produce for each scenario, so together the two prove that the generated config is
 * valid for Envoy.
 */
class GoldenEnvoyConstraintsTest {
  private static final Path GOLDEN = Path.of("../pilot/src/test/resources/golden");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, Supplier<Message.Builder>> TYPES =
      Map.of(
          "lds", Listener::newBuilder,
          "cds", Cluster::newBuilder,
          "rds", RouteConfiguration::newBuilder,
          "eds", ClusterLoadAssignment::newBuilder,
          "sds", Secret::newBuilder);

  @Test
  void everyGoldenResourcePassesEnvoysValidation() throws Exception {
    List<Any> resources = new ArrayList<>();
    List<String> origins = new ArrayList<>();
    int files = 0;
    try (Stream<Path> walk = Files.walk(GOLDEN)) {
      for (Path f : walk.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
        String[] parts = f.getFileName().toString().split("\\.");
        Supplier<Message.Builder> type = TYPES.get(parts[parts.length - 2]);
        if (type == null) {
          continue;
        }
        files++;
        JsonNode array = JSON.readTree(f.toFile());
        JsonFormat.Parser parser = JsonFormat.parser().usingTypeRegistry(registryFor(array));
        for (JsonNode r : array) {
          Message.Builder b = type.get();
          parser.merge(r.toString(), b);
          resources.add(Any.pack(b.build()));
          origins.add(GOLDEN.relativize(f).toString());
        }
      }
    }
    assertThat(files).as("golden files found under " + GOLDEN.toAbsolutePath()).isPositive();

    List<Result> results = EnvoyValidator.get().validate(resources);
    EnvoyValidator.logWarnings(results);
    List<String> invalid = new ArrayList<>();
    for (Result r : results) {
      if (!r.ok()) {
        invalid.add(origins.get(r.index()) + ": " + r.describe());
      }
    }
    assertThat(invalid).as("resources breaking Envoy's constraints").isEmpty();
  }

  @Test
  void theCheckRejectsAnInvalidResource() throws Exception {
    // Negative control: a listener with no address and an empty filter chain filter name.
    Listener bad =
        Listener.newBuilder()
            .setName("broken")
            .addFilterChains(
                io.envoyproxy.envoy.config.listener.v3.FilterChain.newBuilder()
                    .addFilters(io.envoyproxy.envoy.config.listener.v3.Filter.newBuilder()))
            .build();
    List<Result> results = EnvoyValidator.get().validate(List.of(Any.pack(bad)));
    assertThat(results).singleElement().satisfies(r -> assertThat(r.ok()).isFalse());
  }

  /** The Any types a JSON resource names in "@type", resolved to the generated Java classes. */
  private static JsonFormat.TypeRegistry registryFor(JsonNode json) throws IOException {
    Set<String> types = new TreeSet<>();
    collectTypes(json, types);
    JsonFormat.TypeRegistry.Builder b = JsonFormat.TypeRegistry.newBuilder();
    for (String t : types) {
      b.add(descriptorOf(t.substring(t.lastIndexOf('/') + 1)));
    }
    return b.build();
  }

  private static void collectTypes(JsonNode node, Set<String> out) {
    if (node.isObject()) {
      if (node.path("@type").isTextual()) {
        out.add(node.get("@type").asText());
      }
      for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
        collectTypes(it.next(), out);
      }
    } else if (node.isArray()) {
      node.forEach(n -> collectTypes(n, out));
    }
  }

  private static com.google.protobuf.Descriptors.Descriptor descriptorOf(String protoType)
      throws IOException {
    var known = io.jistiod.pilot.envoy.patch.EnvoyTypes.forTypeUrl(protoType);
    if (known.isPresent()) {
      return known.get();
    }
    String javaName;
    if (protoType.startsWith("envoy.")) {
      javaName = "io.envoyproxy." + protoType;
    } else if (protoType.startsWith("xds.")) {
      javaName = "com.github." + protoType;
    } else if (protoType.startsWith("udpa.")) {
      javaName = "com.github.udpa." + protoType;
    } else if (protoType.startsWith("google.protobuf.")) {
      javaName = "com." + protoType;
    } else {
      throw new IOException("no Java class known for Any type " + protoType);
    }
    try {
      return (com.google.protobuf.Descriptors.Descriptor)
          Class.forName(javaName).getMethod("getDescriptor").invoke(null);
    } catch (ReflectiveOperationException e) {
      throw new IOException("no Java class " + javaName + " for Any type " + protoType, e);
    }
  }
}

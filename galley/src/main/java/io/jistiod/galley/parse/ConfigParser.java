package io.jistiod.galley.parse;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.Message;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.ConfigKind;
import io.jistiod.galley.config.ConfigMeta;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns Kubernetes-style YAML or JSON documents ({@code apiVersion}, {@code kind}, {@code
 * metadata}, {@code spec}, and {@code status} for kinds whose status istiod reads) into {@link
 * Config} objects.
 *
 * <p>A bad document costs only itself: every other document in the same input is still returned
 * (but after a document separator Kubernetes refuses, nothing further is read). Kinds this istiod
 * does not know are skipped silently (a config folder may hold other Kubernetes objects), as
 * Istio's file source does.
 */
public final class ConfigParser {

  private final List<ConfigKind> kinds;
  private final String defaultNamespace;

  public ConfigParser(Collection<ConfigKind> kinds, String defaultNamespace) {
    this.kinds = List.copyOf(kinds);
    this.defaultNamespace = defaultNamespace;
  }

  /**
   * Parses every document of {@code text} as Kubernetes reads YAML ({@link KubeYaml}); {@code
   * source} names it in errors (a file path), with the document's number when the text holds more
   * than one.
   */
  public ParseResult parse(String text, String source) {
    List<Config> configs = new ArrayList<>();
    List<ConfigError> errors = new ArrayList<>();
    List<KubeYaml.Document> docs = KubeYaml.documents(text, false);
    boolean numbered = docs.size() > 1 || (!docs.isEmpty() && docs.get(0).number() > 1);
    for (KubeYaml.Document doc : docs) {
      String where = numbered ? source + " (document " + doc.number() + ")" : source;
      if (doc.failed()) {
        errors.add(new ConfigError(where, "", "", "malformed YAML: " + doc.error()));
      } else if (!doc.empty()) {
        parseDocument(doc.value(), where, configs, errors);
      }
    }
    return new ParseResult(configs, errors);
  }

  /**
   * Parses one object already decoded from JSON (an admission request's object), without going
   * through YAML again; {@code source} names it in errors.
   */
  public ParseResult parse(JsonNode object, String source) {
    List<Config> configs = new ArrayList<>();
    List<ConfigError> errors = new ArrayList<>();
    if (object != null && !object.isNull() && !object.isMissingNode()) {
      parseDocument(object, source, configs, errors);
    }
    return new ParseResult(configs, errors);
  }

  private void parseDocument(
      JsonNode doc, String where, List<Config> configs, List<ConfigError> errors) {
    if (!doc.isObject()) {
      errors.add(
          new ConfigError(where, "", "", "expected a Kubernetes object, got " + doc.getNodeType()));
      return;
    }
    String apiVersion = doc.path("apiVersion").asText("");
    String kindName = doc.path("kind").asText("");
    if (apiVersion.isEmpty() || kindName.isEmpty()) {
      errors.add(
          new ConfigError(where, "", apiVersion.isEmpty() ? "apiVersion" : "kind", "missing"));
      return;
    }
    Optional<ConfigKind> kind = findKind(apiVersion, kindName);
    if (kind.isEmpty()) {
      return;
    }
    JsonNode metadata = doc.path("metadata");
    String name = metadata.path("name").asText("");
    String namespace = metadata.path("namespace").asText("");
    if (kind.get().clusterScoped()) {
      namespace = ""; // as the API server does: a cluster-scoped object has no namespace
    } else if (namespace.isEmpty()) {
      namespace = defaultNamespace;
    }
    String object = kindName + " " + namespace + "/" + (name.isEmpty() ? "<unnamed>" : name);
    if (name.isEmpty()) {
      errors.add(new ConfigError(where, object, "metadata.name", "missing"));
      return;
    }
    Message.Builder spec = kind.get().specPrototype().newBuilderForType();
    try {
      JsonNode specNode = doc.path("spec");
      if (!specNode.isMissingNode() && !specNode.isNull()) {
        ProtoJsonReader.merge(specNode, spec, "spec");
      }
      ConfigMeta meta =
          new ConfigMeta(
              kind.get(),
              name,
              namespace,
              stringMap(metadata.path("labels"), "metadata.labels"),
              stringMap(metadata.path("annotations"), "metadata.annotations"),
              metadata.path("resourceVersion").asText(""),
              metadata.path("generation").asLong(0),
              ConfigMeta.parseTimestamp(metadata.path("creationTimestamp").asText("")));
      configs.add(new Config(meta, spec.build(), status(kind.get(), doc, where, object, errors)));
    } catch (SpecConversionException e) {
      errors.add(new ConfigError(where, object, e.path(), e.reason()));
    } catch (RuntimeException e) {
      // A conversion bug must cost only this object, never the rest of the input.
      errors.add(new ConfigError(where, object, "spec", "cannot be converted: " + e));
    }
  }

  /**
   * The object's status for kinds whose status istiod reads, else null. Status is written by
   * controllers, not users, and istiod only merges into it, so a status that does not fit its
   * message is reported but does not cost the object: it is kept without status.
   */
  private static Message status(
      ConfigKind kind, JsonNode doc, String where, String object, List<ConfigError> errors) {
    JsonNode node = doc.path("status");
    if (kind.statusPrototype() == null || node.isMissingNode() || node.isNull()) {
      return null;
    }
    Message.Builder status = kind.statusPrototype().newBuilderForType();
    try {
      ProtoJsonReader.merge(node, status, "status");
      return status.build();
    } catch (SpecConversionException e) {
      errors.add(
          new ConfigError(
              where, object, e.path(), e.reason() + " (the object is kept without its status)"));
      return null;
    }
  }

  private Optional<ConfigKind> findKind(String apiVersion, String kindName) {
    for (ConfigKind k : kinds) {
      if (k.kind().equals(kindName) && k.servesApiVersion(apiVersion)) {
        return Optional.of(k);
      }
    }
    return Optional.empty();
  }

  private static Map<String, String> stringMap(JsonNode node, String path)
      throws SpecConversionException {
    if (node.isMissingNode() || node.isNull()) {
      return Map.of();
    }
    if (!node.isObject()) {
      throw new SpecConversionException(path, "expected a map of strings");
    }
    Map<String, String> out = new LinkedHashMap<>();
    var it = node.fields();
    while (it.hasNext()) {
      var e = it.next();
      if (!e.getValue().isValueNode()) {
        throw new SpecConversionException(path + "[" + e.getKey() + "]", "expected a string");
      }
      out.put(e.getKey(), e.getValue().asText());
    }
    return out;
  }
}

package io.jistiod.it.sidebyside;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.UnknownFieldSet;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Protobuf to JSON for xDS resources, whatever {@code Any} types they hold. Envoy's, xDS's and
 * protobuf's own types are resolved from the classpath by type name; types that are not there
 * (Istio's own filter configs such as {@code stats.PluginConfig} or {@code
 * io.istio.http.peer_metadata.Config}) are printed as {@code {"@type": url, "@unknownFields":
 * "<protobuf text of the raw fields>"}} instead of failing.
 */
public final class ProtoJson {
  private static final String MARK = "@jistiodUnknownType";
  private static final String STRUCT_URL = "type.googleapis.com/google.protobuf.Struct";
  private static final List<String> JAVA_PREFIXES =
      List.of("io.envoyproxy.", "com.github.xds.", "com.github.udpa.", "com.");
  private static final Map<String, Optional<Descriptor>> DESCRIPTORS = new ConcurrentHashMap<>();
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private ProtoJson() {}

  /** The resources as a JSON array, in the given order, each with its {@code @type}. */
  public static ArrayNode toJson(Collection<Any> resources) {
    ArrayNode out = JSON.createArrayNode();
    for (Any a : resources) {
      out.add(toJson(a));
    }
    return out;
  }

  public static JsonNode toJson(Any any) {
    try {
      Any known = (Any) rewriteAny(any);
      JsonFormat.TypeRegistry.Builder registry = JsonFormat.TypeRegistry.newBuilder();
      registry.add(Struct.getDescriptor());
      collect(known, registry);
      String json = JsonFormat.printer().usingTypeRegistry(registry.build()).print(known);
      return restoreUnknown(JSON.readTree(json));
    } catch (InvalidProtocolBufferException | JsonProcessingException e) {
      throw new IllegalStateException("cannot print " + any.getTypeUrl() + ": " + e, e);
    }
  }

  public static String pretty(JsonNode node) {
    try {
      return JSON.writeValueAsString(node) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The message type behind a type URL, if its Java class is on the classpath. */
  static Optional<Descriptor> descriptor(String typeUrl) {
    String type = typeUrl.substring(typeUrl.lastIndexOf('/') + 1);
    return DESCRIPTORS.computeIfAbsent(type, ProtoJson::lookup);
  }

  private static Optional<Descriptor> lookup(String type) {
    // Istio's Envoy build's own filter configs (istio.stats, istio.alpn): our copies of the protos
    Optional<Descriptor> istio = io.jistiod.pilot.envoy.patch.EnvoyTypes.forTypeUrl(type);
    if (istio.isPresent()) {
      return istio;
    }
    int dot = type.lastIndexOf('.');
    String pkg = type.substring(0, dot + 1);
    String simple = type.substring(dot + 1);
    for (String prefix : JAVA_PREFIXES) {
      try {
        Class<?> c = Class.forName(prefix + pkg + simple);
        if (Message.class.isAssignableFrom(c)) {
          Descriptor d = (Descriptor) c.getMethod("getDescriptor").invoke(null);
          if (d.getFullName().equals(type)) {
            return Optional.of(d);
          }
        }
      } catch (ReflectiveOperationException | LinkageError e) {
        // not this one
      }
    }
    return Optional.empty();
  }

  /**
   * Rewrites every Any in {@code m}: known types are decoded and rewritten recursively (so unknown
   * types nested in known ones are found), unknown types become a marked Struct.
   */
  private static Message rewriteAny(Message m) throws InvalidProtocolBufferException {
    if (!(m instanceof Any)
        && m.getDescriptorForType().getFullName().equals("google.protobuf.Any")) {
      m = Any.parseFrom(m.toByteString());
    }
    if (m instanceof Any any) {
      Optional<Descriptor> d = descriptor(any.getTypeUrl());
      if (d.isEmpty()) {
        UnknownFieldSet raw = UnknownFieldSet.parseFrom(any.getValue());
        Struct marked =
            Struct.newBuilder()
                .putFields(MARK, Value.newBuilder().setStringValue(any.getTypeUrl()).build())
                .putFields(
                    "fields", Value.newBuilder().setStringValue(raw.toString().strip()).build())
                .build();
        return Any.pack(marked);
      }
      DynamicMessage inner = DynamicMessage.parseFrom(d.get(), any.getValue());
      Message rewritten = rewriteFields(inner);
      return Any.newBuilder()
          .setTypeUrl(any.getTypeUrl())
          .setValue(rewritten.toByteString())
          .build();
    }
    return rewriteFields(m);
  }

  private static Message rewriteFields(Message m) throws InvalidProtocolBufferException {
    Message.Builder b = null;
    for (Map.Entry<FieldDescriptor, Object> e : m.getAllFields().entrySet()) {
      FieldDescriptor f = e.getKey();
      if (f.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        continue;
      }
      if (b == null) {
        b = m.toBuilder();
      }
      if (f.isRepeated()) {
        List<?> values = (List<?>) e.getValue();
        for (int i = 0; i < values.size(); i++) {
          b.setRepeatedField(f, i, rewriteAny((Message) values.get(i)));
        }
      } else {
        b.setField(f, rewriteAny((Message) e.getValue()));
      }
    }
    return b == null ? m : b.build();
  }

  private static void collect(Message m, JsonFormat.TypeRegistry.Builder registry)
      throws InvalidProtocolBufferException {
    if (m instanceof Any any) {
      Optional<Descriptor> d = descriptor(any.getTypeUrl());
      if (d.isPresent()) {
        registry.add(d.get());
        collect(DynamicMessage.parseFrom(d.get(), any.getValue()), registry);
      }
      return;
    }
    if (m instanceof DynamicMessage dm
        && dm.getDescriptorForType().getFullName().equals("google.protobuf.Any")) {
      collect(Any.parseFrom(dm.toByteString()), registry);
      return;
    }
    for (Map.Entry<FieldDescriptor, Object> e : m.getAllFields().entrySet()) {
      if (e.getKey().getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        continue;
      }
      if (e.getKey().isRepeated()) {
        for (Object o : (List<?>) e.getValue()) {
          collect((Message) o, registry);
        }
      } else {
        collect((Message) e.getValue(), registry);
      }
    }
  }

  /** Turns the marked Structs back into {"@type": url, "@unknownFields": text}. */
  private static JsonNode restoreUnknown(JsonNode n) {
    if (n.isObject()) {
      ObjectNode o = (ObjectNode) n;
      if (STRUCT_URL.equals(o.path("@type").asText()) && o.path("value").has(MARK)) {
        ObjectNode r = JSON.createObjectNode();
        r.put("@type", o.path("value").path(MARK).asText());
        r.put("@unknownFields", o.path("value").path("fields").asText());
        return r;
      }
      var names = o.fieldNames();
      List<String> keys = new java.util.ArrayList<>();
      names.forEachRemaining(keys::add);
      for (String k : keys) {
        o.set(k, restoreUnknown(o.get(k)));
      }
    } else if (n.isArray()) {
      ArrayNode a = (ArrayNode) n;
      for (int i = 0; i < a.size(); i++) {
        a.set(i, restoreUnknown(a.get(i)));
      }
    }
    return n;
  }
}

package io.jistiod.pilot.xds;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Envoy protos as JSON, the way Envoy's admin API and istiod's debug endpoints print them: every
 * {@code Any}, however deeply nested (a listener's filter's typed config), is expanded with an
 * {@code @type}. The types inside are found by walking the message, and their classes by the Java
 * packages the protos declare ({@code envoy.*} in {@code io.envoyproxy}, {@code xds.*} and {@code
 * udpa.*} in {@code com.github}, well-known types in {@code com.google.protobuf}). An Any of a type
 * none of these hold cannot be printed: {@link #print} then fails naming it.
 */
public final class EnvoyJson {
  private static final Map<String, Optional<Message>> PROTOTYPES = new ConcurrentHashMap<>();

  private EnvoyJson() {}

  /**
   * Indented JSON of {@code message}, Anys expanded.
   *
   * @throws IllegalArgumentException if it holds an Any of a type not on the classpath
   */
  public static String print(Message message) {
    JsonFormat.TypeRegistry.Builder registry = JsonFormat.TypeRegistry.newBuilder();
    collect(message, registry, new HashSet<>());
    try {
      return JsonFormat.printer().usingTypeRegistry(registry.build()).print(message);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(
          "cannot print " + message.getDescriptorForType().getFullName() + ": " + e.getMessage(),
          e);
    }
  }

  private static void collect(
      Message m, JsonFormat.TypeRegistry.Builder registry, Set<String> seen) {
    if (m instanceof Any any) {
      String name = any.getTypeUrl().substring(any.getTypeUrl().lastIndexOf('/') + 1);
      Optional<Message> prototype = PROTOTYPES.computeIfAbsent(name, EnvoyJson::prototype);
      if (prototype.isEmpty()) {
        return;
      }
      if (seen.add(name)) {
        registry.add(prototype.get().getDescriptorForType());
      }
      try {
        collect(prototype.get().getParserForType().parseFrom(any.getValue()), registry, seen);
      } catch (InvalidProtocolBufferException e) {
        // printed as far as it parses; JsonFormat reports the rest
      }
      return;
    }
    for (Map.Entry<FieldDescriptor, Object> e : m.getAllFields().entrySet()) {
      if (e.getKey().getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        continue;
      }
      if (e.getKey().isRepeated()) {
        for (Object o : (List<?>) e.getValue()) {
          collect((Message) o, registry, seen);
        }
      } else {
        collect((Message) e.getValue(), registry, seen);
      }
    }
  }

  /** The default instance of the generated class for a proto full name, if on the classpath. */
  private static Optional<Message> prototype(String fullName) {
    String simple = fullName.substring(fullName.lastIndexOf('.') + 1);
    List<String> candidates =
        fullName.startsWith("google.protobuf.")
            ? List.of("com.google.protobuf." + simple)
            : List.of("io.envoyproxy." + fullName, "com.github." + fullName);
    for (String className : candidates) {
      try {
        Class<?> c = Class.forName(className, true, EnvoyJson.class.getClassLoader());
        Object instance = c.getMethod("getDefaultInstance").invoke(null);
        if (instance instanceof Message message
            && message.getDescriptorForType().getFullName().equals(fullName)) {
          return Optional.of(message);
        }
      } catch (ReflectiveOperationException | LinkageError e) {
        // not this package
      }
    }
    // Istio's Envoy build's own filter configs (istio.stats, istio.alpn)
    return io.jistiod.pilot.envoy.patch.EnvoyTypes.prototype(fullName);
  }
}

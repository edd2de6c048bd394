package io.jistiod.pilot.envoy.golden;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds the message types packed in {@code Any} fields, so generated resources can be printed as
 * JSON without a hand-kept list of every typed config a generator may use.
 */
final class EnvoyTypes {
  private EnvoyTypes() {}

  /** A type registry holding every type reachable from {@code messages} through Any fields. */
  static JsonFormat.TypeRegistry registryFor(List<? extends Message> messages) {
    JsonFormat.TypeRegistry.Builder b = JsonFormat.TypeRegistry.newBuilder();
    Set<String> seen = new HashSet<>();
    for (Message m : messages) {
      collect(m, b, seen);
    }
    return b.build();
  }

  private static void collect(Message m, JsonFormat.TypeRegistry.Builder b, Set<String> seen) {
    if (m instanceof Any any) {
      Message inner = unpack(any);
      if (seen.add(any.getTypeUrl())) {
        b.add(inner.getDescriptorForType());
      }
      collect(inner, b, seen);
      return;
    }
    for (Map.Entry<FieldDescriptor, Object> e : m.getAllFields().entrySet()) {
      if (e.getKey().getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        continue;
      }
      if (e.getKey().isRepeated()) {
        for (Object o : (List<?>) e.getValue()) {
          collect(toMessage(o), b, seen);
        }
      } else {
        collect((Message) e.getValue(), b, seen);
      }
    }
  }

  private static Message toMessage(Object o) {
    // map fields come back as MapEntry messages, which are Messages too
    return (Message) o;
  }

  /** Unpacks {@code any} by loading the generated class its type URL names. */
  static Message unpack(Any any) {
    String type = any.getTypeUrl().substring(any.getTypeUrl().lastIndexOf('/') + 1);
    var istio = io.jistiod.pilot.envoy.patch.EnvoyTypes.prototype(type);
    Class<? extends Message> cls = istio.isPresent() ? istio.get().getClass() : classOf(type);
    try {
      return any.unpack(cls);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot unpack " + type, e);
    }
  }

  @SuppressWarnings("unchecked")
  static Class<? extends Message> classOf(String protoType) {
    String javaName;
    if (protoType.startsWith("envoy.")) {
      javaName = "io.envoyproxy." + protoType;
    } else if (protoType.startsWith("xds.") || protoType.startsWith("udpa.")) {
      javaName = "com.github." + protoType.replaceFirst("^udpa\\.", "udpa.udpa.");
    } else if (protoType.startsWith("google.protobuf.")) {
      javaName = "com." + protoType;
    } else {
      throw new IllegalStateException("no Java class known for Any type " + protoType);
    }
    try {
      return (Class<? extends Message>) Class.forName(javaName);
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("no Java class " + javaName + " for Any type " + protoType);
    }
  }
}

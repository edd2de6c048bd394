package io.jistiod.injector.template;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import java.util.Map;

/**
 * Go's jsonpb Marshaler output (what Istio's protomarshal.ToJSON gives): compact, lowerCamelCase
 * names, fields in the order the .proto declares them, map keys sorted, strings written by Go's
 * encoding/json (so {@code <}, {@code >} and {@code &} as {@code \u003c}, {@code \u003e}, {@code
 * \u0026}).
 */
final class ProtoJson {
  private static final JsonFormat.Printer PRINTER =
      JsonFormat.printer().omittingInsignificantWhitespace();

  private ProtoJson() {}

  static String toJson(Message m) {
    StringBuilder b = new StringBuilder("{");
    boolean first = true;
    // Declaration order, as jsonpb walks the descriptor's fields.
    for (FieldDescriptor f : m.getDescriptorForType().getFields()) {
      boolean set = f.isRepeated() ? m.getRepeatedFieldCount(f) > 0 : m.hasField(f);
      if (!set) {
        continue;
      }
      if (!first) {
        b.append(',');
      }
      first = false;
      GoJson.quote(b, f.getJsonName(), false);
      b.append(':');
      b.append(fieldJson(m, f));
    }
    return b.append('}').toString();
  }

  private static String fieldJson(Message m, FieldDescriptor f) {
    // Print the single field through protobuf's JsonFormat (well-known types, int64 as strings,
    // enums by name) and lift its value out; map keys are then sorted as jsonpb sorts them.
    Message.Builder one = m.newBuilderForType();
    one.setField(f, m.getField(f));
    try {
      String json = PRINTER.print(one.build());
      com.fasterxml.jackson.databind.JsonNode node =
          new com.fasterxml.jackson.databind.ObjectMapper().readTree(json).get(f.getJsonName());
      if (f.isMapField() && node.isObject()) {
        // Go's encoding/json writes map keys sorted by their UTF-8 bytes
        java.util.TreeMap<String, com.fasterxml.jackson.databind.JsonNode> sorted =
            new java.util.TreeMap<>(GoFmt::compareUtf8);
        node.fields().forEachRemaining(e -> sorted.put(e.getKey(), e.getValue()));
        com.fasterxml.jackson.databind.node.ObjectNode inOrder =
            com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        sorted.forEach(inOrder::set);
        node = inOrder;
      }
      if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE
          && !f.isRepeated()
          && !isWellKnown(f)) {
        return toJson((Message) m.getField(f));
      }
      StringBuilder b = new StringBuilder();
      write(b, node);
      return b.toString();
    } catch (InvalidProtocolBufferException
        | com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException(e.getMessage());
    }
  }

  /**
   * A value JsonFormat printed, written again as jsonpb writes it: its strings (and object keys) go
   * through Go's json.Marshal, which escapes HTML characters; numbers and literals as printed.
   */
  private static void write(StringBuilder b, com.fasterxml.jackson.databind.JsonNode n) {
    if (n.isTextual()) {
      GoJson.quote(b, n.textValue(), true);
    } else if (n.isObject()) {
      b.append('{');
      boolean first = true;
      for (Map.Entry<String, com.fasterxml.jackson.databind.JsonNode> e : n.properties()) {
        if (!first) {
          b.append(',');
        }
        first = false;
        GoJson.quote(b, e.getKey(), true);
        b.append(':');
        write(b, e.getValue());
      }
      b.append('}');
    } else if (n.isArray()) {
      b.append('[');
      for (int i = 0; i < n.size(); i++) {
        if (i > 0) {
          b.append(',');
        }
        write(b, n.get(i));
      }
      b.append(']');
    } else {
      b.append(n.toString());
    }
  }

  private static boolean isWellKnown(FieldDescriptor f) {
    return f.getMessageType().getFile().getPackage().equals("google.protobuf");
  }
}

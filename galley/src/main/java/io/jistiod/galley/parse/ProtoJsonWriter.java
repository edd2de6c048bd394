package io.jistiod.galley.parse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.ListValue;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import io.jistiod.galley.api.JistiodOptions;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Writes a proto message as the JSON tree a Kubernetes object holds, the inverse of {@link
 * ProtoJsonReader}: lowerCamelCase names, enums by name, durations as {@code "1.500s"}, wrappers as
 * bare values. It differs from protobuf's {@code JsonFormat} where Kubernetes (Go's encoding/json)
 * does:
 *
 * <ul>
 *   <li>64-bit integers are numbers, not strings ({@code observedGeneration: 3});
 *   <li>whole floating-point numbers are written as integers ({@code value: 50}, as Go writes
 *       them);
 *   <li>a field marked {@code (jistiod.emit_empty)} is written even when empty, as Go writes fields
 *       without {@code omitempty} ({@code attachedRoutes: 0}, {@code supportedKinds: []});
 *   <li>everything else is written only when set: a field with presence when present, any other
 *       when it differs from its default.
 * </ul>
 */
public final class ProtoJsonWriter {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private ProtoJsonWriter() {}

  /** {@code message} as a JSON object. */
  public static ObjectNode write(Message message) {
    JsonNode node = writeMessage(message);
    if (!(node instanceof ObjectNode object)) {
      throw new IllegalArgumentException(
          message.getDescriptorForType().getFullName() + " is not written as a JSON object");
    }
    return object;
  }

  private static JsonNode writeMessage(Message message) {
    Descriptor type = message.getDescriptorForType();
    if (type.getFile().getPackage().equals("google.protobuf")) {
      return writeWellKnown(message);
    }
    ObjectNode out = NODES.objectNode();
    for (FieldDescriptor field : type.getFields()) {
      boolean emitEmpty = field.getOptions().getExtension(JistiodOptions.emitEmpty);
      if (field.isMapField()) {
        List<?> entries = (List<?>) message.getField(field);
        if (entries.isEmpty() && !emitEmpty) {
          continue;
        }
        ObjectNode map = out.putObject(field.getJsonName());
        FieldDescriptor key = field.getMessageType().findFieldByName("key");
        FieldDescriptor value = field.getMessageType().findFieldByName("value");
        for (Object e : entries) {
          Message entry = (Message) e;
          map.set(String.valueOf(entry.getField(key)), writeValue(value, entry.getField(value)));
        }
      } else if (field.isRepeated()) {
        List<?> values = (List<?>) message.getField(field);
        if (values.isEmpty() && !emitEmpty) {
          continue;
        }
        ArrayNode list = out.putArray(field.getJsonName());
        for (Object v : values) {
          list.add(writeValue(field, v));
        }
      } else {
        boolean set =
            field.hasPresence()
                ? message.hasField(field)
                : !message.getField(field).equals(field.getDefaultValue());
        if (set || emitEmpty) {
          out.set(field.getJsonName(), writeValue(field, message.getField(field)));
        }
      }
    }
    return out;
  }

  private static JsonNode writeValue(FieldDescriptor field, Object value) {
    switch (field.getJavaType()) {
      case MESSAGE:
        return writeMessage((Message) value);
      case STRING:
        return NODES.textNode((String) value);
      case BOOLEAN:
        return NODES.booleanNode((Boolean) value);
      case INT:
        if (field.getType() == FieldDescriptor.Type.UINT32
            || field.getType() == FieldDescriptor.Type.FIXED32) {
          return integral(Integer.toUnsignedLong((Integer) value));
        }
        return NODES.numberNode((Integer) value);
      case LONG:
        return integral((Long) value);
      case FLOAT:
        return number(((Float) value).doubleValue());
      case DOUBLE:
        return number((Double) value);
      case ENUM:
        return NODES.textNode(((EnumValueDescriptor) value).getName());
      case BYTE_STRING:
        return NODES.textNode(
            Base64.getEncoder().encodeToString(((ByteString) value).toByteArray()));
      default:
        throw new IllegalArgumentException("unsupported field type " + field.getType());
    }
  }

  private static JsonNode number(double d) {
    if (d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 1e15) {
      return integral((long) d);
    }
    return NODES.numberNode(d);
  }

  /** The smallest node that holds {@code v}, so trees compare equal to parsed JSON. */
  private static JsonNode integral(long v) {
    return v == (int) v ? NODES.numberNode((int) v) : NODES.numberNode(v);
  }

  private static JsonNode writeWellKnown(Message message) {
    String name = message.getDescriptorForType().getName();
    switch (name) {
      case "Duration":
        return NODES.textNode(Durations.toString((com.google.protobuf.Duration) message));
      case "Timestamp":
        return NODES.textNode(Timestamps.toString((com.google.protobuf.Timestamp) message));
      case "Struct":
        ObjectNode struct = NODES.objectNode();
        for (Map.Entry<String, Value> e : ((Struct) message).getFieldsMap().entrySet()) {
          struct.set(e.getKey(), writeWellKnown(e.getValue()));
        }
        return struct;
      case "ListValue":
        ArrayNode list = NODES.arrayNode();
        for (Value v : ((ListValue) message).getValuesList()) {
          list.add(writeWellKnown(v));
        }
        return list;
      case "Value":
        Value v = (Value) message;
        return switch (v.getKindCase()) {
          case BOOL_VALUE -> NODES.booleanNode(v.getBoolValue());
          case NUMBER_VALUE -> number(v.getNumberValue());
          case STRING_VALUE -> NODES.textNode(v.getStringValue());
          case STRUCT_VALUE -> writeWellKnown(v.getStructValue());
          case LIST_VALUE -> writeWellKnown(v.getListValue());
          default -> NODES.nullNode();
        };
      default:
        // Wrappers (BoolValue, UInt32Value, ...): the bare value.
        FieldDescriptor value = message.getDescriptorForType().findFieldByName("value");
        if (value == null) {
          throw new IllegalArgumentException("unsupported type google.protobuf." + name);
        }
        return writeValue(value, message.getField(value));
    }
  }
}

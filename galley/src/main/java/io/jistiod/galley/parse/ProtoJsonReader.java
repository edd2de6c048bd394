package io.jistiod.galley.parse;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.ListValue;
import com.google.protobuf.Message;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import java.text.ParseException;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;

/**
 * Reads a JSON tree (from YAML or JSON) into a proto message following the proto3 JSON mapping, as
 * Istio does for its CRDs: lowerCamelCase or original field names, enums by name or number,
 * durations as {@code "5s"}, wrappers as plain values, 64-bit integers as numbers or strings.
 *
 * <p>Unlike protobuf's own {@code JsonFormat}, every error names the full field path (for example
 * {@code spec.http[0].route[1].weight}), which is what users need to find the mistake. Nesting is
 * capped so hostile input cannot exhaust the stack.
 */
public final class ProtoJsonReader {

  /** Deeper than any real Istio object; guards against stack exhaustion on hostile input. */
  static final int MAX_DEPTH = 64;

  private ProtoJsonReader() {}

  /** Merges {@code json} into {@code builder}; {@code path} prefixes error paths (e.g. "spec"). */
  public static void merge(JsonNode json, Message.Builder builder, String path)
      throws SpecConversionException {
    mergeMessage(json, builder, path, 0);
  }

  private static void mergeMessage(JsonNode json, Message.Builder builder, String path, int depth)
      throws SpecConversionException {
    if (depth > MAX_DEPTH) {
      throw new SpecConversionException(path, "nested too deeply (limit " + MAX_DEPTH + ")");
    }
    Descriptor type = builder.getDescriptorForType();
    if (isWellKnown(type)) {
      mergeWellKnown(json, builder, path, depth);
      return;
    }
    if (!json.isObject()) {
      throw new SpecConversionException(path, "expected an object, got " + describe(json));
    }
    Iterator<Map.Entry<String, JsonNode>> fields = json.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> entry = fields.next();
      String name = entry.getKey();
      JsonNode value = entry.getValue();
      String fieldPath = path.isEmpty() ? name : path + "." + name;
      FieldDescriptor field = findField(type, name);
      if (field == null) {
        throw new SpecConversionException(fieldPath, "unknown field");
      }
      if (value.isNull() && !isValueType(field)) {
        continue; // null means "not set" in the JSON mapping
      }
      if (field.getRealContainingOneof() != null) {
        var oneof = field.getRealContainingOneof();
        if (builder.hasOneof(oneof)) {
          throw new SpecConversionException(
              fieldPath,
              "only one of the fields in '"
                  + oneof.getName()
                  + "' may be set, but '"
                  + builder.getOneofFieldDescriptor(oneof).getJsonName()
                  + "' is set too");
        }
      }
      if (field.isMapField()) {
        mergeMap(value, builder, field, fieldPath, depth);
      } else if (field.isRepeated()) {
        if (!value.isArray()) {
          throw new SpecConversionException(fieldPath, "expected a list, got " + describe(value));
        }
        for (int i = 0; i < value.size(); i++) {
          builder.addRepeatedField(
              field, readValue(value.get(i), builder, field, fieldPath + "[" + i + "]", depth));
        }
      } else {
        builder.setField(field, readValue(value, builder, field, fieldPath, depth));
      }
    }
  }

  private static void mergeMap(
      JsonNode value, Message.Builder builder, FieldDescriptor field, String path, int depth)
      throws SpecConversionException {
    if (!value.isObject()) {
      throw new SpecConversionException(path, "expected a map, got " + describe(value));
    }
    Descriptor entryType = field.getMessageType();
    FieldDescriptor keyField = entryType.findFieldByName("key");
    FieldDescriptor valueField = entryType.findFieldByName("value");
    Iterator<Map.Entry<String, JsonNode>> entries = value.fields();
    while (entries.hasNext()) {
      Map.Entry<String, JsonNode> e = entries.next();
      String entryPath = path + "[" + e.getKey() + "]";
      Message.Builder entry = builder.newBuilderForField(field);
      entry.setField(keyField, readScalar(textNode(e.getKey()), keyField, entryPath));
      entry.setField(valueField, readValue(e.getValue(), entry, valueField, entryPath, depth));
      builder.addRepeatedField(field, entry.build());
    }
  }

  private static JsonNode textNode(String s) {
    return com.fasterxml.jackson.databind.node.TextNode.valueOf(s);
  }

  private static Object readValue(
      JsonNode value, Message.Builder parent, FieldDescriptor field, String path, int depth)
      throws SpecConversionException {
    if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
      Message.Builder child = parent.newBuilderForField(field);
      mergeMessage(value, child, path, depth + 1);
      return child.build();
    }
    return readScalar(value, field, path);
  }

  private static Object readScalar(JsonNode value, FieldDescriptor field, String path)
      throws SpecConversionException {
    switch (field.getJavaType()) {
      case STRING:
        if (!value.isTextual()) {
          throw new SpecConversionException(path, "expected a string, got " + describe(value));
        }
        return value.textValue();
      case BOOLEAN:
        if (value.isBoolean()) {
          return value.booleanValue();
        }
        if (value.isTextual()
            && ("true".equals(value.textValue()) || "false".equals(value.textValue()))) {
          return Boolean.parseBoolean(value.textValue());
        }
        throw new SpecConversionException(path, "expected true or false, got " + describe(value));
      case INT:
      case LONG:
        return readInteger(value, field, path);
      case FLOAT:
      case DOUBLE:
        double d;
        if (value.isNumber()) {
          d = value.doubleValue();
        } else if (value.isTextual()) {
          try {
            d = Double.parseDouble(value.textValue());
          } catch (NumberFormatException e) {
            throw new SpecConversionException(path, "expected a number, got " + describe(value));
          }
        } else {
          throw new SpecConversionException(path, "expected a number, got " + describe(value));
        }
        return field.getJavaType() == FieldDescriptor.JavaType.FLOAT ? (Object) (float) d : d;
      case ENUM:
        return readEnum(value, field, path);
      case BYTE_STRING:
        if (!value.isTextual()) {
          throw new SpecConversionException(path, "expected base64 text, got " + describe(value));
        }
        try {
          return ByteString.copyFrom(Base64.getDecoder().decode(value.textValue()));
        } catch (IllegalArgumentException e) {
          throw new SpecConversionException(path, "invalid base64: " + e.getMessage());
        }
      default:
        throw new SpecConversionException(path, "unsupported field type " + field.getType());
    }
  }

  private static Object readInteger(JsonNode value, FieldDescriptor field, String path)
      throws SpecConversionException {
    long n;
    if (value.isIntegralNumber() && value.canConvertToLong()) {
      n = value.longValue();
    } else if (value.isNumber() && value.doubleValue() == Math.rint(value.doubleValue())) {
      n = (long) value.doubleValue(); // 5.0 is an integer in JSON
    } else if (value.isTextual()) {
      try {
        n = Long.parseLong(value.textValue().trim());
      } catch (NumberFormatException e) {
        throw new SpecConversionException(path, "expected an integer, got " + describe(value));
      }
    } else {
      throw new SpecConversionException(path, "expected an integer, got " + describe(value));
    }
    boolean unsigned =
        field.getType() == FieldDescriptor.Type.UINT32
            || field.getType() == FieldDescriptor.Type.FIXED32
            || field.getType() == FieldDescriptor.Type.UINT64
            || field.getType() == FieldDescriptor.Type.FIXED64;
    if (unsigned && n < 0) {
      throw new SpecConversionException(path, "must not be negative, got " + n);
    }
    if (field.getJavaType() == FieldDescriptor.JavaType.INT) {
      long max = unsigned ? 0xFFFF_FFFFL : Integer.MAX_VALUE;
      long min = unsigned ? 0 : Integer.MIN_VALUE;
      if (n > max || n < min) {
        throw new SpecConversionException(path, "out of range for a 32-bit integer: " + n);
      }
      return (int) n;
    }
    return n;
  }

  private static EnumValueDescriptor readEnum(JsonNode value, FieldDescriptor field, String path)
      throws SpecConversionException {
    var type = field.getEnumType();
    EnumValueDescriptor v = null;
    if (value.isTextual()) {
      v = type.findValueByName(value.textValue());
    } else if (value.isIntegralNumber()) {
      v = type.findValueByNumber(value.intValue());
    }
    if (v == null) {
      StringBuilder allowed = new StringBuilder();
      for (EnumValueDescriptor e : type.getValues()) {
        allowed.append(allowed.length() == 0 ? "" : ", ").append(e.getName());
      }
      throw new SpecConversionException(
          path, "unknown value " + describe(value) + " (expected one of: " + allowed + ")");
    }
    return v;
  }

  static FieldDescriptor findField(Descriptor type, String name) {
    FieldDescriptor f = type.findFieldByName(name);
    if (f != null) {
      return f;
    }
    for (FieldDescriptor candidate : type.getFields()) {
      if (candidate.getJsonName().equals(name)) {
        return candidate;
      }
    }
    return null;
  }

  private static boolean isValueType(FieldDescriptor field) {
    return field.getJavaType() == FieldDescriptor.JavaType.MESSAGE
        && field.getMessageType().getFullName().equals(Value.getDescriptor().getFullName());
  }

  private static boolean isWellKnown(Descriptor type) {
    return type.getFile().getPackage().equals("google.protobuf") && !type.getName().equals("Any");
  }

  private static void mergeWellKnown(JsonNode json, Message.Builder builder, String path, int depth)
      throws SpecConversionException {
    String name = builder.getDescriptorForType().getName();
    switch (name) {
      case "Duration":
        if (!json.isTextual()) {
          throw new SpecConversionException(
              path, "expected a duration such as \"5s\", got " + describe(json));
        }
        try {
          builder.mergeFrom(Durations.parse(json.textValue()));
        } catch (ParseException | NumberFormatException e) {
          // Istio also takes Go's forms ("30ms", "1m", "1h30m"), as its docs use them.
          java.time.Duration d = GoDurations.parse(json.textValue());
          if (d == null) {
            throw new SpecConversionException(
                path,
                "invalid duration "
                    + describe(json)
                    + " (expected a form such as \"1.5s\" or \"100ms\")");
          }
          builder.mergeFrom(
              com.google.protobuf.Duration.newBuilder()
                  .setSeconds(d.getSeconds())
                  .setNanos(d.getNano())
                  .build());
        }
        return;
      case "Timestamp":
        try {
          builder.mergeFrom(Timestamps.parse(json.asText()));
        } catch (ParseException | RuntimeException e) {
          throw new SpecConversionException(path, "invalid RFC 3339 timestamp " + describe(json));
        }
        return;
      case "Struct":
        if (!json.isObject()) {
          throw new SpecConversionException(path, "expected an object, got " + describe(json));
        }
        builder.mergeFrom(toValue(json, path, depth).getStructValue());
        return;
      case "Value":
        builder.mergeFrom(toValue(json, path, depth));
        return;
      case "ListValue":
        if (!json.isArray()) {
          throw new SpecConversionException(path, "expected a list, got " + describe(json));
        }
        builder.mergeFrom(toValue(json, path, depth).getListValue());
        return;
      case "Empty":
        return;
      default:
        // Wrappers (Int32Value, StringValue, BoolValue, ...): the JSON form is the bare value.
        FieldDescriptor valueField = builder.getDescriptorForType().findFieldByName("value");
        if (valueField == null) {
          throw new SpecConversionException(path, "unsupported type google.protobuf." + name);
        }
        builder.setField(valueField, readScalar(json, valueField, path));
    }
  }

  private static Value toValue(JsonNode json, String path, int depth)
      throws SpecConversionException {
    if (depth > MAX_DEPTH) {
      throw new SpecConversionException(path, "nested too deeply (limit " + MAX_DEPTH + ")");
    }
    if (json.isNull()) {
      return Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
    }
    if (json.isBoolean()) {
      return Value.newBuilder().setBoolValue(json.booleanValue()).build();
    }
    if (json.isNumber()) {
      return Value.newBuilder().setNumberValue(json.doubleValue()).build();
    }
    if (json.isTextual()) {
      return Value.newBuilder().setStringValue(json.textValue()).build();
    }
    if (json.isArray()) {
      ListValue.Builder list = ListValue.newBuilder();
      for (int i = 0; i < json.size(); i++) {
        list.addValues(toValue(json.get(i), path + "[" + i + "]", depth + 1));
      }
      return Value.newBuilder().setListValue(list).build();
    }
    Struct.Builder struct = Struct.newBuilder();
    Iterator<Map.Entry<String, JsonNode>> fields = json.fields();
    while (fields.hasNext()) {
      var e = fields.next();
      struct.putFields(e.getKey(), toValue(e.getValue(), path + "." + e.getKey(), depth + 1));
    }
    return Value.newBuilder().setStructValue(struct).build();
  }

  private static String describe(JsonNode node) {
    if (node.isTextual()) {
      String s = node.textValue();
      return "\"" + (s.length() > 64 ? s.substring(0, 64) + "..." : s) + "\"";
    }
    if (node.isObject()) {
      return "an object";
    }
    if (node.isArray()) {
      return "a list";
    }
    return node.toString();
  }
}

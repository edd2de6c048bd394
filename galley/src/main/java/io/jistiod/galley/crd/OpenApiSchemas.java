package io.jistiod.galley.crd;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import io.jistiod.galley.api.JistiodOptions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Turns a proto message descriptor into a structural OpenAPI v3 schema, the way Istio's CRDs
 * describe its API (the proto3 JSON mapping):
 *
 * <ul>
 *   <li>a message is an object with properties by JSON name, {@code required} from {@code
 *       (jistiod.required)} and, per oneof, a {@code oneOf} that allows none or exactly one of the
 *       oneof's fields ({@code allOf} of those when a message has several oneofs);
 *   <li>repeated fields are arrays, maps are objects with {@code additionalProperties};
 *   <li>enums are strings limited to the value names;
 *   <li>int32 is {@code integer/int32}, uint32 {@code integer} within [0, 2^32-1], int64 {@code
 *       integer/int64} (int-or-string where Istio writes it so, in the status), uint64 {@code
 *       integer} with minimum 0, float and double {@code number/double}, bytes {@code
 *       string/binary};
 *   <li>well-known types: Duration is a string that must be a duration of at least 1ms (a CEL rule,
 *       as Istio's), wrappers are their nullable scalar, Timestamp a date-time string,
 *       Struct/Any/Value keep whatever they hold ({@code x-kubernetes-preserve-unknown-fields}),
 *       Empty an object without properties;
 *   <li>a message that contains itself (directly or further down) is cut at the repeat with an
 *       object that keeps unknown fields, so the schema stays finite.
 * </ul>
 *
 * <p>Every map in the result is a sorted {@link TreeMap}, so the schema serializes
 * deterministically. Instances are not thread-safe; each call builds a fresh tree.
 */
public final class OpenApiSchemas {

  /** Istio's rule on every Duration field: it must parse and be at least 1ms. */
  static final Map<String, Object> DURATION_RULE =
      sorted(
          "rule", "duration(self) >= duration('1ms')",
          "message", "must be a valid duration greater than 1ms");

  private static final long MAX_UINT32 = 4294967295L;
  private static final String RULES = "x-kubernetes-validations";

  private final boolean int64AsIntOrString;
  private final FieldMarkers markers;
  private final Deque<Descriptor> path = new ArrayDeque<>();

  /**
   * Per-field additions to the schema the descriptor implies, by the field's full proto name (e.g.
   * {@code istio.networking.v1alpha3.HTTPRoute.mirror_percent}). Istio keeps these as markers in
   * its proto comments.
   *
   * @param altNames a second property name for the field (Istio accepts {@code jwks_uri} as well as
   *     {@code jwksUri})
   * @param listMapKeys {@code x-kubernetes-list-type: map} with these keys, for repeated fields
   * @param extras keys merged into the field's schema, such as {@code minimum}, {@code maxItems} or
   *     {@code maxProperties}
   * @param itemExtras keys merged into the schema of each element of a repeated or map field
   * @param durationsWithoutRule Duration fields that may be shorter than 1ms (e.g. a cookie TTL of
   *     0s)
   * @param messageExtras keys merged into every schema of a message, by the message's full name
   *     (rules that hold wherever the message is used)
   */
  public record FieldMarkers(
      Map<String, String> altNames,
      Map<String, List<String>> listMapKeys,
      Map<String, Map<String, Object>> extras,
      Map<String, Map<String, Object>> itemExtras,
      Set<String> durationsWithoutRule,
      Map<String, Map<String, Object>> messageExtras) {
    public static final FieldMarkers NONE =
        new FieldMarkers(Map.of(), Map.of(), Map.of(), Map.of(), Set.of(), Map.of());
  }

  /**
   * @param int64AsIntOrString write 64-bit signed integers as {@code x-kubernetes-int-or-string}
   *     (Istio does so in the status) instead of {@code integer/int64}
   * @param markers per-field additions
   */
  public OpenApiSchemas(boolean int64AsIntOrString, FieldMarkers markers) {
    this.int64AsIntOrString = int64AsIntOrString;
    this.markers = markers;
  }

  /** The schema of one message, as an object. */
  public Map<String, Object> message(Descriptor type) {
    Map<String, Object> special = wellKnown(type);
    if (special != null) {
      return special;
    }
    if (path.contains(type)) {
      return preserveUnknownObject();
    }
    path.push(type);
    try {
      Map<String, Object> schema = new TreeMap<>();
      schema.put("type", "object");
      Map<String, Object> properties = new TreeMap<>();
      List<String> required = new ArrayList<>();
      for (FieldDescriptor field : type.getFields()) {
        Map<String, Object> fieldSchema = field(field);
        properties.put(field.getJsonName(), fieldSchema);
        String alt = markers.altNames().get(field.getFullName());
        if (alt != null) {
          properties.put(alt, field(field));
        }
        if (field.getOptions().getExtension(JistiodOptions.required)) {
          required.add(field.getJsonName());
        }
      }
      if (!properties.isEmpty()) {
        schema.put("properties", properties);
      }
      if (!required.isEmpty()) {
        schema.put("required", required);
      }
      List<Map<String, Object>> oneofs = new ArrayList<>();
      for (OneofDescriptor oneof : type.getRealOneofs()) {
        oneofs.add(sorted("oneOf", atMostOneOf(oneof)));
      }
      if (oneofs.size() == 1) {
        schema.put("oneOf", oneofs.get(0).get("oneOf"));
      } else if (oneofs.size() > 1) {
        schema.put("allOf", oneofs);
      }
      Map<String, Object> extras = markers.messageExtras().get(type.getFullName());
      if (extras != null) {
        merge(schema, extras);
      }
      return schema;
    } finally {
      path.pop();
    }
  }

  /**
   * None or exactly one of the oneof's fields: {@code [not(anyOf(required a, required b)), required
   * a, required b]}. The alternatives are mutually exclusive, so {@code oneOf} holds exactly when
   * at most one field is set.
   */
  private static List<Object> atMostOneOf(OneofDescriptor oneof) {
    List<Object> each = new ArrayList<>();
    for (FieldDescriptor f : oneof.getFields()) {
      each.add(sorted("required", List.of(f.getJsonName())));
    }
    List<Object> out = new ArrayList<>();
    out.add(sorted("not", sorted("anyOf", each)));
    out.addAll(each);
    return out;
  }

  private Map<String, Object> field(FieldDescriptor field) {
    String name = field.getFullName();
    Map<String, Object> schema;
    if (field.isMapField()) {
      FieldDescriptor value = field.getMessageType().findFieldByName("value");
      schema = sorted("type", "object", "additionalProperties", element(value, name));
    } else if (field.isRepeated()) {
      schema = sorted("type", "array", "items", element(field, name));
      List<String> keys = markers.listMapKeys().get(name);
      if (keys != null) {
        schema.put("x-kubernetes-list-type", "map");
        schema.put("x-kubernetes-list-map-keys", keys);
      }
    } else {
      schema = single(field, name);
    }
    Map<String, Object> extras = markers.extras().get(name);
    if (extras != null) {
      merge(schema, extras);
    }
    return schema;
  }

  private Map<String, Object> element(FieldDescriptor field, String owner) {
    Map<String, Object> schema = single(field, owner);
    Map<String, Object> extras = markers.itemExtras().get(owner);
    if (extras != null) {
      merge(schema, extras);
    }
    return schema;
  }

  /** The schema of one value of {@code field}, ignoring repetition; {@code owner} names markers. */
  private Map<String, Object> single(FieldDescriptor field, String owner) {
    Map<String, Object> schema = new TreeMap<>(type(field));
    if (markers.durationsWithoutRule().contains(owner)) {
      schema.remove("x-kubernetes-validations");
    }
    return schema;
  }

  private Map<String, Object> type(FieldDescriptor field) {
    switch (field.getType()) {
      case DOUBLE:
      case FLOAT:
        return sorted("type", "number", "format", "double");
      case INT32:
      case SINT32:
      case SFIXED32:
        return sorted("type", "integer", "format", "int32");
      case UINT32:
      case FIXED32:
        return sorted("type", "integer", "minimum", 0, "maximum", MAX_UINT32);
      case INT64:
      case SINT64:
      case SFIXED64:
        return int64AsIntOrString ? intOrString() : sorted("type", "integer", "format", "int64");
      case UINT64:
      case FIXED64:
        return sorted("type", "integer", "minimum", 0);
      case BOOL:
        return sorted("type", "boolean");
      case STRING:
        return sorted("type", "string");
      case BYTES:
        return sorted("type", "string", "format", "binary");
      case ENUM:
        List<String> names = new ArrayList<>();
        for (EnumValueDescriptor v : field.getEnumType().getValues()) {
          names.add(v.getName());
        }
        return sorted("type", "string", "enum", names);
      case MESSAGE:
      case GROUP:
        return message(field.getMessageType());
      default:
        throw new IllegalArgumentException(field.getFullName() + ": type " + field.getType());
    }
  }

  private static Map<String, Object> intOrString() {
    return sorted(
        "anyOf",
        List.of(sorted("type", "integer"), sorted("type", "string")),
        "x-kubernetes-int-or-string",
        true);
  }

  private static Map<String, Object> preserveUnknownObject() {
    return sorted("type", "object", "x-kubernetes-preserve-unknown-fields", true);
  }

  /** Fixed schemas of google.protobuf types, or null for any other message. */
  private static Map<String, Object> wellKnown(Descriptor type) {
    if (!type.getFile().getPackage().equals("google.protobuf")) {
      return null;
    }
    switch (type.getName()) {
      case "Duration":
        return sorted("type", "string", "x-kubernetes-validations", List.of(DURATION_RULE));
      case "Timestamp":
        return sorted("type", "string", "format", "date-time");
      case "Struct":
      case "Any":
        return preserveUnknownObject();
      case "Value":
        return sorted("x-kubernetes-preserve-unknown-fields", true);
      case "ListValue":
        return sorted(
            "type", "array", "items", sorted("x-kubernetes-preserve-unknown-fields", true));
      case "Empty":
        return sorted("type", "object", "maxProperties", 0);
      case "BoolValue":
        return sorted("type", "boolean", "nullable", true);
      case "StringValue":
        return sorted("type", "string", "nullable", true);
      case "BytesValue":
        return sorted("type", "string", "format", "binary", "nullable", true);
      case "DoubleValue":
      case "FloatValue":
        return sorted("type", "number", "format", "double", "nullable", true);
      case "Int32Value":
        return sorted("type", "integer", "format", "int32", "nullable", true);
      case "UInt32Value":
        return sorted("type", "integer", "minimum", 0, "maximum", MAX_UINT32, "nullable", true);
      case "Int64Value":
        return sorted("type", "integer", "format", "int64", "nullable", true);
      case "UInt64Value":
        return sorted("type", "integer", "minimum", 0, "nullable", true);
      default:
        return null;
    }
  }

  /**
   * Puts {@code extras} into {@code schema}; CEL rules are added in front of the ones already there
   * (the rules of the place a message is used come before the message's own, as in Istio's CRDs),
   * any other key replaces.
   */
  static void merge(Map<String, Object> schema, Map<String, Object> extras) {
    for (Map.Entry<String, Object> e : extras.entrySet()) {
      if (e.getKey().equals(RULES) && schema.get(RULES) instanceof List<?> existing) {
        List<Object> rules = new ArrayList<>((List<?>) e.getValue());
        rules.addAll(existing);
        schema.put(RULES, rules);
      } else {
        schema.put(e.getKey(), e.getValue());
      }
    }
  }

  /** A sorted map from alternating keys and values. */
  static Map<String, Object> sorted(Object... keysAndValues) {
    Map<String, Object> m = new TreeMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return m;
  }
}

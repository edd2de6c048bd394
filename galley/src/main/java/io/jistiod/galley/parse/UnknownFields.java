package io.jistiod.galley.parse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Removes the fields a message type does not know from a JSON tree, as Go's jsonpb does with {@code
 * AllowUnknownFields}. istiod reads MeshConfig and ProxyConfig that way (strict first, then
 * lenient), so a field from a newer Istio, or one we lack, must not stop istiod from starting.
 */
public final class UnknownFields {
  private UnknownFields() {}

  /** Strips {@code json} in place; returns the removed fields' paths. */
  public static List<String> strip(JsonNode json, Descriptor type) {
    List<String> removed = new ArrayList<>();
    strip(json, type, "", removed, 0);
    return removed;
  }

  private static void strip(
      JsonNode json, Descriptor type, String path, List<String> removed, int depth) {
    if (!(json instanceof ObjectNode object)
        || depth > ProtoJsonReader.MAX_DEPTH
        || type.getFullName().startsWith("google.protobuf.")) {
      return;
    }
    Iterator<Map.Entry<String, JsonNode>> it = object.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String fieldPath = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
      FieldDescriptor field = ProtoJsonReader.findField(type, e.getKey());
      if (field == null) {
        removed.add(fieldPath);
        it.remove();
        continue;
      }
      if (field.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        continue;
      }
      JsonNode value = e.getValue();
      if (field.isMapField()) {
        FieldDescriptor valueField = field.getMessageType().findFieldByName("value");
        if (valueField.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
          value
              .fields()
              .forEachRemaining(
                  v ->
                      strip(
                          v.getValue(),
                          valueField.getMessageType(),
                          fieldPath + "." + v.getKey(),
                          removed,
                          depth + 1));
        }
      } else if (field.isRepeated() && value.isArray()) {
        for (int i = 0; i < value.size(); i++) {
          strip(
              value.get(i), field.getMessageType(), fieldPath + "[" + i + "]", removed, depth + 1);
        }
      } else {
        strip(value, field.getMessageType(), fieldPath, removed, depth + 1);
      }
    }
  }
}

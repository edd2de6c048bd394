package io.jistiod.injector.template;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Message;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * encoding/json's Marshal for template values: map keys sorted, HTML-safe escaping of {@code <>&},
 * float64 in Go's shortest form, structs in field order.
 */
final class GoJson {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private GoJson() {}

  static String marshal(Object v) {
    StringBuilder b = new StringBuilder();
    write(b, v, "", "");
    return b.toString();
  }

  /** json.MarshalIndent(v, "", indent). */
  static String marshalIndent(Object v, String indent) {
    StringBuilder b = new StringBuilder();
    write(b, v, indent, "\n");
    return b.toString();
  }

  private static void write(StringBuilder b, Object v, String indent, String nl) {
    writeAt(b, v, indent, nl, "");
  }

  private static void writeAt(StringBuilder b, Object v, String indent, String nl, String cur) {
    if (v == null || v == NoValue.I || v instanceof GoNil) {
      b.append("null");
    } else if (v instanceof GoPtr p) {
      writeAt(b, p.value(), indent, nl, cur);
    } else if (v instanceof String s) {
      quote(b, s, true);
    } else if (v instanceof Boolean || GoTypes.isInt(v)) {
      b.append(v);
    } else if (v instanceof GoEnum e) {
      b.append(e.number());
    } else if (v instanceof Double d) {
      if (d.isNaN() || d.isInfinite()) {
        throw new IllegalArgumentException("json: unsupported value: " + GoFmt.value(d, false));
      }
      b.append(GoFloat.json(d));
    } else if (v instanceof Float f) {
      b.append(GoFloat.json(Double.parseDouble(Float.toString(f))));
    } else if (v instanceof byte[] bytes) {
      quote(b, java.util.Base64.getEncoder().encodeToString(bytes), true);
    } else if (v instanceof Map<?, ?> m) {
      if (m.isEmpty()) {
        b.append("{}");
        return;
      }
      List<String> keys = new ArrayList<>();
      Map<String, Object> byKey = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        String k = String.valueOf(e.getKey());
        keys.add(k);
        byKey.put(k, e.getValue());
      }
      keys.sort(GoFmt::compareUtf8);
      object(b, keys, byKey, indent, nl, cur);
    } else if (v instanceof List<?> l) {
      if (l.isEmpty()) {
        b.append("[]");
        return;
      }
      String inner = cur + indent;
      b.append('[');
      for (int i = 0; i < l.size(); i++) {
        if (i > 0) {
          b.append(',');
        }
        b.append(nl).append(nl.isEmpty() ? "" : inner);
        writeAt(b, l.get(i), indent, nl, inner);
      }
      b.append(nl).append(nl.isEmpty() ? "" : cur).append(']');
    } else if (v instanceof GoStruct s) {
      object(b, new ArrayList<>(s.fields().keySet()), s.fields(), indent, nl, cur);
    } else if (v instanceof Message m) {
      // A Go proto struct marshals through its exported fields; rare in templates.
      writeAt(b, jackson(ProtoJson.toJson(m)), indent, nl, cur);
    } else if (K8sAccess.isModel(v)) {
      writeAt(b, K8sJson.toGoOrdered(v), indent, nl, cur);
    } else {
      quote(b, String.valueOf(v), true);
    }
  }

  private static Object jackson(String json) {
    try {
      return ordered(MAPPER.readTree(json));
    } catch (Exception e) {
      throw new IllegalArgumentException(e.getMessage());
    }
  }

  /** JSON into Java values keeping object key order (a Go struct's field order). */
  static Object ordered(JsonNode n) {
    if (n.isObject()) {
      Map<String, Object> m = new LinkedHashMap<>();
      n.fields().forEachRemaining(e -> m.put(e.getKey(), ordered(e.getValue())));
      return new GoStruct(m);
    }
    if (n.isArray()) {
      List<Object> l = new ArrayList<>();
      n.forEach(e -> l.add(ordered(e)));
      return l;
    }
    if (n.isIntegralNumber()) {
      return n.longValue();
    }
    if (n.isNumber()) {
      return n.doubleValue();
    }
    if (n.isBoolean()) {
      return n.booleanValue();
    }
    return n.isNull() ? null : n.asText();
  }

  private static void object(
      StringBuilder b,
      List<String> keys,
      Map<String, ?> values,
      String indent,
      String nl,
      String cur) {
    if (keys.isEmpty()) {
      b.append("{}");
      return;
    }
    String inner = cur + indent;
    b.append('{');
    for (int i = 0; i < keys.size(); i++) {
      if (i > 0) {
        b.append(',');
      }
      b.append(nl).append(nl.isEmpty() ? "" : inner);
      quote(b, keys.get(i), true);
      b.append(nl.isEmpty() ? ":" : ": ");
      writeAt(b, values.get(keys.get(i)), indent, nl, inner);
    }
    b.append(nl).append(nl.isEmpty() ? "" : cur).append('}');
  }

  static void quote(StringBuilder b, String s, boolean htmlSafe) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        case '\b' -> b.append("\\b");
        case '\f' -> b.append("\\f");
        default -> {
          if (c < 0x20
              || (htmlSafe && (c == '<' || c == '>' || c == '&'))
              || c == '\u2028'
              || c == '\u2029') {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    b.append('"');
  }
}

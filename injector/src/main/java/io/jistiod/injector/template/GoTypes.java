package io.jistiod.injector.template;

import com.google.protobuf.Message;
import java.util.List;
import java.util.Map;

/** Go type names, truth and comparison kinds of the Java values a template sees. */
final class GoTypes {
  private GoTypes() {}

  enum Kind {
    INVALID,
    BOOL,
    INT,
    FLOAT,
    STRING,
    OTHER
  }

  static boolean isInt(Object v) {
    return v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte;
  }

  static boolean isFloat(Object v) {
    return v instanceof Double || v instanceof Float;
  }

  static Kind kind(Object v) {
    if (v == null || v == NoValue.I) {
      return Kind.INVALID;
    }
    if (v instanceof Boolean) {
      return Kind.BOOL;
    }
    if (isInt(v) || v instanceof GoEnum) {
      return Kind.INT;
    }
    if (isFloat(v)) {
      return Kind.FLOAT;
    }
    if (v instanceof String) {
      return Kind.STRING;
    }
    return Kind.OTHER;
  }

  static long toLong(Object v) {
    return v instanceof GoEnum e ? e.number() : ((Number) v).longValue();
  }

  /** Go's %T for the value (as close as a Java value allows). */
  static String typeName(Object v) {
    if (v == null || v == NoValue.I) {
      return "<nil>";
    }
    if (v instanceof String) {
      return "string";
    }
    if (v instanceof Boolean) {
      return "bool";
    }
    if (isInt(v)) {
      return "int";
    }
    if (v instanceof Double) {
      return "float64";
    }
    if (v instanceof Float) {
      return "float32";
    }
    if (v instanceof GoNil n) {
      return n.type();
    }
    if (v instanceof GoPtr p) {
      return p.type();
    }
    if (v instanceof GoEnum e) {
      return e.type();
    }
    if (v instanceof TypedMap t && "".equals(t.elemZero())) {
      return "map[string]string";
    }
    if (v instanceof Map) {
      return "map[string]interface {}";
    }
    if (v instanceof byte[]) {
      return "[]uint8";
    }
    if (v instanceof List<?>) {
      return "[]interface {}";
    }
    if (v instanceof Message m) {
      return "*" + ProtoAccess.typeName(m.getDescriptorForType());
    }
    if (K8sAccess.isModel(v)) {
      return (K8sAccess.isValueType(v.getClass()) ? "" : "*") + K8sAccess.typeName(v.getClass());
    }
    if (v instanceof GoStruct s) {
      return s.typeName() != null ? s.typeName() : "struct {}";
    }
    return v.getClass().getSimpleName();
  }

  /** Go's isTrue: the zero value is false; null (Boolean) when truth is undefined. */
  static boolean isTrue(Object v) {
    if (v == null || v == NoValue.I || v instanceof GoNil) {
      return false;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    if (v instanceof String s) {
      return !s.isEmpty();
    }
    if (v instanceof GoEnum e) {
      return e.number() != 0;
    }
    if (isInt(v)) {
      return ((Number) v).longValue() != 0;
    }
    if (isFloat(v)) {
      return ((Number) v).doubleValue() != 0;
    }
    if (v instanceof Map<?, ?> m) {
      return !m.isEmpty();
    }
    if (v instanceof List<?> l) {
      return !l.isEmpty();
    }
    if (v instanceof byte[] b) {
      return b.length > 0;
    }
    // Pointers to structs (messages, models) are true when non-nil; GoStruct values always true.
    return true;
  }

  /** The Java value a Go function receives for a template value. */
  static Object toArg(Object v) {
    if (v instanceof GoPtr p) {
      return p.value();
    }
    return v == NoValue.I || v instanceof GoNil ? null : v;
  }

  /** Why Go would refuse {@code v} for a parameter of type {@code type}, or null if it accepts. */
  static String assignable(String type, Object v) {
    if (type == null || type.equals("interface {}")) {
      return null;
    }
    boolean nilable =
        type.startsWith("map[")
            || type.startsWith("[]")
            || type.startsWith("*")
            || type.equals("protoreflect.ProtoMessage");
    if (v == null || v == NoValue.I || v instanceof GoNil) {
      return nilable ? null : "invalid value; expected " + type;
    }
    boolean ok =
        switch (type) {
          case "string" -> v instanceof String;
          case "int", "int64", "int32" -> isInt(v);
          case "float64" -> isFloat(v);
          case "bool" -> v instanceof Boolean;
          case "map[string]string" ->
              v instanceof Map<?, ?> m
                  && (v instanceof TypedMap t
                      ? "".equals(t.elemZero())
                      : m.values().stream().allMatch(e -> e instanceof String));
          case "map[string]interface {}" ->
              v instanceof Map<?, ?> m && !(v instanceof TypedMap t && "".equals(t.elemZero()));
          case "[]interface {}" -> v instanceof List;
          case "[]string" ->
              v instanceof List<?> l && l.stream().allMatch(e -> e instanceof String);
          case "[]v1.Container" ->
              v instanceof List<?> l
                  && l.stream()
                      .allMatch(e -> e instanceof io.fabric8.kubernetes.api.model.Container);
          case "v1.ObjectMeta" -> v instanceof io.fabric8.kubernetes.api.model.ObjectMeta;
          case "*durationpb.Duration" -> v instanceof com.google.protobuf.Duration;
          case "protoreflect.ProtoMessage" -> v instanceof Message;
          default -> true;
        };
    return ok ? null : "wrong type for value; expected " + type + "; got " + typeName(v);
  }
}

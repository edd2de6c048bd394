package io.jistiod.injector.template;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import com.google.protobuf.Message;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A protobuf message seen as the Go struct protoc-gen-go generates: fields by their Go names, unset
 * message fields as nil pointers, enums as named ints, oneofs as a wrapper holding the set member,
 * and nil-safe {@code GetX} getters.
 */
final class ProtoAccess {
  private static final Map<Descriptor, Map<String, FieldDescriptor>> FIELDS =
      new ConcurrentHashMap<>();
  private static final Map<Descriptor, Map<String, OneofDescriptor>> ONEOFS =
      new ConcurrentHashMap<>();

  private ProtoAccess() {}

  /** protoc-gen-go's GoCamelCase. */
  static String goName(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '.' && i + 1 < s.length() && isLower(s.charAt(i + 1))) {
        continue;
      } else if (c == '.') {
        b.append('_');
      } else if (c == '_' && (i == 0 || s.charAt(i - 1) == '.')) {
        b.append('X');
      } else if (c == '_' && i + 1 < s.length() && isLower(s.charAt(i + 1))) {
        continue;
      } else if (c >= '0' && c <= '9') {
        b.append(c);
      } else {
        b.append(isLower(c) ? (char) (c - 32) : c);
        while (i + 1 < s.length() && isLower(s.charAt(i + 1))) {
          b.append(s.charAt(++i));
        }
      }
    }
    return b.toString();
  }

  private static boolean isLower(char c) {
    return c >= 'a' && c <= 'z';
  }

  /** The Go type name, e.g. v1alpha1.ProxyConfig from go_package istio.io/api/mesh/v1alpha1. */
  static String typeName(Descriptor d) {
    String pkg = d.getFile().getOptions().getGoPackage();
    if (pkg.contains(";")) {
      pkg = pkg.substring(pkg.indexOf(';') + 1);
    } else if (pkg.contains("/")) {
      pkg = pkg.substring(pkg.lastIndexOf('/') + 1);
    }
    if (pkg.isEmpty()) {
      String full = d.getFile().getPackage();
      pkg = full.substring(full.lastIndexOf('.') + 1);
      if (full.equals("google.protobuf")) {
        pkg = knownPackage(d.getName());
      }
    }
    String name = d.getFullName().substring(d.getFile().getPackage().length());
    return pkg + "." + (name.startsWith(".") ? name.substring(1) : name).replace('.', '_');
  }

  private static String knownPackage(String name) {
    if (name.endsWith("Value")) {
      return "wrapperspb";
    }
    return name.toLowerCase() + "pb";
  }

  private static Map<String, FieldDescriptor> fields(Descriptor d) {
    return FIELDS.computeIfAbsent(
        d,
        k -> {
          Map<String, FieldDescriptor> m = new LinkedHashMap<>();
          for (FieldDescriptor f : k.getFields()) {
            m.put(goName(f.getName()), f);
          }
          return m;
        });
  }

  private static Map<String, OneofDescriptor> oneofs(Descriptor d) {
    return ONEOFS.computeIfAbsent(
        d,
        k -> {
          Map<String, OneofDescriptor> m = new LinkedHashMap<>();
          for (OneofDescriptor o : k.getRealOneofs()) {
            m.put(goName(o.getName()), o);
          }
          return m;
        });
  }

  /** Whether the Go struct has field {@code name} (oneof members are not struct fields). */
  static boolean hasField(Descriptor d, String name) {
    FieldDescriptor f = fields(d).get(name);
    return (f != null && f.getRealContainingOneof() == null) || oneofs(d).containsKey(name);
  }

  /** The struct field {@code name}; call only when {@link #hasField} is true. */
  static Object field(Message m, String name) {
    OneofDescriptor o = oneofs(m.getDescriptorForType()).get(name);
    if (o != null) {
      FieldDescriptor set = m.getOneofFieldDescriptor(o);
      if (set == null) {
        return null;
      }
      // Go holds the set member in a wrapper struct, *Message_Member.
      String wrapper = "*" + typeName(m.getDescriptorForType()) + "_" + goName(set.getName());
      return new GoStruct(wrapper, Map.of(goName(set.getName()), value(m, set)));
    }
    return value(m, fields(m.getDescriptorForType()).get(name));
  }

  /** The getter {@code GetX} for {@code method}, or null if the message has none. */
  static FieldDescriptor getter(Descriptor d, String method) {
    if (!method.startsWith("Get")) {
      return null;
    }
    return fields(d).get(method.substring(3));
  }

  /** GetX on a message, nil-safe (a null message gives the zero value). */
  static Object get(Message m, Descriptor d, FieldDescriptor f) {
    if (m == null) {
      if (f.isMapField()) {
        return new LinkedHashMap<>();
      }
      if (f.isRepeated()) {
        return List.of();
      }
      if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        return nil(f.getMessageType());
      }
      return scalar(f, f.getDefaultValue());
    }
    if (f.getRealContainingOneof() != null && !m.hasField(f)) {
      return f.getJavaType() == FieldDescriptor.JavaType.MESSAGE
          ? nil(f.getMessageType())
          : scalar(f, f.getDefaultValue());
    }
    return value(m, f);
  }

  static GoNil nil(Descriptor d) {
    return new GoNil("*" + typeName(d), d);
  }

  private static Object value(Message m, FieldDescriptor f) {
    if (f.isMapField()) {
      Map<Object, Object> out = new LinkedHashMap<>();
      Descriptor entry = f.getMessageType();
      FieldDescriptor k = entry.findFieldByName("key");
      FieldDescriptor v = entry.findFieldByName("value");
      for (Object e : (List<?>) m.getField(f)) {
        Message em = (Message) e;
        out.put(scalar(k, em.getField(k)), element(v, em.getField(v)));
      }
      return v.getJavaType() == FieldDescriptor.JavaType.STRING ? new TypedMap(out, "") : out;
    }
    if (f.isRepeated()) {
      List<Object> out = new ArrayList<>();
      for (Object e : (List<?>) m.getField(f)) {
        out.add(element(f, e));
      }
      return Collections.unmodifiableList(out);
    }
    if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
      return m.hasField(f) ? m.getField(f) : nil(f.getMessageType());
    }
    return scalar(f, m.getField(f));
  }

  private static Object element(FieldDescriptor f, Object v) {
    return f.getJavaType() == FieldDescriptor.JavaType.MESSAGE ? v : scalar(f, v);
  }

  private static Object scalar(FieldDescriptor f, Object v) {
    switch (f.getJavaType()) {
      case INT:
        return ((Integer) v).longValue() & (isUnsigned(f) ? 0xffffffffL : -1L);
      case LONG:
        return (Long) v;
      case FLOAT:
        return Double.parseDouble(Float.toString((Float) v));
      case ENUM:
        EnumValueDescriptor e = (EnumValueDescriptor) v;
        return new GoEnum(typeName(e.getType()), e.getName(), e.getNumber());
      case BYTE_STRING:
        return ((ByteString) v).toByteArray();
      default:
        return v;
    }
  }

  private static String typeName(com.google.protobuf.Descriptors.EnumDescriptor e) {
    String pkg = e.getFile().getOptions().getGoPackage();
    pkg = pkg.contains(";") ? pkg.substring(pkg.indexOf(';') + 1) : pkg;
    pkg = pkg.substring(pkg.lastIndexOf('/') + 1);
    String name = e.getFullName().substring(e.getFile().getPackage().length() + 1);
    return pkg + "." + name.replace('.', '_');
  }

  private static boolean isUnsigned(FieldDescriptor f) {
    return f.getType() == FieldDescriptor.Type.UINT32
        || f.getType() == FieldDescriptor.Type.FIXED32;
  }
}

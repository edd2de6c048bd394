package io.jistiod.injector.template;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.util.ArrayList;
import java.util.List;

/**
 * A message as Go prints it with %v: its String() method, prototext in the single-line form ({@code
 * a:1 b:{c:"x"}}), fields in declaration order, map entries sorted by key.
 */
final class ProtoText {
  private ProtoText() {}

  static String compact(Message m) {
    StringBuilder b = new StringBuilder();
    fields(b, m);
    return b.toString();
  }

  private static void fields(StringBuilder b, Message m) {
    boolean first = true;
    for (FieldDescriptor f : m.getDescriptorForType().getFields()) {
      List<Object> values = new ArrayList<>();
      if (f.isRepeated()) {
        values.addAll((List<?>) m.getField(f));
        if (f.isMapField()) {
          FieldDescriptor key = f.getMessageType().findFieldByName("key");
          values.sort(
              (x, y) -> compareKeys(((Message) x).getField(key), ((Message) y).getField(key)));
        }
      } else if (m.hasField(f)) {
        values.add(m.getField(f));
      }
      for (Object v : values) {
        if (!first) {
          b.append(' ');
        }
        first = false;
        b.append(f.isExtension() ? "[" + f.getFullName() + "]" : f.getName()).append(':');
        value(b, f, v);
      }
    }
  }

  private static int compareKeys(Object a, Object b) {
    if (a instanceof String x && b instanceof String y) {
      return GoFmt.compareUtf8(x, y);
    }
    if (a instanceof Number x && b instanceof Number y) {
      return Long.compare(x.longValue(), y.longValue());
    }
    return Boolean.compare((Boolean) a, (Boolean) b);
  }

  private static void value(StringBuilder b, FieldDescriptor f, Object v) {
    switch (f.getJavaType()) {
      case MESSAGE -> {
        b.append('{');
        fields(b, (Message) v);
        b.append('}');
      }
      case ENUM -> b.append(((EnumValueDescriptor) v).getName());
      case STRING ->
          b.append(quote(((String) v).getBytes(java.nio.charset.StandardCharsets.UTF_8), true));
      case BYTE_STRING -> b.append(quote(((ByteString) v).toByteArray(), false));
      case FLOAT ->
          b.append(GoFloat.format(Double.parseDouble(Float.toString((Float) v)), 'g', -1));
      case DOUBLE -> b.append(GoFloat.format((Double) v, 'g', -1));
      case INT ->
          b.append(
              f.getType() == FieldDescriptor.Type.UINT32
                      || f.getType() == FieldDescriptor.Type.FIXED32
                  ? Integer.toUnsignedString((Integer) v)
                  : v.toString());
      case LONG ->
          b.append(
              f.getType() == FieldDescriptor.Type.UINT64
                      || f.getType() == FieldDescriptor.Type.FIXED64
                  ? Long.toUnsignedString((Long) v)
                  : v.toString());
      default -> b.append(v);
    }
  }

  /** prototext's string quoting: C-style escapes, valid UTF-8 kept for strings. */
  private static String quote(byte[] bytes, boolean utf8) {
    StringBuilder b = new StringBuilder("\"");
    String s = utf8 ? new String(bytes, java.nio.charset.StandardCharsets.UTF_8) : null;
    if (s != null) {
      for (int i = 0; i < s.length(); ) {
        int c = s.codePointAt(i);
        i += Character.charCount(c);
        switch (c) {
          case '"' -> b.append("\\\"");
          case '\\' -> b.append("\\\\");
          case '\n' -> b.append("\\n");
          case '\r' -> b.append("\\r");
          case '\t' -> b.append("\\t");
          default -> {
            if (c < 0x20 || c == 0x7f) {
              b.append(String.format("\\x%02x", c));
            } else {
              b.appendCodePoint(c);
            }
          }
        }
      }
    } else {
      for (byte x : bytes) {
        int c = x & 0xff;
        switch (c) {
          case '"' -> b.append("\\\"");
          case '\\' -> b.append("\\\\");
          case '\n' -> b.append("\\n");
          case '\r' -> b.append("\\r");
          case '\t' -> b.append("\\t");
          default -> {
            if (c < 0x20 || c >= 0x7f) {
              b.append(String.format("\\x%02x", c));
            } else {
              b.append((char) c);
            }
          }
        }
      }
    }
    return b.append('"').toString();
  }
}

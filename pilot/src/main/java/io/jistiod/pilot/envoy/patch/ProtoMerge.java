package io.jistiod.pilot.envoy.patch;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.util.List;
import java.util.Map;

/**
 * istiod's merge of an EnvoyFilter value into generated config: protobuf's merge (set fields
 * overwrite, lists append, map entries replace by key, messages merge field by field) except that a
 * Duration is replaced whole (merging {@code 1.5s} with {@code 2s} must give {@code 2s}, not {@code
 * 2.5s}).
 */
public final class ProtoMerge {
  private static final String DURATION = "google.protobuf.Duration";

  private ProtoMerge() {}

  /** {@code dst} with {@code src} merged in; both of one type. */
  @SuppressWarnings("unchecked")
  public static <T extends Message> T merge(T dst, Message src) {
    if (dst.getDescriptorForType() != src.getDescriptorForType()) {
      throw new IllegalArgumentException(
          "cannot merge "
              + src.getDescriptorForType().getFullName()
              + " into "
              + dst.getDescriptorForType().getFullName());
    }
    Message.Builder b = dst.toBuilder();
    mergeInto(b, src);
    return (T) b.build();
  }

  private static void mergeInto(Message.Builder dst, Message src) {
    for (Map.Entry<FieldDescriptor, Object> e : src.getAllFields().entrySet()) {
      FieldDescriptor fd = e.getKey();
      Object v = e.getValue();
      if (fd.isRepeated()) {
        // map fields are repeated entries: a later entry of a key replaces the earlier one
        for (Object item : (List<?>) v) {
          dst.addRepeatedField(fd, item);
        }
      } else if (fd.getJavaType() == FieldDescriptor.JavaType.MESSAGE
          && dst.hasField(fd)
          && !fd.getMessageType().getFullName().equals(DURATION)) {
        Message.Builder sub = ((Message) dst.getField(fd)).toBuilder();
        mergeInto(sub, (Message) v);
        dst.setField(fd, sub.build());
      } else {
        dst.setField(fd, v);
      }
    }
    if (!src.getUnknownFields().asMap().isEmpty()) {
      dst.mergeUnknownFields(src.getUnknownFields());
    }
  }

  /**
   * Two packed configs of one type merged: both unpacked, merged, packed again.
   *
   * @throws IllegalArgumentException if the types differ or are unknown
   */
  public static Any mergeAny(Any dst, Any src) {
    if (!dst.getTypeUrl().equals(src.getTypeUrl())) {
      throw new IllegalArgumentException(
          "cannot merge " + src.getTypeUrl() + " into " + dst.getTypeUrl());
    }
    return Any.pack(merge(EnvoyTypes.unpack(dst), EnvoyTypes.unpack(src)));
  }
}

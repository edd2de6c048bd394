package io.jistiod.pilot.envoy.patch;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds the Java class of a protobuf message type by its full name ({@code
 * envoy.extensions.filters.http.lua.v3.Lua}) or type URL, among the Envoy API classes on the class
 * path (java-control-plane's {@code io.envoyproxy.envoy.*}, the {@code xds.*} and {@code udpa.*}
 * types under {@code com.github.*}, protobuf's own under {@code com.google.protobuf}).
 *
 * <p>Nothing lists the types: every one of those jars puts a proto package {@code a.b.c} under a
 * Java package that ends in {@code a.b.c}, one message a class, nested messages as nested classes.
 * A candidate is accepted only when its descriptor has the asked full name, so a class that merely
 * has the right name is never taken for another type.
 */
public final class EnvoyTypes {
  /** Java package prefixes the Envoy API jars put proto packages under. */
  private static final List<String> PREFIXES =
      List.of("io.envoyproxy.", "com.github.", "com.github.udpa.", "com.", "");

  /** Each asked name's default instance (empty: no class), found once. */
  private static final Map<String, Optional<Message>> RESOLVED = new ConcurrentHashMap<>();

  private EnvoyTypes() {}

  /** The descriptor of the message type a type URL names, if its class is on the class path. */
  public static Optional<Descriptor> forTypeUrl(String typeUrl) {
    return prototype(typeUrl).map(Message::getDescriptorForType);
  }

  /** The default instance of the message type a type URL (or bare full name) names. */
  public static Optional<Message> prototype(String typeUrl) {
    int slash = typeUrl.lastIndexOf('/');
    return RESOLVED.computeIfAbsent(
        slash < 0 ? typeUrl : typeUrl.substring(slash + 1), EnvoyTypes::lookUp);
  }

  /**
   * Configs of filters that exist only in Istio's Envoy build (istio/proxy): our own copies of
   * their protos (galley) live under our Java packages, so they are listed here by full name.
   */
  private static final Map<String, Message> ISTIO_PROXY =
      Map.of(
          io.jistiod.galley.api.envoy.stats.PluginConfig.getDescriptor().getFullName(),
          io.jistiod.galley.api.envoy.stats.PluginConfig.getDefaultInstance(),
          io.jistiod.galley.api.envoy.alpn.v2alpha1.FilterConfig.getDescriptor().getFullName(),
          io.jistiod.galley.api.envoy.alpn.v2alpha1.FilterConfig.getDefaultInstance());

  private static Optional<Message> lookUp(String fullName) {
    Message istio = ISTIO_PROXY.get(fullName);
    if (istio != null) {
      return Optional.of(istio);
    }
    String[] parts = fullName.split("\\.");
    // try every split between package and message names from the right, so a nested message
    // (Outer.Inner) is found as the class Outer$Inner
    for (int firstMessage = parts.length - 1; firstMessage > 0; firstMessage--) {
      String pkg = String.join(".", Arrays.copyOfRange(parts, 0, firstMessage));
      String cls = String.join("$", Arrays.copyOfRange(parts, firstMessage, parts.length));
      for (String prefix : PREFIXES) {
        Optional<Message> m = instanceOf(prefix + pkg + "." + cls, fullName);
        if (m.isPresent()) {
          return m;
        }
      }
    }
    return Optional.empty();
  }

  private static Optional<Message> instanceOf(String className, String fullName) {
    try {
      Class<?> c = Class.forName(className, true, EnvoyTypes.class.getClassLoader());
      if (!Message.class.isAssignableFrom(c)) {
        return Optional.empty();
      }
      Message m = (Message) c.getMethod("getDefaultInstance").invoke(null);
      return m.getDescriptorForType().getFullName().equals(fullName)
          ? Optional.of(m)
          : Optional.empty();
    } catch (ReflectiveOperationException | LinkageError | ClassCastException e) {
      return Optional.empty();
    }
  }

  /**
   * A JSON type registry that knows every {@code @type} named anywhere in {@code value} (at any
   * depth, so an Any inside an Any resolves too).
   *
   * @throws IllegalArgumentException naming the first {@code @type} no class is found for
   */
  public static JsonFormat.TypeRegistry registryFor(Struct value) {
    Set<String> urls = new LinkedHashSet<>();
    collectTypeUrls(Value.newBuilder().setStructValue(value).build(), urls);
    JsonFormat.TypeRegistry.Builder b = JsonFormat.TypeRegistry.newBuilder();
    for (String url : urls) {
      Descriptor d =
          forTypeUrl(url).orElseThrow(() -> new IllegalArgumentException("unknown @type " + url));
      b.add(d);
    }
    return b.build();
  }

  private static void collectTypeUrls(Value v, Set<String> out) {
    switch (v.getKindCase()) {
      case STRUCT_VALUE -> {
        for (var e : v.getStructValue().getFieldsMap().entrySet()) {
          if (e.getKey().equals("@type") && e.getValue().hasStringValue()) {
            out.add(e.getValue().getStringValue());
          } else {
            collectTypeUrls(e.getValue(), out);
          }
        }
      }
      case LIST_VALUE -> v.getListValue().getValuesList().forEach(x -> collectTypeUrls(x, out));
      default -> {}
    }
  }

  /**
   * Unpacks an Any into the message class of its type URL.
   *
   * @throws IllegalArgumentException if the type is unknown or the bytes do not parse
   */
  public static Message unpack(Any any) {
    Message proto =
        prototype(any.getTypeUrl())
            .orElseThrow(() -> new IllegalArgumentException("unknown @type " + any.getTypeUrl()));
    try {
      return proto.getParserForType().parseFrom(any.getValue());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(
          "cannot decode " + any.getTypeUrl() + ": " + e.getMessage());
    }
  }
}

package io.jistiod.pilot.xds;

import com.google.protobuf.Any;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One generated resource: its xDS name and its packed body, immutable.
 *
 * <p>Its version (a digest of name and body) is computed once, on first use, and kept: a resource
 * shared through the push's {@code GenerationCache} by hundreds of proxies is digested once per
 * push, not once per proxy and type.
 */
public final class XdsResource {
  private final String name;
  private final Any body;
  private volatile String version;

  public XdsResource(String name, Any body) {
    this.name = Objects.requireNonNull(name, "name");
    this.body = Objects.requireNonNull(body, "body");
  }

  public static XdsResource of(String name, com.google.protobuf.Message message) {
    return new XdsResource(name, Any.pack(message));
  }

  public String name() {
    return name;
  }

  public Any body() {
    return body;
  }

  /** A digest of the name and the body: equal exactly when the content is. */
  public String version() {
    String v = version;
    if (v == null) {
      MessageDigest sha = sha256();
      update(sha);
      v = HexFormat.of().formatHex(sha.digest(), 0, 8);
      version = v;
    }
    return v;
  }

  /** Feeds the name and the body to {@code sha}. */
  void update(MessageDigest sha) {
    sha.update(name.getBytes(StandardCharsets.UTF_8));
    sha.update((byte) 0);
    sha.update(body.getTypeUrlBytes().asReadOnlyByteBuffer());
    sha.update(body.getValue().asReadOnlyByteBuffer());
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof XdsResource r && name.equals(r.name) && body.equals(r.body);
  }

  @Override
  public int hashCode() {
    return 31 * name.hashCode() + body.hashCode();
  }

  @Override
  public String toString() {
    return "XdsResource[name=" + name + ", type=" + body.getTypeUrl() + "]";
  }
}

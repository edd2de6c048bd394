package io.jistiod.pilot.xds;

import com.google.protobuf.Any;
import com.google.protobuf.ByteOutput;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
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
  private final java.util.List<String> aliases;
  private volatile String version;

  public XdsResource(String name, Any body) {
    this(name, body, java.util.List.of());
  }

  /**
   * A resource also found by other names: a subscription to an alias is answered with this resource
   * (the workload API's {@code network/IP} names of a workload or service).
   */
  public XdsResource(String name, Any body, java.util.List<String> aliases) {
    this.name = Objects.requireNonNull(name, "name");
    this.body = Objects.requireNonNull(body, "body");
    this.aliases = java.util.List.copyOf(aliases);
  }

  public static XdsResource of(String name, com.google.protobuf.Message message) {
    return new XdsResource(name, Any.pack(message));
  }

  /**
   * A resource whose body is its own {@code head} followed by {@code tail}, bytes shared with other
   * resources (a rope, not a copy). Its version digests the head and the tail's digest, which the
   * tail computed once: a gRPC route configuration is its name followed by a port's virtual hosts,
   * the same for every name of that port, and digesting those again for each of thousands of names
   * was a tenth of a push's CPU.
   */
  public static XdsResource withSharedTail(
      String name, String typeUrl, ByteString head, SharedBytes tail) {
    Any body = Any.newBuilder().setTypeUrl(typeUrl).setValue(head.concat(tail.bytes())).build();
    XdsResource r = new XdsResource(name, body);
    MessageDigest sha = sha256();
    sha.update(name.getBytes(StandardCharsets.UTF_8));
    sha.update((byte) 0);
    sha.update(typeUrl.getBytes(StandardCharsets.UTF_8));
    sha.update((byte) 0);
    sha.update(head.toByteArray());
    sha.update((byte) 0);
    sha.update(tail.digest);
    r.version = "s" + HexFormat.of().formatHex(sha.digest(), 0, 8);
    return r;
  }

  /** Bytes shared by the bodies of several resources, with their digest computed once. */
  public static final class SharedBytes {
    private final ByteString bytes;
    private final byte[] digest;

    private SharedBytes(ByteString bytes, byte[] digest) {
      this.bytes = bytes;
      this.digest = digest;
    }

    public static SharedBytes of(ByteString bytes) {
      MessageDigest sha = sha256();
      try {
        UnsafeByteOperations.unsafeWriteTo(bytes, new DigestOutput(sha));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e); // a digest does not fail
      }
      return new SharedBytes(bytes, sha.digest());
    }

    public ByteString bytes() {
      return bytes;
    }
  }

  public String name() {
    return name;
  }

  public Any body() {
    return body;
  }

  /** Other names a subscription may use for this resource; not part of its version. */
  public java.util.List<String> aliases() {
    return aliases;
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

  /**
   * Feeds the name and the body to {@code sha}. The body's bytes go to the digest where they lie: a
   * body that is a rope (a gRPC route configuration is its name followed by virtual hosts shared
   * with other names) would be copied whole into a new array by {@code asReadOnlyByteBuffer}, and
   * those copies were a fifth of all the bytes istiod allocated under load.
   */
  void update(MessageDigest sha) {
    sha.update(name.getBytes(StandardCharsets.UTF_8));
    sha.update((byte) 0);
    DigestOutput out = new DigestOutput(sha);
    try {
      UnsafeByteOperations.unsafeWriteTo(body.getTypeUrlBytes(), out);
      UnsafeByteOperations.unsafeWriteTo(body.getValue(), out);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e); // a digest does not fail
    }
  }

  /** Hands a ByteString's pieces to a digest without copying them (the digest only reads). */
  private static final class DigestOutput extends ByteOutput {
    private final MessageDigest sha;

    DigestOutput(MessageDigest sha) {
      this.sha = sha;
    }

    @Override
    public void write(byte value) {
      sha.update(value);
    }

    @Override
    public void write(byte[] value, int offset, int length) {
      sha.update(value, offset, length);
    }

    @Override
    public void writeLazy(byte[] value, int offset, int length) {
      sha.update(value, offset, length);
    }

    @Override
    public void write(java.nio.ByteBuffer value) {
      sha.update(value);
    }

    @Override
    public void writeLazy(java.nio.ByteBuffer value) {
      sha.update(value);
    }
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

package io.jistiod.pilot.xds;

import io.grpc.Context;
import io.jistiod.pilot.model.Proxy;
import java.util.List;
import java.util.Optional;

/**
 * Who opened an ADS stream, as the TLS port's authentication found it. The authenticating
 * interceptor (in istiod, in front of Pilot's service) puts the caller's identities into the gRPC
 * {@link Context} under {@link #IDENTITIES}; a stream on the plaintext port has none.
 *
 * <p>Debug requests use the identity that matches the node, as istiod's {@code VerifiedIdentity}:
 * the first SPIFFE identity in the node's config namespace and, if the node states one, its service
 * account.
 */
public final class XdsCaller {
  /** The authenticated caller's identities (SPIFFE URIs), or absent on an unauthenticated port. */
  public static final Context.Key<List<String>> IDENTITIES = Context.key("jistiod-xds-identities");

  /** The remote address of the stream's transport, set by {@link AdsService}'s binding. */
  static final Context.Key<java.net.SocketAddress> PEER = Context.key("jistiod-xds-peer");

  private XdsCaller() {}

  /**
   * Where a stream came from: its peer address ({@code 127.0.0.1:54321}), when it connected, and
   * the caller's identity that matched its node (empty on the plaintext port).
   */
  public record Origin(String peer, java.time.Instant connectedAt, Optional<Identity> identity) {
    static Origin of(java.net.SocketAddress peer, List<String> identities, Proxy proxy) {
      String address = "";
      if (peer instanceof java.net.InetSocketAddress inet) {
        address =
            inet.getAddress() == null
                ? inet.getHostString() + ":" + inet.getPort()
                : inet.getAddress().getHostAddress() + ":" + inet.getPort();
      } else if (peer != null) {
        address = peer.toString();
      }
      return new Origin(address, java.time.Instant.now(), verify(identities, proxy));
    }
  }

  /** A verified workload identity: {@code spiffe://<trust domain>/ns/<namespace>/sa/<account>}. */
  public record Identity(String trustDomain, String namespace, String serviceAccount) {
    @Override
    public String toString() {
      return "spiffe://" + trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount;
    }
  }

  /**
   * The caller's identity that may receive config for {@code proxy}, if any: the first SPIFFE
   * identity in the proxy's config namespace and, when the node names one, of its service account.
   */
  public static Optional<Identity> verify(List<String> identities, Proxy proxy) {
    if (identities == null) {
      return Optional.empty();
    }
    for (String raw : identities) {
      Optional<Identity> id = parse(raw);
      if (id.isEmpty()) {
        continue;
      }
      String ns = proxy.configNamespace();
      String sa = proxy.metadata().serviceAccount();
      if (!ns.isEmpty() && !id.get().namespace().equals(ns)) {
        continue;
      }
      if (!sa.isEmpty() && !id.get().serviceAccount().equals(sa)) {
        continue;
      }
      return id;
    }
    return Optional.empty();
  }

  /** Parses {@code spiffe://td/ns/N/sa/S}; anything else is empty. */
  public static Optional<Identity> parse(String uri) {
    String prefix = "spiffe://";
    if (uri == null || !uri.startsWith(prefix)) {
      return Optional.empty();
    }
    String[] parts = uri.substring(prefix.length()).split("/", -1);
    if (parts.length != 5
        || parts[0].isEmpty()
        || !parts[1].equals("ns")
        || parts[2].isEmpty()
        || !parts[3].equals("sa")
        || parts[4].isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new Identity(parts[0], parts[2], parts[4]));
  }
}

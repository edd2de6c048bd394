package io.jistiod.pilot.xds;

import java.util.Set;

/**
 * What a connection watches for one type, and what was last sent and acknowledged. Owned by its
 * {@link Connection}; only touched under the connection's lock.
 */
final class WatchedResource {
  final String typeUrl;
  Set<String> names;
  boolean wildcard;

  /** Nonce and version of the last response sent; null before the first. */
  String nonceSent;

  String versionSent;

  /**
   * The version of each resource the client holds from the responses sent, by name; kept for the
   * types a response may carry part of (sotw EDS), so a partial response can be followed by an
   * unchanged-content check over the whole set.
   */
  final java.util.Map<String, String> resourceVersions = new java.util.TreeMap<>();

  /** Nonce of the last response the client accepted. */
  String nonceAcked;

  /** The error of the last NACK, null if the last response was accepted. */
  String lastError;

  /** When the last response was sent (epoch millis), 0 before the first. */
  long lastSentMillis;

  SyncStatus.TypeState state() {
    return new SyncStatus.TypeState(typeUrl, nonceSent, nonceAcked, lastError, lastSentMillis);
  }

  WatchedResource(String typeUrl, Set<String> names, boolean wildcard) {
    this.typeUrl = typeUrl;
    this.names = Set.copyOf(names);
    this.wildcard = wildcard;
  }
}

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

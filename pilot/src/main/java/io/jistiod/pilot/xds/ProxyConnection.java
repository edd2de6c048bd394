package io.jistiod.pilot.xds;

import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.push.PushRequest;
import java.util.Map;
import java.util.Set;

/** One ADS stream of a proxy, state-of-the-world or delta, as the push machinery sees it. */
interface ProxyConnection {

  String id();

  /** The peer, connection time and verified caller of the stream. */
  XdsCaller.Origin origin();

  Proxy proxy();

  /**
   * Pushes every watched type, in push order, whose content changed; for an endpoints-only request
   * ({@code full} false) only endpoints are recomputed.
   */
  void push(PushContext push, PushRequest request);

  void close();

  /** Ends the stream with {@code status} (the client reconnects) and stops serving it. */
  void fail(io.grpc.Status status);

  /**
   * The EDS names subscribed to; never waits for the connection's lock, which a push to a stalled
   * stream may hold for the send timeout.
   */
  Set<String> watchedEndpoints();

  /** Type URL to subscribed names, for debug endpoints. */
  Map<String, Set<String>> watchedNames();

  /**
   * What was sent and acknowledged per watched type, as of the last request or push; never waits
   * for the connection's lock.
   */
  java.util.List<SyncStatus.TypeState> syncStates();
}

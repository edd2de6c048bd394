package io.jistiod.pilot.xds;

import io.jistiod.pilot.push.PushRequest;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Pushes waiting for workers: at most one pending push per connection, with later requests merged
 * into it, and never two workers on the same connection. A slow proxy therefore holds one worker at
 * most and never piles up work.
 */
final class PushQueue {
  private final Map<ProxyConnection, PushRequest> pending = new LinkedHashMap<>();
  private final Set<ProxyConnection> inProgress = new HashSet<>();
  private boolean shutdown;

  synchronized void enqueue(ProxyConnection c, PushRequest request) {
    pending.merge(c, request, PushRequest::merge);
    notifyAll();
  }

  /** Blocks until a connection not already being pushed has a pending push, or shutdown. */
  synchronized Map.Entry<ProxyConnection, PushRequest> take() throws InterruptedException {
    while (true) {
      if (shutdown) {
        return null;
      }
      Iterator<Map.Entry<ProxyConnection, PushRequest>> it = pending.entrySet().iterator();
      while (it.hasNext()) {
        Map.Entry<ProxyConnection, PushRequest> e = it.next();
        if (!inProgress.contains(e.getKey())) {
          it.remove();
          inProgress.add(e.getKey());
          return e;
        }
      }
      wait();
    }
  }

  synchronized void done(ProxyConnection c) {
    inProgress.remove(c);
    if (pending.containsKey(c)) {
      notifyAll();
    }
  }

  synchronized void remove(ProxyConnection c) {
    pending.remove(c);
  }

  synchronized int pendingCount() {
    return pending.size();
  }

  /** Connections pending or being pushed. */
  synchronized int size() {
    Set<ProxyConnection> all = new HashSet<>(pending.keySet());
    all.addAll(inProgress);
    return all.size();
  }

  synchronized void shutdown() {
    shutdown = true;
    notifyAll();
  }
}

package io.jistiod.istiod.gatewayapi;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A work queue that holds at most one item per key: putting a key that is already queued replaces
 * its item in place, so a consumer that falls behind writes only the newest status of each object,
 * once, and the queue never grows beyond the number of objects. Keys are taken in the order they
 * were first queued. Shared by the status writers (Gateway API, ambient).
 */
public final class LatestPerKeyQueue<K, V> {
  private final Map<K, V> items = new LinkedHashMap<>();

  /** Queues {@code value} for {@code key}, replacing what is queued for it. */
  public synchronized void put(K key, V value) {
    items.put(key, value);
    notifyAll();
  }

  /** Waits for an item and removes it. */
  public synchronized Map.Entry<K, V> take() throws InterruptedException {
    while (items.isEmpty()) {
      wait();
    }
    Iterator<Map.Entry<K, V>> it = items.entrySet().iterator();
    Map.Entry<K, V> first = it.next();
    Map.Entry<K, V> copy = Map.entry(first.getKey(), first.getValue());
    it.remove();
    return copy;
  }

  /** Drops everything queued. */
  public synchronized void clear() {
    items.clear();
  }

  public synchronized int size() {
    return items.size();
  }
}

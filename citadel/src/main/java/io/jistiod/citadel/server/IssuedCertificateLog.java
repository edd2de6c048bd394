package io.jistiod.citadel.server;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The last certificate issued per workload identity, for the dashboard: when it was issued and when
 * it expires. Bounded: past {@code capacity} identities, the one renewed longest ago is forgotten.
 */
public final class IssuedCertificateLog {
  /** One identity's latest certificate. */
  public record Entry(String identity, Instant issuedAt, Instant notAfter) {}

  private final int capacity;
  private final LinkedHashMap<String, Entry> byIdentity;

  public IssuedCertificateLog(int capacity) {
    this.capacity = capacity;
    this.byIdentity =
        new LinkedHashMap<>(16, 0.75f, false) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
            return size() > IssuedCertificateLog.this.capacity;
          }
        };
  }

  /** Records a certificate for {@code identities} (usually one SPIFFE id). */
  public synchronized void record(List<String> identities, Instant issuedAt, Instant notAfter) {
    String identity = String.join(",", identities);
    byIdentity.remove(identity); // re-inserted last: insertion order is renewal order
    byIdentity.put(identity, new Entry(identity, issuedAt, notAfter));
  }

  /** Every identity's latest certificate, soonest expiry first. */
  public synchronized List<Entry> entries() {
    List<Entry> out = new ArrayList<>(byIdentity.values());
    out.sort(java.util.Comparator.comparing(Entry::notAfter));
    return out;
  }
}

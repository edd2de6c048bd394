package io.jistiod.istiod;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jistiod.citadel.pki.CaKeyMaterial;
import io.jistiod.galley.analysis.Analysis;
import io.jistiod.galley.analysis.AnalysisMessage;
import io.jistiod.galley.config.AggregateConfigStore;
import io.jistiod.galley.config.ConfigKey;
import io.jistiod.galley.mesh.MeshConfigWatcher;
import io.jistiod.istiod.http.HttpEndpoints;
import io.jistiod.istiod.security.IstiodSecurity;
import io.jistiod.pilot.xds.DiscoveryServer;
import io.jistiod.pilot.xds.SyncStatus;
import io.jistiod.pilot.xds.TypeUrls;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The live mesh dashboard on the monitoring port: {@code /ui} is one self-contained page (no assets
 * from elsewhere, so it works on a closed network) that reads {@code /ui/state} every second and
 * redraws without a reload. The state: connected proxies with their per-type sync state, NACKs with
 * their error text, pushes and the convergence histogram, config counts and analyzer findings, the
 * CA's roots and the workload certificates issued, each with its expiry.
 */
final class MeshDashboard {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** How many objects the analyzers look at per refresh, and how long findings are reused. */
  private static final int MAX_ANALYZED = 2000;

  private static final long FINDINGS_TTL_NANOS = TimeUnit.SECONDS.toNanos(5);

  private final DiscoveryServer discovery;
  private final AggregateConfigStore store;
  private final MeterRegistry metrics;
  private final Analysis analysis;
  private final Supplier<IstiodSecurity> security;
  private final MeshConfigWatcher mesh;
  private final String identity;
  private final String page;
  private volatile CachedFindings findings;

  private record CachedFindings(long atNanos, List<String> messages) {}

  MeshDashboard(
      DiscoveryServer discovery,
      AggregateConfigStore store,
      MeterRegistry metrics,
      Analysis analysis,
      Supplier<IstiodSecurity> security,
      MeshConfigWatcher mesh,
      String identity) {
    this.discovery = discovery;
    this.store = store;
    this.metrics = metrics;
    this.analysis = analysis;
    this.security = security;
    this.mesh = mesh;
    this.identity = identity;
    this.page = readPage();
  }

  void register(HttpEndpoints server) {
    server
        .text("/ui", "text/html; charset=utf-8", () -> HttpEndpoints.Response.ok(page))
        .text("/ui/", "text/html; charset=utf-8", () -> HttpEndpoints.Response.ok(page))
        .text("/ui/state", "application/json", () -> json(state()));
  }

  private static String readPage() {
    try (InputStream in = MeshDashboard.class.getResourceAsStream("/ui/index.html")) {
      if (in == null) {
        throw new IllegalStateException("ui/index.html is missing from the jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read ui/index.html", e);
    }
  }

  Map<String, Object> state() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("istiod", identity);
    out.put("version", BuildInfo.ISTIO_VERSION + "-jistiod-" + BuildInfo.ownVersion());
    out.put("time", Instant.now().toString());
    out.put("pushVersion", discovery.current().version());
    out.put("services", discovery.current().services().size());
    out.put("proxies", proxies());
    out.put("nacks", nacks());
    out.put("pushes", pushes());
    out.put("convergence", convergence());
    out.put("config", configCounts());
    out.put("findings", findings());
    String meshError = mesh == null ? null : mesh.lastError();
    if (meshError != null) {
      out.put("meshConfigError", meshError);
    }
    out.put("ca", ca());
    return out;
  }

  private List<Map<String, Object>> proxies() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (DiscoveryServer.ClientState c : discovery.clientStates()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("connectionId", c.connectionId());
      m.put("id", c.proxy().id());
      m.put("type", c.proxy().type().name().toLowerCase(java.util.Locale.ROOT));
      m.put("istioVersion", c.proxy().metadata().istioVersion());
      m.put("address", c.origin().peer());
      m.put("connectedAt", c.origin().connectedAt().toString());
      Map<String, String> types = new TreeMap<>();
      for (SyncStatus.TypeState t : c.types()) {
        types.put(TypeUrls.shortName(t.typeUrl()), t.status().name());
      }
      m.put("types", types);
      out.add(m);
    }
    return out;
  }

  private List<Map<String, Object>> nacks() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (DiscoveryServer.ClientState p : discovery.clientStates()) {
      for (SyncStatus.TypeState t : p.types()) {
        if (t.lastError() != null && !t.lastError().isEmpty()) {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("proxy", p.proxy().id());
          m.put("type", TypeUrls.shortName(t.typeUrl()));
          m.put("error", t.lastError());
          out.add(m);
        }
      }
    }
    return out;
  }

  /**
   * Responses sent so far, by type and in all ({@code pilot_xds_pushes}); the page derives rates.
   */
  private Map<String, Object> pushes() {
    Map<String, Double> byType = new TreeMap<>();
    double total = 0;
    for (Counter c : metrics.find("pilot_xds_pushes").counters()) {
      String type = c.getId().getTag("type");
      if (type == null || type.endsWith("_senderr")) {
        continue;
      }
      byType.merge(type, c.count(), Double::sum);
      total += c.count();
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("total", total);
    out.put("byType", byType);
    return out;
  }

  /** {@code pilot_proxy_convergence_time}: count per bucket (not cumulative), seconds. */
  private Map<String, Object> convergence() {
    Map<String, Object> out = new LinkedHashMap<>();
    Timer timer = metrics.find("pilot_proxy_convergence_time").timer();
    if (timer == null) {
      out.put("count", 0);
      out.put("buckets", List.of());
      return out;
    }
    HistogramSnapshot snapshot = timer.takeSnapshot();
    List<Map<String, Object>> buckets = new ArrayList<>();
    double below = 0;
    for (CountAtBucket b : snapshot.histogramCounts()) {
      Map<String, Object> bucket = new LinkedHashMap<>();
      bucket.put("le", b.bucket(TimeUnit.SECONDS));
      bucket.put("count", b.count() - below);
      below = b.count();
      buckets.add(bucket);
    }
    Map<String, Object> inf = new LinkedHashMap<>();
    inf.put("le", "+Inf");
    inf.put("count", Math.max(0, snapshot.count() - below));
    buckets.add(inf);
    out.put("count", snapshot.count());
    out.put("meanSeconds", snapshot.count() == 0 ? 0 : snapshot.mean(TimeUnit.SECONDS));
    out.put("buckets", buckets);
    return out;
  }

  private Map<String, Integer> configCounts() {
    Map<String, Integer> out = new TreeMap<>();
    for (ConfigKey k : store.keys()) {
      out.merge(k.kind().kind(), 1, Integer::sum);
    }
    return out;
  }

  /** What the admission analyzers find in the stored config, refreshed at most every 5 s. */
  private List<String> findings() {
    if (analysis == null) {
      return List.of();
    }
    CachedFindings cached = findings;
    long now = System.nanoTime();
    if (cached != null && now - cached.atNanos() < FINDINGS_TTL_NANOS) {
      return cached.messages();
    }
    List<String> out = new ArrayList<>();
    int analyzed = 0;
    for (ConfigKey k : store.keys()) {
      if (analyzed++ >= MAX_ANALYZED) {
        out.add("(analysis stopped after " + MAX_ANALYZED + " objects)");
        break;
      }
      var config = store.get(k.kind(), k.namespace(), k.name());
      if (config.isEmpty()) {
        continue;
      }
      try {
        for (AnalysisMessage m : analysis.analyze(config.get())) {
          out.add(m.toString());
        }
      } catch (RuntimeException e) {
        out.add(k + ": analysis failed: " + e.getMessage());
      }
    }
    findings = new CachedFindings(now, List.copyOf(out));
    return out;
  }

  private Map<String, Object> ca() {
    Map<String, Object> out = new LinkedHashMap<>();
    IstiodSecurity s = security.get();
    if (s == null) {
      out.put("enabled", false);
      return out;
    }
    out.put("enabled", true);
    out.put("source", s.describe());
    List<Map<String, Object>> roots = new ArrayList<>();
    s.ca()
        .current()
        .map(CaKeyMaterial::rootBundle)
        .ifPresent(
            bundle -> {
              for (X509Certificate c : bundle) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("subject", c.getSubjectX500Principal().getName());
                r.put("notAfter", c.getNotAfter().toInstant().toString());
                roots.add(r);
              }
            });
    out.put("roots", roots);
    List<Map<String, Object>> workloads = new ArrayList<>();
    if (s.certificates() != null) {
      for (var e : s.certificates().issued().entries()) {
        Map<String, Object> w = new LinkedHashMap<>();
        w.put("identity", e.identity());
        w.put("issuedAt", e.issuedAt().toString());
        w.put("notAfter", e.notAfter().toString());
        workloads.add(w);
      }
    }
    out.put("workloads", workloads);
    return out;
  }

  private static HttpEndpoints.Response json(Object o) {
    try {
      return HttpEndpoints.Response.ok(JSON.writeValueAsString(o));
    } catch (JsonProcessingException e) {
      return new HttpEndpoints.Response(500, e.getMessage());
    }
  }
}

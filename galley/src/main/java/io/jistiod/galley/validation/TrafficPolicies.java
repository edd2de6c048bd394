package io.jistiod.galley.validation;

import io.jistiod.galley.api.networking.v1alpha3.ClientTLSSettings;
import io.jistiod.galley.api.networking.v1alpha3.ConnectionPoolSettings;
import io.jistiod.galley.api.networking.v1alpha3.LoadBalancerSettings;
import io.jistiod.galley.api.networking.v1alpha3.LocalityLoadBalancerSetting;
import io.jistiod.galley.api.networking.v1alpha3.OutlierDetection;
import io.jistiod.galley.api.networking.v1alpha3.TrafficPolicy;
import io.jistiod.galley.api.networking.v1alpha3.WarmupConfiguration;
import io.jistiod.galley.api.networking.v1alpha3.ZoneAwareLoadBalancerSetting;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** DestinationRule traffic policies; connection pools are shared with Sidecar. */
final class TrafficPolicies {
  private static final Set<String> TOPOLOGY_LABELS =
      Set.of(
          "topology.kubernetes.io/region",
          "topology.kubernetes.io/zone",
          "topology.istio.io/subzone");
  private static final long MAGLEV_TABLE_LIMIT = 5_000_011L;

  private TrafficPolicies() {}

  static void trafficPolicy(String namespace, TrafficPolicy p, String path, Findings f) {
    if (!p.hasOutlierDetection()
        && !p.hasConnectionPool()
        && !p.hasLoadBalancer()
        && !p.hasTls()
        && p.getPortLevelSettingsCount() == 0
        && !p.hasTunnel()
        && !p.hasProxyProtocol()
        && !p.hasRetryBudget()) {
      f.error(path, "a traffic policy needs at least one setting");
      return;
    }
    if (p.hasTunnel() && p.hasProxyProtocol()) {
      f.error(path, "tunnel and proxyProtocol cannot be set together");
      return;
    }
    if (p.hasOutlierDetection()) {
      outlierDetection(p.getOutlierDetection(), path + ".outlierDetection", f);
    }
    if (p.hasConnectionPool()) {
      connectionPool(p.getConnectionPool(), path + ".connectionPool", f);
    }
    if (p.hasLoadBalancer()) {
      loadBalancer(p.getLoadBalancer(), p.hasOutlierDetection(), path + ".loadBalancer", f);
    }
    if (p.hasTls()) {
      clientTls(namespace, p.getTls(), path + ".tls", f);
    }
    for (int i = 0; i < p.getPortLevelSettingsCount(); i++) {
      Deadline.check();
      TrafficPolicy.PortTrafficPolicy pl = p.getPortLevelSettings(i);
      String where = Findings.at(path + ".portLevelSettings", i);
      if (!pl.hasPort()) {
        f.error(where + ".port", "a port-level traffic policy needs a port");
      }
      if (!pl.hasOutlierDetection()
          && !pl.hasConnectionPool()
          && !pl.hasLoadBalancer()
          && !pl.hasTls()) {
        f.error(where, "a port-level traffic policy needs at least one setting");
        continue;
      }
      if (pl.hasOutlierDetection()) {
        outlierDetection(pl.getOutlierDetection(), where + ".outlierDetection", f);
      }
      if (pl.hasConnectionPool()) {
        connectionPool(pl.getConnectionPool(), where + ".connectionPool", f);
      }
      if (pl.hasLoadBalancer()) {
        loadBalancer(pl.getLoadBalancer(), pl.hasOutlierDetection(), where + ".loadBalancer", f);
      }
      if (pl.hasTls()) {
        clientTls(namespace, pl.getTls(), where + ".tls", f);
      }
    }
    if (p.hasTunnel()) {
      tunnel(p.getTunnel(), path + ".tunnel", f);
    }
  }

  private static void tunnel(TrafficPolicy.TunnelSettings t, String path, Findings f) {
    String protocol = t.getProtocol();
    if (!protocol.isEmpty() && !protocol.equals("CONNECT") && !protocol.equals("POST")) {
      f.error(path + ".protocol", "tunnel protocol must be \"CONNECT\" or \"POST\"");
    }
    String host = t.getTargetHost();
    if (Hosts.fqdnProblem(host) != null && !Ips.isAddress(host)) {
      f.error(
          path + ".targetHost",
          "tunnel target host \"" + host + "\" must be a valid FQDN or IP address");
    }
    Ports.number(Integer.toUnsignedLong(t.getTargetPort()), path + ".targetPort", f);
  }

  static void outlierDetection(OutlierDetection o, String path, Findings f) {
    if (o.hasBaseEjectionTime()) {
      Durations.check(o.getBaseEjectionTime(), path + ".baseEjectionTime", f);
    }
    if (o.getConsecutiveErrors() != 0) {
      f.warning(
          path + ".consecutiveErrors",
          "consecutiveErrors is deprecated; use consecutiveGatewayErrors or consecutive5xxErrors");
    }
    if (!o.getSplitExternalLocalOriginErrors()
        && o.getConsecutiveLocalOriginFailures().getValue() != 0) {
      f.error(
          path + ".consecutiveLocalOriginFailures",
          "consecutiveLocalOriginFailures needs splitExternalLocalOriginErrors: true");
    }
    if (o.hasInterval()) {
      Durations.check(o.getInterval(), path + ".interval", f);
    }
    percent(o.getMaxEjectionPercent(), path + ".maxEjectionPercent", f);
    percent(o.getMinHealthPercent(), path + ".minHealthPercent", f);
  }

  private static void percent(int v, String path, Findings f) {
    if (v < 0 || v > 100) {
      f.error(path, "percentage " + v + " is not between 0 and 100");
    }
  }

  static void connectionPool(ConnectionPoolSettings c, String path, Findings f) {
    if (!c.hasHttp() && !c.hasTcp()) {
      f.error(path, "a connection pool needs tcp or http settings");
      return;
    }
    if (c.hasHttp()) {
      ConnectionPoolSettings.HTTPSettings h = c.getHttp();
      String hp = path + ".http";
      nonNegative(h.getHttp1MaxPendingRequests(), hp + ".http1MaxPendingRequests", f);
      nonNegative(h.getHttp2MaxRequests(), hp + ".http2MaxRequests", f);
      nonNegative(h.getMaxRequestsPerConnection(), hp + ".maxRequestsPerConnection", f);
      nonNegative(h.getMaxRetries(), hp + ".maxRetries", f);
      if (h.hasIdleTimeout()) {
        Durations.check(h.getIdleTimeout(), hp + ".idleTimeout", f);
      }
      if (h.getH2UpgradePolicy() == ConnectionPoolSettings.HTTPSettings.H2UpgradePolicy.UPGRADE
          && h.getUseClientProtocol()) {
        f.error(
            hp + ".useClientProtocol",
            "useClientProtocol must not be true with h2UpgradePolicy UPGRADE");
      }
      nonNegative(h.getMaxConcurrentStreams(), hp + ".maxConcurrentStreams", f);
      if (h.hasHttp2KeepAlive()) {
        var ka = h.getHttp2KeepAlive();
        String kp = hp + ".http2KeepAlive";
        if (!ka.hasInterval()) {
          f.error(kp + ".interval", "an HTTP/2 keepalive needs an interval");
        } else {
          Durations.check(ka.getInterval(), kp + ".interval", f);
        }
        if (!ka.hasTimeout()) {
          f.error(kp + ".timeout", "an HTTP/2 keepalive needs a timeout");
        } else {
          Durations.check(ka.getTimeout(), kp + ".timeout", f);
        }
      }
    }
    if (c.hasTcp()) {
      ConnectionPoolSettings.TCPSettings t = c.getTcp();
      String tp = path + ".tcp";
      nonNegative(t.getMaxConnections(), tp + ".maxConnections", f);
      if (t.hasConnectTimeout()) {
        Durations.check(t.getConnectTimeout(), tp + ".connectTimeout", f);
      }
      if (t.hasMaxConnectionDuration()) {
        Durations.check(t.getMaxConnectionDuration(), tp + ".maxConnectionDuration", f);
      }
      if (t.hasIdleTimeout()) {
        // 0s (below a millisecond) disables the idle timeout.
        var d = t.getIdleTimeout();
        boolean disabled = d.getSeconds() == 0 && Math.abs(d.getNanos()) < 1_000_000;
        if (!disabled) {
          Durations.check(d, tp + ".idleTimeout", f);
        }
      }
      if (t.hasTcpKeepalive()) {
        var ka = t.getTcpKeepalive();
        if (ka.hasTime()) {
          Durations.check(ka.getTime(), tp + ".tcpKeepalive.time", f);
        }
        if (ka.hasInterval()) {
          Durations.check(ka.getInterval(), tp + ".tcpKeepalive.interval", f);
        }
      }
    }
  }

  private static void nonNegative(int v, String path, Findings f) {
    if (v < 0) {
      f.error(path, "must not be negative, got " + v);
    }
  }

  static void loadBalancer(LoadBalancerSettings lb, boolean hasOutlier, String path, Findings f) {
    if (lb.hasConsistentHash()) {
      var ch = lb.getConsistentHash();
      String cp = path + ".consistentHash";
      if (ch.hasHttpCookie()) {
        var cookie = ch.getHttpCookie();
        if (cookie.getName().isEmpty()) {
          f.error(cp + ".httpCookie.name", "an HTTP cookie hash needs a cookie name");
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < cookie.getAttributesCount(); i++) {
          Deadline.check();
          String name = cookie.getAttributes(i).getName();
          String where = Findings.at(cp + ".httpCookie.attributes", i) + ".name";
          if (name.isEmpty()) {
            f.error(where, "cookie attribute name must not be empty");
          } else if (!names.add(name)) {
            f.error(where, "duplicate cookie attribute \"" + name + "\"");
          }
        }
      }
      if (ch.getMinimumRingSize() != 0) {
        f.warning(
            cp + ".minimumRingSize", "minimumRingSize is deprecated; use ringHash.minimumRingSize");
        if (ch.getHashAlgorithmCase()
            != LoadBalancerSettings.ConsistentHashLB.HashAlgorithmCase.HASHALGORITHM_NOT_SET) {
          f.error(
              cp + ".minimumRingSize",
              "minimumRingSize cannot be combined with ringHash or maglev");
        }
      }
      if (ch.hasMaglev()) {
        long size = ch.getMaglev().getTableSize();
        String where = cp + ".maglev.tableSize";
        if (size == 0) {
          f.error(where, "maglev needs a tableSize");
        }
        if (Long.compareUnsigned(size, MAGLEV_TABLE_LIMIT) >= 0) {
          f.error(where, "maglev tableSize must be less than " + MAGLEV_TABLE_LIMIT);
        } else if (!isPrime(size)) {
          f.error(where, "maglev tableSize must be a prime number");
        }
      }
    }
    if (lb.hasLocalityLbSetting() && lb.hasZoneAwareLbSetting()) {
      f.error(path, "localityLbSetting and zoneAwareLbSetting cannot be set together");
    }
    if (lb.hasLocalityLbSetting()) {
      localityLb(lb.getLocalityLbSetting(), hasOutlier, path + ".localityLbSetting", f);
    }
    if (lb.hasZoneAwareLbSetting()) {
      zoneAwareLb(lb.getZoneAwareLbSetting(), hasOutlier, path + ".zoneAwareLbSetting", f);
    }
    if (lb.hasWarmup()) {
      warmup(lb.getWarmup(), path + ".warmup", f);
    }
  }

  private static void warmup(WarmupConfiguration w, String path, Findings f) {
    if (!w.hasDuration()) {
      f.error(path + ".duration", "warmup needs a duration");
    } else {
      Durations.check(w.getDuration(), path + ".duration", f);
    }
    if (w.getMinimumPercent().getValue() > 100) {
      f.error(path + ".minimumPercent", "minimumPercent must be at most 100");
    }
    if (w.hasAggression() && w.getAggression().getValue() <= 0) {
      f.error(path + ".aggression", "aggression must be greater than 0");
    }
  }

  /** As Envoy decides primality for maglev table sizes. */
  static boolean isPrime(long x) {
    if (x != 0 && x < 4) {
      return true;
    }
    if ((x & 1) == 0) {
      return false;
    }
    long limit = (long) Math.sqrt((double) x);
    for (long factor = 3; factor <= limit; factor += 2) {
      Deadline.check();
      if (x % factor == 0) {
        return false;
      }
    }
    return true;
  }

  private static void localityLb(
      LocalityLoadBalancerSetting lb, boolean hasOutlier, String path, Findings f) {
    if (lb.getDistributeCount() > 0 && lb.getFailoverCount() > 0) {
      f.error(path, "distribute and failover cannot be set together");
      return;
    }
    if (lb.getFailoverCount() > 0) {
      for (int i = 0; i < lb.getFailoverPriorityCount(); i++) {
        Deadline.check();
        if (TOPOLOGY_LABELS.contains(lb.getFailoverPriority(i))) {
          f.error(
              Findings.at(path + ".failoverPriority", i),
              "failover cannot be combined with the topology label \""
                  + lb.getFailoverPriority(i)
                  + "\" in failoverPriority");
          return;
        }
      }
    }
    List<String> sources = new ArrayList<>();
    for (int i = 0; i < lb.getDistributeCount(); i++) {
      Deadline.check();
      var d = lb.getDistribute(i);
      String where = Findings.at(path + ".distribute", i);
      sources.add(d.getFrom());
      long total = 0;
      List<String> targets = new ArrayList<>();
      for (var e : d.getToMap().entrySet()) {
        Deadline.check();
        targets.add(e.getKey());
        long w = Integer.toUnsignedLong(e.getValue());
        if (w == 0 || w > 100) {
          f.error(
              Findings.key(where + ".to", e.getKey()), "locality weight must be between 1 and 100");
          return;
        }
        total += w;
      }
      if (total != 100) {
        f.error(where + ".to", "locality weights must add up to 100, got " + total);
        return;
      }
      f.errorIf(where + ".to", localitiesProblem(targets));
    }
    f.errorIf(path + ".distribute", localitiesProblem(sources));
    if ((lb.getFailoverCount() > 0 || lb.getFailoverPriorityCount() > 0) && !hasOutlier) {
      f.warning(path, "failover needs an outlier detection policy to take effect");
    }
    for (int i = 0; i < lb.getFailoverCount(); i++) {
      Deadline.check();
      failover(
          lb.getFailover(i).getFrom(),
          lb.getFailover(i).getTo(),
          Findings.at(path + ".failover", i),
          "locality",
          f);
    }
  }

  private static void failover(String from, String to, String path, String what, Findings f) {
    if (from.equals(to)) {
      f.error(path, what + " failover must name different regions");
    }
    if (from.contains("/") || to.contains("/")) {
      f.error(path, what + " failover names regions only (no \"/\")");
    }
    if (from.contains("*") || to.contains("*")) {
      f.error(path, what + " failover regions must not contain \"*\"");
    }
  }

  private static void zoneAwareLb(
      ZoneAwareLoadBalancerSetting lb, boolean hasOutlier, String path, Findings f) {
    for (int i = 0; i < lb.getFailoverPriorityCount(); i++) {
      Deadline.check();
      if (TOPOLOGY_LABELS.contains(lb.getFailoverPriority(i))) {
        f.error(
            Findings.at(path + ".failoverPriority", i),
            "zone-aware failoverPriority must not use the topology label \""
                + lb.getFailoverPriority(i)
                + "\"; region and zone routing are automatic");
      }
    }
    if ((lb.getFailoverCount() > 0 || lb.getFailoverPriorityCount() > 0) && !hasOutlier) {
      f.warning(path, "failover needs an outlier detection policy to take effect");
    }
    for (int i = 0; i < lb.getFailoverCount(); i++) {
      Deadline.check();
      failover(
          lb.getFailover(i).getFrom(),
          lb.getFailover(i).getTo(),
          Findings.at(path + ".failover", i),
          "zone-aware",
          f);
    }
  }

  /** Localities {@code region/zone/subzone}: one trailing wildcard at most, no overlaps. */
  private static String localitiesProblem(List<String> localities) {
    Map<String, Map<String, Set<String>>> tree = new HashMap<>();
    for (String locality : localities) {
      Deadline.check();
      long stars = locality.chars().filter(c -> c == '*').count();
      if (stars > 0 && (stars > 1 || !locality.endsWith("*"))) {
        return "locality \"" + locality + "\" may have one wildcard \"*\", only at the end";
      }
      if (tree.containsKey("*")) {
        return "locality \"" + locality + "\" overlaps an earlier one";
      }
      String[] items = locality.split("/", 3);
      if (locality.isEmpty()) {
        items = new String[] {""};
      }
      for (String item : items) {
        Deadline.check();
        if (item.isEmpty()) {
          return "locality \"" + locality + "\" has an empty region, zone or subzone";
        }
      }
      String region = items[0];
      String overlap = "locality \"" + locality + "\" overlaps an earlier one";
      if (items.length == 1) {
        if (tree.containsKey(region)) {
          return overlap;
        }
        Map<String, Set<String>> all = new HashMap<>();
        all.put("*", new HashSet<>(Set.of("*")));
        tree.put(region, all);
      } else if (items.length == 2) {
        Map<String, Set<String>> zones = tree.get(region);
        if (zones != null) {
          if (zones.containsKey("*") || zones.containsKey(items[1])) {
            return overlap;
          }
          zones.put(items[1], new HashSet<>(Set.of("*")));
        } else {
          Map<String, Set<String>> z = new HashMap<>();
          z.put(items[1], new HashSet<>(Set.of("*")));
          tree.put(region, z);
        }
      } else {
        Map<String, Set<String>> zones = tree.get(region);
        if (zones != null) {
          if (zones.containsKey("*")) {
            return overlap;
          }
          Set<String> subzones = zones.get(items[1]);
          if (subzones != null) {
            if (subzones.contains("*") || subzones.contains(items[2])) {
              return overlap;
            }
            subzones.add(items[2]);
          } else {
            zones.put(items[1], new HashSet<>(Set.of(items[2])));
          }
        } else {
          Map<String, Set<String>> z = new HashMap<>();
          z.put(items[1], new HashSet<>(Set.of(items[2])));
          tree.put(region, z);
        }
      }
    }
    return null;
  }

  /** Client-side TLS (DestinationRule, Sidecar egress proxy). */
  static void clientTls(String namespace, ClientTLSSettings t, String path, Findings f) {
    String cred = t.getCredentialName();
    if (cred.startsWith("configmap://")) {
      String[] split = cred.substring("configmap://".length()).split("/", -1);
      if (split.length <= 1 || split[0].isEmpty() || split[1].isEmpty()) {
        f.error(
            path + ".credentialName",
            "a configmap:// credentialName must be configmap://<namespace>/<name>");
      } else if (!split[0].equals(namespace) || namespace.isEmpty()) {
        f.error(
            path + ".credentialName",
            "a configmap:// credentialName must be in the object's namespace \""
                + namespace
                + "\"");
      }
    }
    ClientTLSSettings.TLSmode mode = t.getMode();
    if (t.getInsecureSkipVerify().getValue()) {
      if (mode == ClientTLSSettings.TLSmode.SIMPLE
          && (!t.getCaCertificates().isEmpty()
              || !cred.isEmpty()
              || t.getSubjectAltNamesCount() > 0)) {
        f.error(
            path + ".insecureSkipVerify",
            "insecureSkipVerify cannot be combined with caCertificates, credentialName or"
                + " subjectAltNames");
      }
      if (mode == ClientTLSSettings.TLSmode.MUTUAL
          && (!t.getCaCertificates().isEmpty() || t.getSubjectAltNamesCount() > 0)) {
        f.error(
            path + ".insecureSkipVerify",
            "insecureSkipVerify cannot be combined with caCertificates or subjectAltNames");
      }
    }
    boolean simpleOrMutual =
        mode == ClientTLSSettings.TLSmode.SIMPLE || mode == ClientTLSSettings.TLSmode.MUTUAL;
    if (simpleOrMutual && !cred.isEmpty()) {
      if (!t.getClientCertificate().isEmpty()
          || !t.getCaCertificates().isEmpty()
          || !t.getPrivateKey().isEmpty()
          || !t.getCaCrl().isEmpty()) {
        f.error(
            path + ".credentialName",
            "with credentialName set, clientCertificate, privateKey, caCertificates and caCrl"
                + " must not be set");
      }
      return;
    }
    if (mode == ClientTLSSettings.TLSmode.MUTUAL) {
      if (t.getClientCertificate().isEmpty()) {
        f.error(path + ".clientCertificate", "MUTUAL TLS needs a client certificate");
      }
      if (t.getPrivateKey().isEmpty()) {
        f.error(path + ".privateKey", "MUTUAL TLS needs a private key");
      }
    }
  }
}

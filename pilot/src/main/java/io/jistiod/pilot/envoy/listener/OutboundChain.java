package io.jistiod.pilot.envoy.listener;

import com.google.protobuf.Struct;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.CidrRange;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.model.Protocol;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One filter chain of an outbound or gateway listener before it becomes Envoy config: what it
 * matches (SNI, destination CIDRs, ALPN, transport) and what it runs, either network filters or an
 * HTTP connection manager over RDS (whose stat prefix depends on the listener's final name).
 *
 * @param rds the route configuration name for an HTTP chain, null for a TCP chain
 * @param metadata names the config the chain came from (istiod's filter metadata), or null
 */
record OutboundChain(
    List<String> sniHosts,
    List<String> destinationCidrs,
    List<String> applicationProtocols,
    String transportProtocol,
    String rds,
    Protocol httpProtocol,
    List<Filter> networkFilters,
    Metadata metadata) {

  OutboundChain {
    sniHosts = List.copyOf(sniHosts);
    destinationCidrs = List.copyOf(destinationCidrs);
    applicationProtocols = List.copyOf(applicationProtocols);
    networkFilters = List.copyOf(networkFilters);
  }

  static OutboundChain tcp(List<String> sniHosts, List<String> cidrs, List<Filter> filters) {
    return new OutboundChain(sniHosts, cidrs, List.of(), "", null, null, filters, null);
  }

  static OutboundChain http(String rds, Protocol protocol) {
    return new OutboundChain(List.of(), List.of(), List.of(), "", rds, protocol, List.of(), null);
  }

  /** This chain, marked as built from {@code config}. */
  OutboundChain from(Config config) {
    return new OutboundChain(
        sniHosts,
        destinationCidrs,
        applicationProtocols,
        transportProtocol,
        rds,
        httpProtocol,
        networkFilters,
        configMetadata(config.namespace(), kebab(config.meta().kind().kind()), config.name()));
  }

  /** istiod's filter metadata naming the Istio object a chain was built from. */
  static Metadata configMetadata(String namespace, String kebabKind, String name) {
    String path =
        "/apis/networking.istio.io/v1/namespaces/" + namespace + "/" + kebabKind + "/" + name;
    return Metadata.newBuilder()
        .putFilterMetadata(
            "istio",
            Struct.newBuilder()
                .putFields("config", Value.newBuilder().setStringValue(path).build())
                .build())
        .build();
  }

  /** {@code VirtualService} -> {@code virtual-service}. */
  static String kebab(String kind) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < kind.length(); i++) {
      char c = kind.charAt(i);
      if (Character.isUpperCase(c) && i > 0) {
        b.append('-');
      }
      b.append(Character.toLowerCase(c));
    }
    return b.toString();
  }

  /** This chain matched only by plaintext HTTP, as the HTTP inspector reports it. */
  OutboundChain sniffedHttp() {
    return new OutboundChain(
        sniHosts,
        destinationCidrs,
        Filters.PLAINTEXT_HTTP_ALPNS,
        Filters.RAW_BUFFER,
        rds,
        httpProtocol,
        networkFilters,
        metadata);
  }

  boolean isHttp() {
    return rds != null;
  }

  /** Matches every connection: becomes the listener's default chain. */
  boolean matchesAll() {
    return (sniHosts.isEmpty() || sniHosts.contains("*"))
        && applicationProtocols.isEmpty()
        && transportProtocol.isEmpty()
        && destinationCidrs.isEmpty();
  }

  /** Whether both chains match the same connections (istiod keeps the first then). */
  boolean conflictsWith(OutboundChain o) {
    return transportProtocol.equals(o.transportProtocol)
        && applicationProtocols.equals(o.applicationProtocols)
        && withoutWildcard(sniHosts).equals(withoutWildcard(o.sniHosts))
        && withoutWildcard(destinationCidrs).equals(withoutWildcard(o.destinationCidrs));
  }

  private static Set<String> withoutWildcard(List<String> values) {
    Set<String> out = new HashSet<>(values);
    out.remove("*");
    out.remove("0.0.0.0/0");
    out.remove("0.0.0.0");
    return out;
  }

  FilterChainMatch toMatch() {
    FilterChainMatch.Builder m =
        FilterChainMatch.newBuilder()
            .addAllApplicationProtocols(applicationProtocols)
            .setTransportProtocol(transportProtocol);
    if (!sniHosts.isEmpty() && !sniHosts.contains("*")) {
      m.addAllServerNames(sniHosts.stream().sorted().toList());
    }
    for (String cidr : destinationCidrs.stream().sorted().toList()) {
      CidrRange r = cidr(cidr);
      if (r != null && !r.getAddressPrefix().equals("0.0.0.0")) {
        m.addPrefixRanges(r);
      }
    }
    return m.build();
  }

  /** {@code a.b.c.d/len} or a bare address (a host route). Null if not an address. */
  static CidrRange cidr(String s) {
    String addr = s;
    int len = s.indexOf(':') >= 0 ? 128 : 32;
    int slash = s.indexOf('/');
    if (slash >= 0) {
      addr = s.substring(0, slash);
      try {
        len = Integer.parseInt(s.substring(slash + 1));
      } catch (NumberFormatException e) {
        return null;
      }
    }
    if (addr.isEmpty()) {
      return null;
    }
    return CidrRange.newBuilder().setAddressPrefix(addr).setPrefixLen(UInt32Value.of(len)).build();
  }

  static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }
}

package io.jistiod.pilot.model;

import com.google.protobuf.Struct;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A connected xDS client as istiod sees it, parsed from the node id {@code
 * TYPE~IP~POD.NAMESPACE~DNS_DOMAIN} and the node metadata.
 *
 * @param id the third part of the node id, {@code POD.NAMESPACE}
 * @param configNamespace metadata NAMESPACE, else the first label of the DNS domain
 * @param serviceCluster the Envoy node's {@code cluster} (pilot-agent's service cluster, e.g.
 *     {@code app.namespace}): the service name Datadog and OpenTelemetry tracers report; may be
 *     empty
 */
public record Proxy(
    NodeType type,
    List<String> ipAddresses,
    String id,
    String dnsDomain,
    String configNamespace,
    Locality locality,
    NodeMetadata metadata,
    String serviceCluster) {

  /** The kinds of xDS client the node id's first part names. */
  public enum NodeType {
    SIDECAR,
    ROUTER,
    WAYPOINT,
    ZTUNNEL
  }

  public Proxy {
    Objects.requireNonNull(type, "type");
    ipAddresses = List.copyOf(ipAddresses);
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(dnsDomain, "dnsDomain");
    Objects.requireNonNull(configNamespace, "configNamespace");
    Objects.requireNonNull(locality, "locality");
    Objects.requireNonNull(metadata, "metadata");
    Objects.requireNonNull(serviceCluster, "serviceCluster");
  }

  /** A proxy whose node named no cluster. */
  public Proxy(
      NodeType type,
      List<String> ipAddresses,
      String id,
      String dnsDomain,
      String configNamespace,
      Locality locality,
      NodeMetadata metadata) {
    this(type, ipAddresses, id, dnsDomain, configNamespace, locality, metadata, "");
  }

  /**
   * Parses a node as sent on the first request of a stream.
   *
   * @throws NodeParseException if the id does not have Istio's form or carries no usable IP
   */
  public static Proxy fromNode(String nodeId, Struct metadata, Locality locality)
      throws NodeParseException {
    return fromNode(nodeId, metadata, locality, "");
  }

  /**
   * Parses a node as sent on the first request of a stream, with its {@code cluster}.
   *
   * @throws NodeParseException if the id does not have Istio's form or carries no usable IP
   */
  public static Proxy fromNode(String nodeId, Struct metadata, Locality locality, String cluster)
      throws NodeParseException {
    if (nodeId == null || nodeId.isEmpty()) {
      throw new NodeParseException("missing node id");
    }
    String[] parts = nodeId.split("~", -1);
    if (parts.length != 4) {
      throw new NodeParseException(
          "node id " + quote(nodeId) + ": expected 4 parts separated by '~' (TYPE~IP~ID~DOMAIN)");
    }
    NodeType type;
    try {
      type = NodeType.valueOf(parts[0].toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new NodeParseException(
          "node id " + quote(nodeId) + ": unknown node type " + quote(parts[0]));
    }
    NodeMetadata meta = NodeMetadata.from(metadata);
    List<String> ips = validIps(meta.instanceIps());
    if (ips.isEmpty()) {
      if (!isIp(parts[1])) {
        throw new NodeParseException("node id " + quote(nodeId) + ": no valid IP address");
      }
      ips = List.of(parts[1]);
    }
    String namespace = meta.namespace();
    if (namespace.isEmpty()) {
      int dot = parts[3].indexOf('.');
      namespace = dot < 0 ? parts[3] : parts[3].substring(0, dot);
    }
    return new Proxy(
        type, ips, parts[2], parts[3], namespace, locality, meta, cluster == null ? "" : cluster);
  }

  /** This proxy with another locality (istiod prefers the registry's to the node's). */
  public Proxy withLocality(Locality l) {
    return l.equals(locality)
        ? this
        : new Proxy(type, ipAddresses, id, dnsDomain, configNamespace, l, metadata, serviceCluster);
  }

  /** This proxy as if its node named {@code cluster}. */
  public Proxy withServiceCluster(String cluster) {
    return new Proxy(
        type, ipAddresses, id, dnsDomain, configNamespace, locality, metadata, cluster);
  }

  /** The GENERATOR metadata, e.g. {@code grpc} for proxyless gRPC clients. */
  public String generator() {
    return metadata.generator();
  }

  /**
   * Whether the agent intercepts with TPROXY (INTERCEPTION_MODE, from the pod's
   * sidecar.istio.io/interceptionMode): the original source address is kept, so the capture
   * listeners must be transparent.
   */
  public boolean tproxyInterception() {
    return "TPROXY".equals(interceptionMode());
  }

  /**
   * Whether nothing is captured (INTERCEPTION_MODE NONE): applications reach the proxy's listeners
   * directly, so they bind their ports and there are no capture listeners.
   */
  public boolean noInterception() {
    return "NONE".equals(interceptionMode());
  }

  private String interceptionMode() {
    var v = metadata.raw().getFieldsMap().get("INTERCEPTION_MODE");
    return v == null ? "" : v.getStringValue();
  }

  private static List<String> validIps(List<String> candidates) {
    List<String> out = new ArrayList<>();
    for (String c : candidates) {
      if (!isIp(c)) {
        return List.of(); // Istio uses INSTANCE_IPS only if every entry is valid
      }
      out.add(c);
    }
    return out;
  }

  /** Literal IPv4/IPv6 check that never does a DNS lookup. */
  static boolean isIp(String s) {
    if (s.isEmpty() || s.length() > 45) {
      return false;
    }
    boolean v4 = s.chars().allMatch(ch -> (ch >= '0' && ch <= '9') || ch == '.');
    boolean v6 =
        s.indexOf(':') >= 0
            && s.chars().allMatch(ch -> Character.digit(ch, 16) >= 0 || ch == ':' || ch == '.');
    if (!v4 && !v6) {
      return false;
    }
    if (v4) {
      String[] octets = s.split("\\.", -1);
      if (octets.length != 4) {
        return false;
      }
      for (String o : octets) {
        if (o.isEmpty() || o.length() > 3 || Integer.parseInt(o) > 255) {
          return false;
        }
      }
      return true;
    }
    try {
      InetAddress.getByName(
          s); // literal only: a string of hex digits and colons is never looked up
      return true;
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  private static String quote(String s) {
    return "\"" + (s.length() > 128 ? s.substring(0, 128) + "..." : s) + "\"";
  }
}

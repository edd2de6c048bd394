package io.jistiod.pilot.envoy.patch;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.jistiod.galley.api.networking.v1alpha3.EnvoyFilter.ApplyTo;
import io.jistiod.galley.api.networking.v1alpha3.EnvoyFilter.ClusterMatch;
import io.jistiod.galley.api.networking.v1alpha3.EnvoyFilter.Patch.Operation;
import io.jistiod.galley.api.networking.v1alpha3.EnvoyFilter.PatchContext;
import java.util.ArrayList;
import java.util.List;

/**
 * EnvoyFilter patches on clusters, as istiod applies them ({@code ApplyClusterMerge}, {@code
 * InsertedClusters}): a matching REMOVE drops the cluster, MERGEs merge in order; ADDs are {@link
 * #added}.
 */
public final class ClusterPatches {
  private ClusterPatches() {}

  /**
   * {@code c} patched; null if a patch removes it.
   *
   * @param hosts for an inbound cluster (whose name has no host), the hostnames of the services
   *     whose target port it serves: a {@code service} match looks among them
   */
  public static Cluster patch(
      PatchContext context, PatchSet patches, Cluster c, List<String> hosts) {
    Cluster out = c;
    for (Patch p : patches.get(ApplyTo.CLUSTER)) {
      if (!p.inContext(context) || !clusterMatch(out, p, hosts)) {
        continue;
      }
      if (p.operation() == Operation.REMOVE) {
        return null;
      }
      if (p.operation() != Operation.MERGE) {
        continue;
      }
      try {
        Cluster.Builder b = out.toBuilder();
        if (mergeTransportSocket(b, (Cluster) p.value())) {
          out = b.build();
        } else {
          out = ProtoMerge.merge(out, p.value());
        }
      } catch (IllegalArgumentException e) {
        PatchErrors.skipped(p, "cluster " + out.getName(), e.getMessage());
      }
    }
    return out;
  }

  /**
   * The clusters CLUSTER ADD patches add in {@code context}; one without a context only adds to
   * sidecar outbound and gateway clusters.
   */
  public static List<Cluster> added(PatchContext context, PatchSet patches) {
    List<Cluster> out = new ArrayList<>();
    for (Patch p : patches.get(ApplyTo.CLUSTER)) {
      if (p.operation() == Operation.ADD && ListenerPatches.addsIn(p, context)) {
        out.add((Cluster) p.value());
      }
    }
    return out;
  }

  /**
   * A MERGE whose value has a transport socket (istiod's {@code mergeTransportSocketCluster}):
   * merged into the cluster's socket (or transport socket match) of the same name, else set in its
   * place; the patch's other fields are then not merged. False if the value has no socket.
   */
  private static boolean mergeTransportSocket(Cluster.Builder c, Cluster value) {
    if (!value.hasTransportSocket()) {
      return false;
    }
    TransportSocket want = value.getTransportSocket();
    if (c.getTransportSocketMatchesCount() > 0) {
      for (var m : c.getTransportSocketMatchesBuilderList()) {
        if (m.hasTransportSocket() && m.getTransportSocket().getName().equals(want.getName())) {
          mergeSocket(m.getTransportSocketBuilder(), want);
          return true;
        }
      }
      // a socket besides socket matches would be invalid: the patch is dropped
      return true;
    }
    if (c.hasTransportSocket() && c.getTransportSocket().getName().equals(want.getName())) {
      mergeSocket(c.getTransportSocketBuilder(), want);
    } else {
      c.setTransportSocket(want);
    }
    return true;
  }

  private static void mergeSocket(TransportSocket.Builder dst, TransportSocket src) {
    if (dst.hasTypedConfig() && src.hasTypedConfig()) {
      dst.setTypedConfig(ProtoMerge.mergeAny(dst.getTypedConfig(), src.getTypedConfig()));
    }
  }

  static boolean clusterMatch(Cluster c, Patch p, List<String> hosts) {
    if (!p.match().hasCluster()) {
      return true;
    }
    ClusterMatch m = p.match().getCluster();
    if (!m.getName().isEmpty()) {
      return m.getName().equals(c.getName());
    }
    SubsetKey key = SubsetKey.parse(c.getName());
    List<String> hostMatches =
        key.direction().equals("inbound") && !hosts.isEmpty() ? hosts : List.of(key.host());
    if (!m.getSubset().isEmpty() && !m.getSubset().equals(key.subset())) {
      return false;
    }
    if (!m.getService().isEmpty() && !hostMatches.contains(m.getService())) {
      return false;
    }
    return m.getPortNumber() == 0 || m.getPortNumber() == key.port();
  }

  /**
   * A cluster name's parts: {@code direction|port|subset|host}, or the DNS SRV form {@code
   * outbound_.port_.subset_.host}; what does not parse is left empty.
   */
  record SubsetKey(String direction, int port, String subset, String host) {
    static SubsetKey parse(String name) {
      String sep = name.startsWith("outbound_.") || name.startsWith("inbound_.") ? "_." : "|";
      String[] parts = name.split(java.util.regex.Pattern.quote(sep), 4);
      String direction = parts[0];
      if (parts.length < 2) {
        return new SubsetKey(parts.length == 1 && name.contains(sep) ? direction : "", 0, "", "");
      }
      int port = RoutePatches.parseInt(parts[1]);
      if (parts.length < 4) {
        return new SubsetKey(direction, port, "", "");
      }
      String host = parts[3].contains(sep) ? "" : parts[3];
      return new SubsetKey(direction, port, parts[2], host);
    }
  }
}

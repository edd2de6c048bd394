package io.jistiod.it.load;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import java.io.IOException;

/**
 * Reads the clusters a serialized route configuration's routes send to, field by field, without
 * building the message. A simulated proxy needs only those (to follow routes to clusters, or to see
 * a route weight change), and at 5000 services each route configuration is 3-5 MiB: building every
 * one the servers sent (5 GiB per change at 500 proxies) cost the harness more CPU than the server
 * under test, on the same two cores, and so added the same large constant to both servers'
 * convergence times.
 */
final class RouteWalk {
  /** Gets each cluster a route names: {@code weight} is -1 for a route's single cluster. */
  interface ClusterVisitor {
    void cluster(String name, long weight);
  }

  private RouteWalk() {}

  /**
   * Visits every route's cluster and weighted cluster of {@code routeConfiguration}; returns its
   * name.
   */
  static String clusters(ByteString routeConfiguration, ClusterVisitor visitor) throws IOException {
    CodedInputStream in = routeConfiguration.newCodedInput();
    String name = "";
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        return name;
      }
      int field = WireFormat.getTagFieldNumber(tag);
      boolean delimited = WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED;
      if (field == RouteConfiguration.NAME_FIELD_NUMBER && delimited) {
        name = in.readStringRequireUtf8();
      } else if (field == RouteConfiguration.VIRTUAL_HOSTS_FIELD_NUMBER && delimited) {
        int limit = in.pushLimit(in.readRawVarint32());
        virtualHost(in, visitor);
        in.popLimit(limit);
      } else {
        in.skipField(tag);
      }
    }
  }

  private interface Body {
    void read() throws IOException;
  }

  /**
   * Reads the message at {@code in} up to its end, handing each length-delimited field {@code
   * field} to {@code body} (positioned at the nested message, limited to it) and skipping the rest.
   */
  private static void each(CodedInputStream in, int field, Body body) throws IOException {
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        return;
      }
      if (WireFormat.getTagFieldNumber(tag) == field
          && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        int limit = in.pushLimit(in.readRawVarint32());
        body.read();
        in.popLimit(limit);
      } else {
        in.skipField(tag);
      }
    }
  }

  private static void virtualHost(CodedInputStream in, ClusterVisitor visitor) throws IOException {
    each(in, VirtualHost.ROUTES_FIELD_NUMBER, () -> route(in, visitor));
  }

  private static void route(CodedInputStream in, ClusterVisitor visitor) throws IOException {
    each(in, Route.ROUTE_FIELD_NUMBER, () -> routeAction(in, visitor));
  }

  private static void routeAction(CodedInputStream in, ClusterVisitor visitor) throws IOException {
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        return;
      }
      int field = WireFormat.getTagFieldNumber(tag);
      if (field == RouteAction.CLUSTER_FIELD_NUMBER
          && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        visitor.cluster(in.readStringRequireUtf8(), -1);
      } else if (field == RouteAction.WEIGHTED_CLUSTERS_FIELD_NUMBER
          && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        int limit = in.pushLimit(in.readRawVarint32());
        each(
            in,
            WeightedCluster.CLUSTERS_FIELD_NUMBER,
            () -> {
              WeightedCluster.ClusterWeight w =
                  WeightedCluster.ClusterWeight.parseFrom(in.readRawBytes(in.getBytesUntilLimit()));
              visitor.cluster(w.getName(), w.hasWeight() ? w.getWeight().getValue() : 0);
            });
        in.popLimit(limit);
      } else {
        in.skipField(tag);
      }
    }
  }
}

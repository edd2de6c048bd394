package io.jistiod.it.load;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import java.util.function.Predicate;

/**
 * What a proxy must see for a change to count as arrived: the content, not merely a response. Each
 * detector looks at one resource as served (an {@link Any}) and says whether it shows the change;
 * one that cannot be decoded does not.
 */
final class ContentDetectors {
  private ContentDetectors() {}

  /** A route configuration that sends {@code weight} to cluster {@code cluster}. */
  static Predicate<Any> routeWeight(String cluster, int weight) {
    return any -> {
      if (!any.is(RouteConfiguration.class)) {
        return false;
      }
      boolean[] seen = {false};
      try {
        // read in place: building each 3-5 MiB route configuration cost the harness more than the
        // server under test (RouteWalk)
        RouteWalk.clusters(
            any.getValue(), (name, w) -> seen[0] |= w >= 0 && w == weight && name.equals(cluster));
      } catch (java.io.IOException e) {
        return false;
      }
      return seen[0];
    };
  }

  /** A load assignment with an endpoint at {@code address}. */
  static Predicate<Any> hasEndpoint(String address) {
    return any -> {
      ClusterLoadAssignment cla = unpack(any, ClusterLoadAssignment.class);
      if (cla == null) {
        return false;
      }
      for (LocalityLbEndpoints l : cla.getEndpointsList()) {
        for (LbEndpoint e : l.getLbEndpointsList()) {
          if (e.getEndpoint().getAddress().getSocketAddress().getAddress().equals(address)) {
            return true;
          }
        }
      }
      return false;
    };
  }

  /** A cluster whose circuit breakers allow {@code max} connections (DestinationRule tcp pool). */
  static Predicate<Any> maxConnections(int max) {
    return any -> {
      Cluster c = unpack(any, Cluster.class);
      if (c == null) {
        return false;
      }
      for (CircuitBreakers.Thresholds t : c.getCircuitBreakers().getThresholdsList()) {
        if (t.hasMaxConnections() && t.getMaxConnections().getValue() == max) {
          return true;
        }
      }
      return false;
    };
  }

  /** Any resource at all: for a change that shows by a new name (a new service's cluster). */
  static Predicate<Any> present() {
    return any -> true;
  }

  private static <T extends com.google.protobuf.Message> T unpack(Any any, Class<T> type) {
    if (!any.is(type)) {
      return null;
    }
    try {
      return any.unpack(type);
    } catch (InvalidProtocolBufferException e) {
      return null;
    }
  }
}

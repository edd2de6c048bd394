package io.jistiod.pilot.gatewayapi;

import io.jistiod.galley.api.gateway.v1.BackendRef;
import io.jistiod.galley.api.gateway.v1.GRPCBackendRef;
import io.jistiod.galley.api.gateway.v1.GRPCRouteFilter;
import io.jistiod.galley.api.gateway.v1.HTTPBackendRef;
import io.jistiod.galley.api.gateway.v1.HTTPHeaderFilter;
import io.jistiod.galley.api.gateway.v1.HTTPRouteFilter;
import io.jistiod.galley.api.networking.v1alpha3.Destination;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRouteDestination;
import io.jistiod.galley.api.networking.v1alpha3.Headers;
import io.jistiod.galley.api.networking.v1alpha3.RouteDestination;
import java.util.ArrayList;
import java.util.List;

/**
 * A rule's backendRefs as weighted Istio destinations ({@code buildHTTPDestination}, {@code
 * buildGRPCDestination}, {@code buildTCPDestination}): zero weights dropped, a lone backend
 * unweighted, soft backend problems kept as the last one seen, hard ones failing the rule.
 */
final class WeightedBackends {

  /** A header filter of a rule or backend: its type and whichever modifier it carries. */
  record Filter(String type, HTTPHeaderFilter request, HTTPHeaderFilter response) {
    static Filter of(HTTPRouteFilter f) {
      return new Filter(
          f.getType(),
          f.hasRequestHeaderModifier() ? f.getRequestHeaderModifier() : null,
          f.hasResponseHeaderModifier() ? f.getResponseHeaderModifier() : null);
    }

    static Filter of(GRPCRouteFilter f) {
      return new Filter(
          f.getType(),
          f.hasRequestHeaderModifier() ? f.getRequestHeaderModifier() : null,
          f.hasResponseHeaderModifier() ? f.getResponseHeaderModifier() : null);
    }

    /**
     * Applies a Request/ResponseHeaderModifier to {@code headers} (a later one replaces an earlier
     * one); false for any other type.
     */
    boolean applyHeaders(java.util.function.Supplier<Headers.Builder> headers) {
      switch (type) {
        case "RequestHeaderModifier" -> {
          if (request != null) {
            headers.get().setRequest(HeaderFilters.operations(request));
          }
          return true;
        }
        case "ResponseHeaderModifier" -> {
          if (response != null) {
            headers.get().setResponse(HeaderFilters.operations(response));
          }
          return true;
        }
        default -> {
          return false;
        }
      }
    }
  }

  /** A backendRef of any route kind: the reference, its weight (unset is 1) and its filters. */
  record Backend(Backends.Ref ref, int weight, List<Filter> filters) {
    static Backend of(HTTPBackendRef b) {
      return new Backend(
          Backends.Ref.of(b),
          b.hasWeight() ? b.getWeight() : 1,
          b.getFiltersList().stream().map(Filter::of).toList());
    }

    static Backend of(GRPCBackendRef b) {
      return new Backend(
          Backends.Ref.of(b),
          b.hasWeight() ? b.getWeight() : 1,
          b.getFiltersList().stream().map(Filter::of).toList());
    }

    static Backend of(BackendRef b) {
      return new Backend(Backends.Ref.of(b), b.hasWeight() ? b.getWeight() : 1, List.of());
    }
  }

  private final Backends backends;

  WeightedBackends(Backends backends) {
    this.backends = backends;
  }

  static int weightSum(List<Backend> backends) {
    return backends.stream().mapToInt(Backend::weight).sum();
  }

  /** HTTPRoute and GRPCRoute backends, with their header filters. */
  RuleResult<List<HTTPRouteDestination>> http(
      List<Backend> refs, GroupKind routeKind, String namespace, boolean enforceGrants) {
    List<HTTPRouteDestination> out = new ArrayList<>();
    StatusError soft = null;
    List<Backend> kept = refs.stream().filter(b -> b.weight() != 0).toList();
    for (Backend b : kept) {
      Backends.Built built = backends.build(b.ref(), routeKind, namespace, enforceGrants);
      if (built.hard()) {
        return RuleResult.hard(built.error());
      }
      soft = built.error() != null ? built.error() : soft;
      HTTPRouteDestination.Builder d =
          HTTPRouteDestination.newBuilder()
              .setDestination(built.destination())
              .setWeight(kept.size() == 1 ? 0 : b.weight());
      for (Filter f : b.filters()) {
        if (!f.applyHeaders(d::getHeadersBuilder)) {
          return RuleResult.hard(HttpRules.unsupportedFilter(f.type())); // only headers here
        }
      }
      out.add(d.build());
    }
    return new RuleResult<>(out, soft);
  }

  /** TCPRoute and TLSRoute backends: destinations without filters. */
  RuleResult<List<RouteDestination>> tcp(
      List<Backend> refs, GroupKind routeKind, String namespace, boolean enforceGrants) {
    List<RouteDestination> out = new ArrayList<>();
    StatusError soft = null;
    List<Backend> kept = refs.stream().filter(b -> b.weight() != 0).toList();
    for (Backend b : kept) {
      Backends.Built built = backends.build(b.ref(), routeKind, namespace, enforceGrants);
      if (built.hard()) {
        return RuleResult.hard(built.error());
      }
      soft = built.error() != null ? built.error() : soft;
      Destination destination = built.destination();
      out.add(
          RouteDestination.newBuilder()
              .setDestination(destination)
              .setWeight(kept.size() == 1 ? 0 : b.weight())
              .build());
    }
    return new RuleResult<>(out, soft);
  }
}

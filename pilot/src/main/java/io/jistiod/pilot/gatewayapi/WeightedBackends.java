package io.jistiod.pilot.gatewayapi;

import io.jistiod.galley.api.gateway.v1.BackendRef;
import io.jistiod.galley.api.gateway.v1.GRPCBackendRef;
import io.jistiod.galley.api.gateway.v1.GRPCRouteFilter;
import io.jistiod.galley.api.gateway.v1.HTTPBackendRef;
import io.jistiod.galley.api.gateway.v1.HTTPHeaderFilter;
import io.jistiod.galley.api.gateway.v1.HTTPRouteFilter;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRouteDestination;
import io.jistiod.galley.api.networking.v1alpha3.RouteDestination;
import java.util.ArrayList;
import java.util.List;

/**
 * A rule's backendRefs as weighted Istio destinations ({@code buildHTTPDestination}, {@code
 * buildGRPCDestination}, {@code buildTCPDestination}): zero weights dropped, a lone backend
 * unweighted, soft backend problems kept as the last one seen, hard ones failing the rule.
 */
final class WeightedBackends {
  private final Backends backends;

  WeightedBackends(Backends backends) {
    this.backends = backends;
  }

  static Backends.Ref ref(HTTPBackendRef b) {
    return new Backends.Ref(
        b.hasGroup(),
        b.getGroup(),
        b.hasKind(),
        b.getKind(),
        b.getName(),
        b.hasNamespace(),
        b.getNamespace(),
        b.hasPort(),
        b.getPort());
  }

  static Backends.Ref ref(GRPCBackendRef b) {
    return new Backends.Ref(
        b.hasGroup(),
        b.getGroup(),
        b.hasKind(),
        b.getKind(),
        b.getName(),
        b.hasNamespace(),
        b.getNamespace(),
        b.hasPort(),
        b.getPort());
  }

  static Backends.Ref ref(BackendRef b) {
    return new Backends.Ref(
        b.hasGroup(),
        b.getGroup(),
        b.hasKind(),
        b.getKind(),
        b.getName(),
        b.hasNamespace(),
        b.getNamespace(),
        b.hasPort(),
        b.getPort());
  }

  static int weight(boolean has, int weight) {
    return has ? weight : 1;
  }

  RuleResult<List<HTTPRouteDestination>> http(
      List<HTTPBackendRef> refs, GroupKind routeKind, String namespace, boolean enforceGrants) {
    List<HTTPBackendRef> kept = new ArrayList<>();
    for (HTTPBackendRef b : refs) {
      if (weight(b.hasWeight(), b.getWeight()) != 0) {
        kept.add(b);
      }
    }
    List<HTTPRouteDestination> out = new ArrayList<>();
    StatusError soft = null;
    for (HTTPBackendRef b : kept) {
      Backends.Built built = backends.build(ref(b), routeKind, namespace, enforceGrants);
      if (built.hard()) {
        return RuleResult.hard(built.error());
      }
      soft = built.error() != null ? built.error() : soft;
      HTTPRouteDestination.Builder d =
          HTTPRouteDestination.newBuilder()
              .setDestination(built.destination())
              .setWeight(kept.size() == 1 ? 0 : weight(b.hasWeight(), b.getWeight()));
      for (HTTPRouteFilter f : b.getFiltersList()) {
        StatusError bad =
            backendFilter(
                d,
                f.getType(),
                f.hasRequestHeaderModifier() ? f.getRequestHeaderModifier() : null,
                f.hasResponseHeaderModifier() ? f.getResponseHeaderModifier() : null);
        if (bad != null) {
          return RuleResult.hard(bad);
        }
      }
      out.add(d.build());
    }
    return new RuleResult<>(out, soft);
  }

  RuleResult<List<HTTPRouteDestination>> grpc(
      List<GRPCBackendRef> refs, String namespace, boolean enforceGrants) {
    List<GRPCBackendRef> kept = new ArrayList<>();
    for (GRPCBackendRef b : refs) {
      if (weight(b.hasWeight(), b.getWeight()) != 0) {
        kept.add(b);
      }
    }
    List<HTTPRouteDestination> out = new ArrayList<>();
    StatusError soft = null;
    for (GRPCBackendRef b : kept) {
      Backends.Built built = backends.build(ref(b), GroupKind.GRPC_ROUTE, namespace, enforceGrants);
      if (built.hard()) {
        return RuleResult.hard(built.error());
      }
      soft = built.error() != null ? built.error() : soft;
      HTTPRouteDestination.Builder d =
          HTTPRouteDestination.newBuilder()
              .setDestination(built.destination())
              .setWeight(kept.size() == 1 ? 0 : weight(b.hasWeight(), b.getWeight()));
      for (GRPCRouteFilter f : b.getFiltersList()) {
        StatusError bad =
            backendFilter(
                d,
                f.getType(),
                f.hasRequestHeaderModifier() ? f.getRequestHeaderModifier() : null,
                f.hasResponseHeaderModifier() ? f.getResponseHeaderModifier() : null);
        if (bad != null) {
          return RuleResult.hard(bad);
        }
      }
      out.add(d.build());
    }
    return new RuleResult<>(out, soft);
  }

  /** A backend-level filter: only the header modifiers are supported there. */
  private static StatusError backendFilter(
      HTTPRouteDestination.Builder d,
      String type,
      HTTPHeaderFilter request,
      HTTPHeaderFilter response) {
    switch (type) {
      case "RequestHeaderModifier" -> {
        if (request != null) {
          d.getHeadersBuilder().setRequest(HeaderFilters.operations(request));
        }
        return null;
      }
      case "ResponseHeaderModifier" -> {
        if (response != null) {
          d.getHeadersBuilder().setResponse(HeaderFilters.operations(response));
        }
        return null;
      }
      default -> {
        return HttpRules.unsupportedFilter(type);
      }
    }
  }

  /** TCPRoute and TLSRoute backends: destinations without filters. */
  RuleResult<List<RouteDestination>> tcp(
      List<BackendRef> refs, GroupKind routeKind, String namespace, boolean enforceGrants) {
    List<BackendRef> kept = new ArrayList<>();
    for (BackendRef b : refs) {
      if (weight(b.hasWeight(), b.getWeight()) != 0) {
        kept.add(b);
      }
    }
    List<RouteDestination> out = new ArrayList<>();
    StatusError soft = null;
    for (BackendRef b : kept) {
      Backends.Built built = backends.build(ref(b), routeKind, namespace, enforceGrants);
      if (built.hard()) {
        return RuleResult.hard(built.error());
      }
      soft = built.error() != null ? built.error() : soft;
      out.add(
          RouteDestination.newBuilder()
              .setDestination(built.destination())
              .setWeight(kept.size() == 1 ? 0 : weight(b.hasWeight(), b.getWeight()))
              .build());
    }
    return new RuleResult<>(out, soft);
  }
}

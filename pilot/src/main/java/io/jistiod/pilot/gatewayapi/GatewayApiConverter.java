package io.jistiod.pilot.gatewayapi;

import com.google.protobuf.Message;
import io.jistiod.galley.api.gateway.v1.GRPCRouteMatch;
import io.jistiod.galley.api.gateway.v1.GRPCRouteRule;
import io.jistiod.galley.api.gateway.v1.GRPCRouteSpec;
import io.jistiod.galley.api.gateway.v1.GatewayStatus;
import io.jistiod.galley.api.gateway.v1.HTTPRouteMatch;
import io.jistiod.galley.api.gateway.v1.HTTPRouteRule;
import io.jistiod.galley.api.gateway.v1.HTTPRouteSpec;
import io.jistiod.galley.api.gateway.v1.ListenerStatus;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRoute;
import io.jistiod.galley.api.networking.v1alpha3.TCPRoute;
import io.jistiod.galley.api.networking.v1alpha3.TLSRoute;
import io.jistiod.galley.config.Config;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The Kubernetes Gateway API as istiod 1.27 turns it into Istio config: a pure function from a
 * {@link GatewayApiInputs} snapshot to the Istio Gateways, VirtualServices and DestinationRules
 * istiod generates and the status it would write. It reads nothing else and keeps no state, so the
 * push context builder can call it on every push whose inputs changed.
 *
 * <p>Not yet translated: the InferencePool objects themselves (their shadow Services are) and
 * ambient waypoint status ({@code ResolvedWaypoints}); managed Gateways are deployed by istiod's
 * GatewayDeployments, not here.
 */
public final class GatewayApiConverter {
  private static final Comparator<Config> CREATION_ORDER =
      Comparator.comparing((Config c) -> c.meta().creationTimestamp())
          .thenComparing(Config::namespace)
          .thenComparing(Config::name);
  private static final List<String> STATUS_KIND_ORDER =
      List.of("GatewayClass", "Gateway", "HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute");

  private GatewayApiConverter() {}

  public static GatewayApiResult convert(GatewayApiInputs in) {
    String now = StatusTime.format(in.now());
    String suffix = in.options().domainSuffix();
    GatewayClasses classes = new GatewayClasses(in.gatewayClasses(), in.options());
    ReferenceGrants grants = new ReferenceGrants(in.referenceGrants());
    Gateways gateways = new Gateways(classes, new ListenerTls(in.secrets(), grants), in);

    // XListenerSets first: their listeners join their parent Gateway's.
    ListenerSets listenerSets = new ListenerSets(classes, gateways, in);
    Map<String, List<GatewayListener>> fromSets = new HashMap<>();
    Map<Config, Message> statuses = new HashMap<>();
    for (Config set : sorted(in.listenerSets())) {
      listenerSets
          .translate(set)
          .ifPresent(
              t -> {
                statuses.put(t.set(), t.status());
                fromSets.computeIfAbsent(t.parent(), k -> new ArrayList<>()).addAll(t.listeners());
              });
    }

    List<Gateways.Translated> translated = new ArrayList<>();
    List<GatewayListener> listeners = new ArrayList<>();
    for (Config gw : sorted(in.gateways())) {
      gateways
          .translate(gw, fromSets.getOrDefault(gw.namespace() + "/" + gw.name(), List.of()))
          .ifPresent(
              t -> {
                translated.add(t);
                listeners.addAll(t.listeners());
              });
    }

    RouteParents parents = new RouteParents(listeners, in);
    Backends backends = new Backends(in, grants);
    HttpRules rules = new HttpRules(backends);
    Map<String, Config> serviceEntries = RouteTranslation.serviceEntriesByName(in.serviceEntries());
    HttpVirtualServices http = new HttpVirtualServices(serviceEntries, suffix);
    HttpVirtualServices grpc = new HttpVirtualServices(serviceEntries, suffix);
    TcpTlsRoutes l4 = new TcpTlsRoutes(backends, serviceEntries, suffix);
    List<Config> l4VirtualServices = new ArrayList<>();
    Set<String> attachments = new LinkedHashSet<>();

    for (Config c : sorted(in.httpRoutes())) {
      var t = RouteTranslation.of(RouteObject.http(c), parents, mesh -> http(rules, c, mesh), now);
      http.add(t);
      record(t, statuses, attachments);
    }
    for (Config c : sorted(in.grpcRoutes())) {
      var t = RouteTranslation.of(RouteObject.grpc(c), parents, mesh -> grpc(rules, c, mesh), now);
      grpc.add(t);
      record(t, statuses, attachments);
    }
    for (Config c : sorted(in.tcpRoutes())) {
      RouteObject r = RouteObject.tcp(c);
      RouteTranslation<TCPRoute> t =
          RouteTranslation.of(r, parents, mesh -> l4.convertTcp(r, mesh), now);
      l4VirtualServices.addAll(l4.tcpVirtualServices(t));
      record(t, statuses, attachments);
    }
    for (Config c : sorted(in.tlsRoutes())) {
      RouteObject r = RouteObject.tls(c);
      RouteTranslation<TLSRoute> t =
          RouteTranslation.of(r, parents, mesh -> l4.convertTls(r, mesh), now);
      l4VirtualServices.addAll(l4.tlsVirtualServices(t));
      record(t, statuses, attachments);
    }

    BackendPolicies policies = new BackendPolicies(in, now);
    statuses.putAll(policies.statuses());

    classes.statuses(now).forEach(statuses::put);
    for (Gateways.Translated t : translated) {
      statuses.put(t.gateway(), withAttachedRoutes(t, attachments));
    }

    List<Config> istioGateways = new ArrayList<>();
    for (GatewayListener l : listeners) {
      if (l.valid()) {
        istioGateways.add(l.istioGateway());
      }
    }
    List<Config> virtualServices = new ArrayList<>(http.merged());
    virtualServices.addAll(grpc.merged());
    virtualServices.addAll(l4VirtualServices);
    return new GatewayApiResult(
        sorted(istioGateways),
        sorted(virtualServices),
        sorted(policies.destinationRules(suffix)),
        changed(statuses));
  }

  private static List<Config> sorted(List<Config> configs) {
    List<Config> out = new ArrayList<>(configs);
    out.sort(CREATION_ORDER);
    return out;
  }

  /** Each rule split into one Istio route per match, as istiod splits them. */
  private static Converted<HTTPRoute> http(HttpRules rules, Config c, boolean mesh) {
    List<Supplier<RuleResult<HTTPRoute>>> out = new ArrayList<>();
    List<HTTPRouteRule> ruleList = c.spec(HTTPRouteSpec.class).getRulesList();
    for (int i = 0; i < ruleList.size(); i++) {
      int index = i;
      HTTPRouteRule rule = ruleList.get(i);
      if (rule.getMatchesCount() == 0) {
        out.add(() -> rules.http(c, rule, index, null, !mesh));
      }
      for (HTTPRouteMatch m : rule.getMatchesList()) {
        out.add(() -> rules.http(c, rule, index, m, !mesh));
      }
    }
    return Converted.of(out);
  }

  private static Converted<HTTPRoute> grpc(HttpRules rules, Config c, boolean mesh) {
    List<Supplier<RuleResult<HTTPRoute>>> out = new ArrayList<>();
    List<GRPCRouteRule> ruleList = c.spec(GRPCRouteSpec.class).getRulesList();
    for (int i = 0; i < ruleList.size(); i++) {
      int index = i;
      GRPCRouteRule rule = ruleList.get(i);
      if (rule.getMatchesCount() == 0) {
        out.add(() -> rules.grpc(c, rule, index, null, !mesh));
      }
      for (GRPCRouteMatch m : rule.getMatchesList()) {
        out.add(() -> rules.grpc(c, rule, index, m, !mesh));
      }
    }
    return Converted.of(out);
  }

  /**
   * The route's status, and its attachments to Gateway listeners ({@code <gateway ns>/<gateway
   * name>/<listener>} per route), which the listeners' {@code attachedRoutes} count.
   */
  private static void record(
      RouteTranslation<?> t, Map<Config, Message> statuses, Set<String> attachments) {
    statuses.put(t.route().config(), t.status());
    for (RouteParentRef p : t.accepted()) {
      if (p.key().kind().equals(GroupKind.GATEWAY)) {
        attachments.add(
            t.route().kind().kind()
                + "/"
                + t.route().namespace()
                + "/"
                + t.route().name()
                + "|"
                + p.key().namespace()
                + "/"
                + p.key().name()
                + "/"
                + p.info().sectionName());
      }
    }
  }

  private static GatewayStatus withAttachedRoutes(Gateways.Translated t, Set<String> attachments) {
    Map<String, Integer> counts = new HashMap<>();
    for (String a : attachments) {
      String listener = a.substring(a.indexOf('|') + 1);
      counts.merge(listener, 1, Integer::sum);
    }
    GatewayStatus.Builder out = t.status().toBuilder();
    String prefix = t.gateway().namespace() + "/" + t.gateway().name() + "/";
    for (ListenerStatus.Builder l : out.getListenersBuilderList()) {
      l.setAttachedRoutes(counts.getOrDefault(prefix + l.getName(), 0));
    }
    return out.build();
  }

  /**
   * The statuses that differ from what the objects have, in istiod's order (kinds istiod does not
   * rank, such as the backend policies, first; then classes, Gateways, then routes by kind; then
   * namespace and name). An object that never had a status always gets one, even an empty route
   * status ({@code parents: []}).
   */
  private static List<GatewayApiResult.StatusUpdate> changed(Map<Config, Message> statuses) {
    List<GatewayApiResult.StatusUpdate> out = new ArrayList<>();
    statuses.forEach(
        (c, desired) -> {
          if (c.status() == null || !c.status().equals(desired)) {
            out.add(new GatewayApiResult.StatusUpdate(c, desired));
          }
        });
    out.sort(
        Comparator.comparing(
                (GatewayApiResult.StatusUpdate u) ->
                    STATUS_KIND_ORDER.indexOf(u.object().meta().kind().kind()))
            .thenComparing(u -> u.object().namespace())
            .thenComparing(u -> u.object().name()));
    return out;
  }
}

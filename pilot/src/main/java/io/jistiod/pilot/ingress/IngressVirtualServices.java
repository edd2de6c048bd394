package io.jistiod.pilot.ingress;

import io.jistiod.galley.api.ingress.v1.HTTPIngressPath;
import io.jistiod.galley.api.ingress.v1.IngressBackend;
import io.jistiod.galley.api.ingress.v1.IngressRule;
import io.jistiod.galley.api.ingress.v1.IngressSpec;
import io.jistiod.galley.api.networking.v1alpha3.Destination;
import io.jistiod.galley.api.networking.v1alpha3.HTTPMatchRequest;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRoute;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRouteDestination;
import io.jistiod.galley.api.networking.v1alpha3.PortSelector;
import io.jistiod.galley.api.networking.v1alpha3.StringMatch;
import io.jistiod.galley.api.networking.v1alpha3.VirtualService;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.ConfigMeta;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.pilot.model.ServicePort;
import io.jistiod.pilot.networking.RouteSemantics;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The VirtualServices of the selected Ingresses: one per rule host ({@code *} for a rule without
 * one), holding the paths of every rule for that host, oldest Ingress first, then ordered longest
 * path first as the Ingress spec asks. Each is named after, lives with and binds to the Gateway of
 * the oldest Ingress with a rule for the host, as istiod's do.
 */
final class IngressVirtualServices {
  /** Orders rules as istiod: creation time, then Ingress name, namespace and rule index. */
  private static final Comparator<HostRule> RULE_ORDER =
      Comparator.comparing((HostRule r) -> r.ingress().meta().creationTimestamp())
          .thenComparing(r -> r.ingress().name())
          .thenComparing(r -> r.ingress().namespace())
          .thenComparingInt(HostRule::index);

  /** Longest path first; of two as long, an exact match first; a catch-all counts as empty. */
  private static final Comparator<HTTPRoute> ROUTE_ORDER =
      Comparator.comparingInt(IngressVirtualServices::matchLength)
          .reversed()
          .thenComparing(r -> !exact(r));

  private record HostRule(Config ingress, int index, IngressRule rule) {}

  private IngressVirtualServices() {}

  static List<Config> build(
      List<Config> ingresses,
      ServicePorts services,
      IngressOptions options,
      List<IngressProblem> problems) {
    Map<String, List<HostRule>> byHost = new TreeMap<>();
    for (Config ingress : ingresses) {
      List<IngressRule> rules = ingress.spec(IngressSpec.class).getRulesList();
      for (int i = 0; i < rules.size(); i++) {
        IngressRule rule = rules.get(i);
        if (!rule.hasHttp()) {
          problems.add(
              new IngressProblem(
                  ingress.key(),
                  "spec.rules[" + i + "].http",
                  "no paths for host \"" + rule.getHost() + "\": rule ignored"));
          continue;
        }
        String host = rule.getHost().isEmpty() ? "*" : rule.getHost();
        byHost.computeIfAbsent(host, h -> new ArrayList<>()).add(new HostRule(ingress, i, rule));
      }
    }
    List<Config> out = new ArrayList<>();
    for (var e : byHost.entrySet()) {
      out.add(virtualService(e.getKey(), e.getValue(), services, options, problems));
    }
    out.sort(Comparator.comparing(Config::key));
    return out;
  }

  private static Config virtualService(
      String host,
      List<HostRule> rules,
      ServicePorts services,
      IngressOptions options,
      List<IngressProblem> problems) {
    rules.sort(RULE_ORDER);
    List<HTTPRoute> routes = new ArrayList<>();
    for (HostRule r : rules) {
      routes.addAll(routes(r, services, options, problems));
    }
    routes.sort(ROUTE_ORDER); // stable: paths as long as each other keep the rule order
    Config first = rules.get(0).ingress();
    VirtualService vs =
        VirtualService.newBuilder()
            .addHosts(host)
            .addGateways(
                options.ingressNamespace()
                    + "/"
                    + IngressGateways.name(first.name(), first.namespace()))
            .addAllHttp(routes)
            .build();
    return new Config(
        new ConfigMeta(
            IstioKinds.VIRTUAL_SERVICE,
            host.replace('.', '-') + "-" + first.name() + "-" + IngressGateways.GENERATED,
            first.namespace(),
            Map.of(),
            Map.of(RouteSemantics.ANNOTATION, "ingress"),
            "",
            0),
        vs);
  }

  private static List<HTTPRoute> routes(
      HostRule r, ServicePorts services, IngressOptions options, List<IngressProblem> problems) {
    List<HTTPRoute> out = new ArrayList<>();
    List<HTTPIngressPath> paths = r.rule().getHttp().getPathsList();
    for (int i = 0; i < paths.size(); i++) {
      HTTPIngressPath path = paths.get(i);
      String field = "spec.rules[" + r.index() + "].http.paths[" + i + "].backend";
      Optional<HTTPRoute.Builder> route =
          backend(r.ingress(), field, path.getBackend(), services, options, problems);
      if (route.isEmpty()) {
        continue;
      }
      StringMatch uri = uriMatch(path);
      if (uri != null) {
        route.get().addMatch(HTTPMatchRequest.newBuilder().setUri(uri));
      }
      out.add(route.get().build());
    }
    return out;
  }

  /** Exact and Prefix as they say; any other type (or none) by istiod's legacy reading. */
  static StringMatch uriMatch(HTTPIngressPath path) {
    String type = path.hasPathType() ? path.getPathType() : "";
    return switch (type) {
      case "Exact" -> StringMatch.newBuilder().setExact(path.getPath()).build();
      case "Prefix" -> StringMatch.newBuilder().setPrefix(path.getPath()).build();
      default -> legacyMatch(path.getPath());
    };
  }

  /**
   * {@code ""}, {@code *}, {@code /*} and {@code .*} match everything (no match at all); a trailing
   * {@code .*} or {@code /*} makes the rest a prefix; anything else is exact. No regular
   * expressions.
   */
  static StringMatch legacyMatch(String p) {
    if (p.isEmpty() || p.equals("*") || p.equals("/*") || p.equals(".*")) {
      return null;
    }
    if (p.endsWith(".*") || p.endsWith("/*")) {
      return StringMatch.newBuilder().setPrefix(p.substring(0, p.length() - 2)).build();
    }
    return StringMatch.newBuilder().setExact(p).build();
  }

  private static Optional<HTTPRoute.Builder> backend(
      Config ingress,
      String field,
      IngressBackend backend,
      ServicePorts services,
      IngressOptions options,
      List<IngressProblem> problems) {
    if (!backend.hasService()) {
      problems.add(
          new IngressProblem(
              ingress.key(),
              field + ".service",
              "not set (resource backends are not supported): path ignored"));
      return Optional.empty();
    }
    var service = backend.getService();
    int port = service.getPort().getNumber();
    if (port <= 0) {
      String name = service.getPort().getName();
      Optional<List<ServicePort>> ports = services.of(ingress.namespace(), service.getName());
      Optional<ServicePort> named =
          ports.flatMap(ps -> ps.stream().filter(p -> p.name().equals(name)).findFirst());
      if (named.isEmpty()) {
        problems.add(
            new IngressProblem(
                ingress.key(),
                field + ".service.port.name",
                ports.isEmpty()
                    ? "Service "
                        + ingress.namespace()
                        + "/"
                        + service.getName()
                        + " not found: path ignored"
                    : "Service "
                        + ingress.namespace()
                        + "/"
                        + service.getName()
                        + " has no port named \""
                        + name
                        + "\": path ignored"));
        return Optional.empty();
      }
      port = named.get().port();
    }
    return Optional.of(
        HTTPRoute.newBuilder()
            .addRoute(
                HTTPRouteDestination.newBuilder()
                    .setDestination(
                        Destination.newBuilder()
                            .setHost(
                                service.getName()
                                    + "."
                                    + ingress.namespace()
                                    + ".svc."
                                    + options.domainSuffix())
                            .setPort(PortSelector.newBuilder().setNumber(port)))
                    .setWeight(100)));
  }

  /** The length in bytes (as istiod counts) of the route's path, 0 for a catch-all. */
  private static int matchLength(HTTPRoute r) {
    if (r.getMatchCount() == 0) {
      return 0;
    }
    StringMatch uri = r.getMatch(0).getUri();
    String p =
        switch (uri.getMatchTypeCase()) {
          case EXACT -> uri.getExact();
          case PREFIX -> uri.getPrefix();
          default -> null;
        };
    return p == null ? -1 : p.getBytes(StandardCharsets.UTF_8).length;
  }

  private static boolean exact(HTTPRoute r) {
    return r.getMatchCount() > 0
        && r.getMatch(0).getUri().getMatchTypeCase() == StringMatch.MatchTypeCase.EXACT;
  }
}

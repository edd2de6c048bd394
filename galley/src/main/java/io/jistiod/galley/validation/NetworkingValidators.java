package io.jistiod.galley.validation;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import io.jistiod.galley.api.networking.v1alpha3.Destination;
import io.jistiod.galley.api.networking.v1alpha3.DestinationRule;
import io.jistiod.galley.api.networking.v1alpha3.HTTPMatchRequest;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRoute;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRouteDestination;
import io.jistiod.galley.api.networking.v1alpha3.ServiceEntry;
import io.jistiod.galley.api.networking.v1alpha3.ServicePort;
import io.jistiod.galley.api.networking.v1alpha3.StringMatch;
import io.jistiod.galley.api.networking.v1alpha3.Subset;
import io.jistiod.galley.api.networking.v1alpha3.VirtualService;
import io.jistiod.galley.api.networking.v1alpha3.WorkloadEntry;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.ConfigKind;
import io.jistiod.galley.config.IstioKinds;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The core rules for the networking kinds the foundation serves: the mistakes that would otherwise
 * produce broken Envoy config. Each message names the field path, as Istio's validation does.
 */
public final class NetworkingValidators {

  /** Istio caps regexes so a hostile pattern cannot cost unbounded memory. */
  static final int MAX_REGEX_LENGTH = 1024;

  private NetworkingValidators() {}

  /** A validator that dispatches on the object's kind. */
  public static ConfigValidator forKinds() {
    Map<ConfigKind, ConfigValidator> byKind =
        Map.of(
            IstioKinds.VIRTUAL_SERVICE, NetworkingValidators::virtualService,
            IstioKinds.DESTINATION_RULE, NetworkingValidators::destinationRule,
            IstioKinds.SERVICE_ENTRY, NetworkingValidators::serviceEntry,
            IstioKinds.WORKLOAD_ENTRY, NetworkingValidators::workloadEntry);
    return c -> byKind.getOrDefault(c.meta().kind(), ConfigValidator.NONE).validate(c);
  }

  static List<ValidationMessage> virtualService(Config config) {
    VirtualService vs = config.spec(VirtualService.class);
    List<ValidationMessage> out = new ArrayList<>();
    if (vs.getHostsCount() == 0) {
      out.add(ValidationMessage.error("spec.hosts", "at least one host is required"));
    }
    for (int i = 0; i < vs.getHostsCount(); i++) {
      host(vs.getHosts(i), "spec.hosts[" + i + "]", true, out);
    }
    for (int i = 0; i < vs.getHttpCount(); i++) {
      httpRoute(vs.getHttp(i), "spec.http[" + i + "]", out);
    }
    return out;
  }

  private static void httpRoute(HTTPRoute r, String path, List<ValidationMessage> out) {
    boolean hasAction = r.hasRedirect() || r.hasDirectResponse();
    if (r.getRouteCount() == 0 && !hasAction) {
      out.add(
          ValidationMessage.error(path, "a route, a redirect or a direct response is required"));
    }
    if (r.getRouteCount() > 0 && hasAction) {
      out.add(
          ValidationMessage.error(
              path, "a route cannot be combined with a redirect or a direct response"));
    }
    for (int j = 0; j < r.getMatchCount(); j++) {
      match(r.getMatch(j), path + ".match[" + j + "]", out);
    }
    int total = 0;
    for (int j = 0; j < r.getRouteCount(); j++) {
      HTTPRouteDestination d = r.getRoute(j);
      String dpath = path + ".route[" + j + "]";
      if (d.getWeight() < 0) {
        out.add(ValidationMessage.error(dpath + ".weight", "must not be negative"));
      }
      total += Math.max(0, d.getWeight());
      destination(d.getDestination(), d.hasDestination(), dpath + ".destination", out);
    }
    if (r.getRouteCount() > 1 && total == 0) {
      out.add(
          ValidationMessage.error(
              path + ".route", "weights of multiple destinations must not all be 0"));
    }
  }

  private static void match(HTTPMatchRequest m, String path, List<ValidationMessage> out) {
    if (m.hasUri()) {
      stringMatch(m.getUri(), path + ".uri", out);
    }
    m.getHeadersMap().forEach((k, v) -> stringMatch(v, path + ".headers[" + k + "]", out));
    m.getQueryParamsMap().forEach((k, v) -> stringMatch(v, path + ".queryParams[" + k + "]", out));
  }

  private static void stringMatch(StringMatch s, String path, List<ValidationMessage> out) {
    if (s.getMatchTypeCase() == StringMatch.MatchTypeCase.REGEX) {
      regex(s.getRegex(), path + ".regex", out);
    }
  }

  static void regex(String re, String path, List<ValidationMessage> out) {
    if (re.length() > MAX_REGEX_LENGTH) {
      out.add(
          ValidationMessage.error(
              path, "regex is " + re.length() + " characters (limit " + MAX_REGEX_LENGTH + ")"));
      return;
    }
    try {
      Pattern.compile(re); // RE2 syntax, as Envoy's regex engine uses
    } catch (PatternSyntaxException e) {
      out.add(ValidationMessage.error(path, "invalid regex: " + e.getDescription()));
    }
  }

  private static void destination(
      Destination d, boolean present, String path, List<ValidationMessage> out) {
    if (!present) {
      out.add(ValidationMessage.error(path, "is required"));
      return;
    }
    if (d.getHost().isEmpty()) {
      out.add(ValidationMessage.error(path + ".host", "is required"));
    } else {
      host(d.getHost(), path + ".host", false, out);
    }
    if (d.hasPort() && (d.getPort().getNumber() < 1 || d.getPort().getNumber() > 65535)) {
      out.add(ValidationMessage.error(path + ".port.number", "must be between 1 and 65535"));
    }
  }

  static List<ValidationMessage> destinationRule(Config config) {
    DestinationRule dr = config.spec(DestinationRule.class);
    List<ValidationMessage> out = new ArrayList<>();
    if (dr.getHost().isEmpty()) {
      out.add(ValidationMessage.error("spec.host", "is required"));
    } else {
      host(dr.getHost(), "spec.host", true, out);
    }
    Set<String> names = new HashSet<>();
    for (int i = 0; i < dr.getSubsetsCount(); i++) {
      Subset s = dr.getSubsets(i);
      String path = "spec.subsets[" + i + "]";
      if (s.getName().isEmpty()) {
        out.add(ValidationMessage.error(path + ".name", "is required"));
      } else if (!names.add(s.getName())) {
        out.add(
            ValidationMessage.error(path + ".name", "duplicate subset \"" + s.getName() + "\""));
      }
    }
    return out;
  }

  static List<ValidationMessage> serviceEntry(Config config) {
    ServiceEntry se = config.spec(ServiceEntry.class);
    List<ValidationMessage> out = new ArrayList<>();
    if (se.getHostsCount() == 0) {
      out.add(ValidationMessage.error("spec.hosts", "at least one host is required"));
    }
    for (int i = 0; i < se.getHostsCount(); i++) {
      host(se.getHosts(i), "spec.hosts[" + i + "]", true, out);
    }
    Set<Integer> numbers = new HashSet<>();
    Set<String> portNames = new HashSet<>();
    for (int i = 0; i < se.getPortsCount(); i++) {
      ServicePort p = se.getPorts(i);
      String path = "spec.ports[" + i + "]";
      port(p.getNumber(), path + ".number", out);
      if (!numbers.add(p.getNumber())) {
        out.add(ValidationMessage.error(path + ".number", "duplicate port " + p.getNumber()));
      }
      if (p.getName().isEmpty()) {
        out.add(ValidationMessage.error(path + ".name", "is required"));
      } else if (!portNames.add(p.getName())) {
        out.add(
            ValidationMessage.error(path + ".name", "duplicate port name \"" + p.getName() + "\""));
      }
      if (p.getTargetPort() != 0) {
        port(p.getTargetPort(), path + ".targetPort", out);
      }
    }
    for (int i = 0; i < se.getEndpointsCount(); i++) {
      workloadEntry(se.getEndpoints(i), "spec.endpoints[" + i + "]", portNames, out);
    }
    return out;
  }

  static List<ValidationMessage> workloadEntry(Config config) {
    List<ValidationMessage> out = new ArrayList<>();
    workloadEntry(config.spec(WorkloadEntry.class), "spec", null, out);
    return out;
  }

  private static void workloadEntry(
      WorkloadEntry we, String path, Set<String> servicePortNames, List<ValidationMessage> out) {
    if (we.getAddress().isEmpty() && we.getNetwork().isEmpty()) {
      out.add(ValidationMessage.error(path + ".address", "is required"));
    }
    we.getPortsMap()
        .forEach(
            (name, number) -> {
              port(number, path + ".ports[" + name + "]", out);
              if (servicePortNames != null && !servicePortNames.contains(name)) {
                out.add(
                    ValidationMessage.error(
                        path + ".ports[" + name + "]", "names no port of the ServiceEntry"));
              }
            });
    if (we.getWeight() < 0) {
      out.add(ValidationMessage.error(path + ".weight", "must not be negative"));
    }
  }

  private static void port(int n, String path, List<ValidationMessage> out) {
    if (n < 1 || n > 65535) {
      out.add(ValidationMessage.error(path, "must be between 1 and 65535, got " + n));
    }
  }

  /** A DNS name, optionally with a leading "*." wildcard (or just "*" where allowed). */
  static void host(String h, String path, boolean allowWildcard, List<ValidationMessage> out) {
    if (h.equals("*")) {
      if (!allowWildcard) {
        out.add(ValidationMessage.error(path, "a wildcard host is not allowed here"));
      }
      return;
    }
    String name = h;
    if (h.startsWith("*.")) {
      if (!allowWildcard) {
        out.add(ValidationMessage.error(path, "a wildcard host is not allowed here"));
        return;
      }
      name = h.substring(2);
    }
    if (name.length() > 255) {
      out.add(ValidationMessage.error(path, "host is longer than 255 characters"));
      return;
    }
    for (String label : name.split("\\.", -1)) {
      if (!label.matches("[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?")) {
        out.add(ValidationMessage.error(path, "invalid host \"" + h + "\""));
        return;
      }
    }
  }
}

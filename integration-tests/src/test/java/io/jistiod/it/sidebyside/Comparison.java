package io.jistiod.it.sidebyside;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.Any;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Compares what the reference istiod and ours sent one proxy: resource names per type, then the
 * {@link EssentialContent} of the resources both have. Resources about other namespaces on the
 * shared rig (our istiod does not filter namespaces by discoverySelectors) are taken out of both
 * sides first, by {@link Scope}.
 */
public final class Comparison {
  private Comparison() {}

  /**
   * One difference. {@code kind}: missing (the reference has it, we do not), extra (we have it, the
   * reference does not), changed (both have it; {@code path} in its essential content differs),
   * no-response (we sent nothing for the type).
   */
  public record Difference(
      String scenario,
      String proxy,
      String type,
      String resource,
      String kind,
      String path,
      String reference,
      String ours) {
    public String describe() {
      return switch (kind) {
        case "changed" ->
            "`%s` %s `%s`: reference `%s`, ours `%s`"
                .formatted(type, resource, path, abbreviate(reference), abbreviate(ours));
        case "no-response" -> "`%s`: no response (%s)".formatted(type, abbreviate(ours));
        default -> "`%s` %s: %s".formatted(type, resource, kind);
      };
    }

    private static String abbreviate(String s) {
      if (s == null) {
        return "(absent)";
      }
      return s.length() > 120 ? s.substring(0, 117) + "..." : s;
    }
  }

  /** Per proxy and type: how many reference resources we matched exactly. */
  public record Tally(String type, int reference, int ours, int identical) {}

  public record Result(List<Difference> differences, List<Tally> tallies, int outOfScope) {}

  public static Result compare(
      GoldenScenario scenario,
      String proxy,
      AdsDumper.Snapshot ref,
      AdsDumper.Snapshot ours,
      Scope scope) {
    List<Difference> diffs = new ArrayList<>();
    List<Tally> tallies = new ArrayList<>();
    int dropped = 0;
    for (Map.Entry<String, String> t : AdsDumper.SUFFIX.entrySet()) {
      String type = t.getValue();
      SortedMap<String, Map<String, String>> r = new TreeMap<>();
      SortedMap<String, Map<String, String>> o = new TreeMap<>();
      dropped += essential(type, ref.of(t.getKey()), scope, r);
      dropped += essential(type, ours.of(t.getKey()), scope, o);
      if (ours.failures().containsKey(t.getKey())) {
        diffs.add(
            new Difference(
                scenario.name(),
                proxy,
                type,
                "",
                "no-response",
                "",
                null,
                ours.failures().get(t.getKey())));
      }
      int identical = 0;
      Set<String> names = new TreeSet<>(r.keySet());
      names.addAll(o.keySet());
      for (String name : names) {
        if (!o.containsKey(name)) {
          diffs.add(new Difference(scenario.name(), proxy, type, name, "missing", "", null, null));
        } else if (!r.containsKey(name)) {
          diffs.add(new Difference(scenario.name(), proxy, type, name, "extra", "", null, null));
        } else {
          Map<String, String> a = r.get(name);
          Map<String, String> b = o.get(name);
          Set<String> paths = new TreeSet<>(a.keySet());
          paths.addAll(b.keySet());
          boolean same = true;
          for (String p : paths) {
            if (!java.util.Objects.equals(a.get(p), b.get(p))) {
              same = false;
              diffs.add(
                  new Difference(
                      scenario.name(), proxy, type, name, "changed", p, a.get(p), b.get(p)));
            }
          }
          if (same) {
            identical++;
          }
        }
      }
      tallies.add(new Tally(type, r.size(), o.size(), identical));
    }
    return new Result(diffs, tallies, dropped);
  }

  private static int essential(
      String type, SortedMap<String, Any> in, Scope scope, Map<String, Map<String, String>> out) {
    int dropped = 0;
    for (Map.Entry<String, Any> e : in.entrySet()) {
      if (!scope.keepResource(type, e.getKey())) {
        dropped++;
        continue;
      }
      JsonNode json = ProtoJson.toJson(e.getValue());
      if (type.equals("rds") || type.equals("lds")) {
        dropped += scope.prune(type, json);
      }
      out.put(e.getKey(), EssentialContent.of(type, json));
    }
    return dropped;
  }

  /**
   * What belongs to the scenario when it shares the servers with the other scenarios of its group
   * ({@link ScenarioGroups}): what those others bring is left out of both sides, so each scenario's
   * figures count its own resources. That is: hostnames in their namespaces ({@code *.<their
   * ns>.svc.cluster.local}), mesh-wide hosts only they name (ServiceEntry, VirtualService, Gateway
   * hosts), their services' and ServiceEntries' addresses, ports only they use, and their gateways'
   * route configurations. Anything else stays: were our istiod to see a namespace the group's
   * discoverySelectors leave out, its resources would show as differences.
   */
  public static final class Scope {
    private static final Pattern CLUSTER =
        Pattern.compile("(outbound|inbound)\\|(\\d*)\\|[^|]*\\|(.*)");

    /** The gateways' SNI-DNAT clusters: outbound_.PORT_.SUBSET_.HOST. */
    private static final Pattern SNI_DNAT_CLUSTER =
        Pattern.compile("outbound_\\.(\\d+)_\\.([^_]*)_\\.(.*)");

    private static final Pattern LISTENER = Pattern.compile("([0-9.]+)_(\\d+)");

    /** Gateway route configurations: https.PORT.SERVER-PORT-NAME.GATEWAY.NAMESPACE. */
    private static final Pattern GATEWAY_ROUTE = Pattern.compile("https\\.\\d+\\..*\\.([^.]+)");

    private final Set<String> foreignNamespaces = new HashSet<>();
    private final Set<String> foreignVips = new HashSet<>();
    private final Set<String> foreignHosts = new HashSet<>();
    private final Set<String> foreignPorts = new HashSet<>();

    public Scope(GoldenScenario s) {
      this(s, List.of(s));
    }

    /** The scope of {@code s} among the scenarios of its {@code group}. */
    public Scope(GoldenScenario s, List<GoldenScenario> group) {
      for (GoldenScenario o : group) {
        if (!o.name().equals(s.name())) {
          foreignNamespaces.addAll(o.namespaces());
          foreignVips.addAll(o.vips());
          foreignHosts.addAll(o.meshWideHosts());
          foreignPorts.addAll(ports(o));
        }
      }
      foreignNamespaces.removeAll(s.namespaces());
      foreignVips.removeAll(s.vips());
      foreignHosts.removeAll(s.meshWideHosts());
      foreignPorts.removeAll(ports(s));
    }

    /** The ports a scenario's services, ServiceEntries and Gateway servers use. */
    private static Set<String> ports(GoldenScenario s) {
      Set<String> ports = new HashSet<>();
      for (JsonNode d : GoldenScenario.documents(s.kubeYaml())) {
        if (d.path("kind").asText().equals("Service")) {
          for (JsonNode p : d.path("spec").path("ports")) {
            ports.add(p.path("port").asText());
            ports.add(p.path("targetPort").asText());
          }
        }
      }
      for (JsonNode d : GoldenScenario.documents(s.istioYaml())) {
        for (JsonNode p : d.path("spec").path("ports")) {
          ports.add(p.path("number").asText());
          ports.add(p.path("targetPort").asText());
        }
        for (JsonNode srv : d.path("spec").path("servers")) {
          ports.add(srv.path("port").path("number").asText());
        }
      }
      return ports;
    }

    boolean inScopeHost(String host) {
      if (!host.endsWith(".svc.cluster.local")) {
        return !foreignHosts.contains(host);
      }
      String[] parts = host.split("\\.");
      return parts.length < 5 || !foreignNamespaces.contains(parts[parts.length - 4]);
    }

    boolean keepResource(String type, String name) {
      Matcher c = CLUSTER.matcher(name);
      if ((type.equals("cds") || type.equals("eds")) && c.matches()) {
        return c.group(1).equals("inbound") || inScopeHost(c.group(3));
      }
      Matcher dnat = SNI_DNAT_CLUSTER.matcher(name);
      if ((type.equals("cds") || type.equals("eds")) && dnat.matches()) {
        return inScopeHost(dnat.group(3));
      }
      if (type.equals("lds")) {
        Matcher l = LISTENER.matcher(name);
        if (l.matches()) {
          return l.group(1).equals("0.0.0.0")
              ? !foreignPorts.contains(l.group(2))
              : !otherVip(l.group(1));
        }
      }
      if (type.equals("rds")) {
        if (name.matches("\\d+")) {
          return !foreignPorts.contains(name);
        }
        Matcher g = GATEWAY_ROUTE.matcher(name);
        if (g.matches()) {
          return !foreignNamespaces.contains(g.group(1));
        }
      }
      return true;
    }

    private boolean otherVip(String ip) {
      return foreignVips.contains(ip);
    }

    /** Removes out-of-scope virtual hosts and filter chains in place; returns how many. */
    int prune(String type, JsonNode json) {
      int dropped = 0;
      if (type.equals("rds")) {
        var vhs = json.path("virtualHosts");
        for (int i = vhs.size() - 1; i >= 0; i--) {
          String host = vhs.get(i).path("name").asText().replaceAll(":\\d+$", "");
          if (!inScopeHost(host)) {
            ((com.fasterxml.jackson.databind.node.ArrayNode) vhs).remove(i);
            dropped++;
          }
        }
      } else {
        var chains = json.path("filterChains");
        for (int i = chains.size() - 1; i >= 0; i--) {
          JsonNode match = chains.get(i).path("filterChainMatch");
          JsonNode ranges = match.path("prefixRanges");
          JsonNode sni = match.path("serverNames");
          boolean allOther = !ranges.isEmpty() || !sni.isEmpty();
          for (JsonNode r : ranges) {
            allOther &= otherVip(r.path("addressPrefix").asText());
          }
          for (JsonNode n : sni) {
            allOther &= !inScopeHost(n.asText());
          }
          if (allOther) {
            ((com.fasterxml.jackson.databind.node.ArrayNode) chains).remove(i);
            dropped++;
          }
        }
      }
      return dropped;
    }
  }
}

package io.jistiod.it.sidebyside;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Packs golden scenarios into groups that one reference istiod and one of ours can serve at once
 * (discoverySelectors pick all the group's namespaces), so the side-by-side run starts a few
 * servers instead of two per scenario.
 *
 * <p>A group shares one MeshConfig and one set of feature flags, so scenarios with different
 * mesh.yaml or env.yaml files never share one. Scenarios in one group must not see each other's
 * config either, or the comparison would measure a mix: namespaces keep Kubernetes services apart,
 * but a Gateway's selector picks gateway pods in every namespace, and
 * ServiceEntry/VirtualService/Gateway hosts outside {@code svc.cluster.local} are seen by every
 * proxy. So at most one scenario with a Gateway per group, and no two scenarios whose mesh-wide
 * hosts overlap.
 */
public final class ScenarioGroups {
  private ScenarioGroups() {}

  /**
   * Part of every group name: the reference's state dir and process are keyed by the name, and a
   * second start with a name in use stops the first, so two side-by-side runs on the shared rig
   * (two engineers' worktrees) must not share names.
   */
  private static final long RUN = ProcessHandle.current().pid();

  /** One group: its name (for the reference's state dir), mesh config, flags and scenarios. */
  public record Group(
      String name, String meshYaml, Map<String, String> env, List<GoldenScenario> scenarios) {
    /** The discoverySelectors label values: the scenarios' names. */
    public List<String> labels() {
      return scenarios.stream().map(GoldenScenario::name).toList();
    }
  }

  public static List<Group> of(List<GoldenScenario> scenarios) {
    Map<List<Object>, List<List<GoldenScenario>>> byMesh = new LinkedHashMap<>();
    for (GoldenScenario s : scenarios) {
      List<List<GoldenScenario>> groups =
          byMesh.computeIfAbsent(
              List.of(Objects.requireNonNullElse(s.meshYaml(), ""), s.env()),
              k -> new ArrayList<>());
      List<GoldenScenario> home = null;
      for (List<GoldenScenario> g : groups) {
        if (g.stream().noneMatch(o -> conflict(s, o))) {
          home = g;
          break;
        }
      }
      if (home == null) {
        home = new ArrayList<>();
        groups.add(home);
      }
      home.add(s);
    }
    List<Group> out = new ArrayList<>();
    for (List<List<GoldenScenario>> groups : byMesh.values()) {
      for (List<GoldenScenario> g : groups) {
        out.add(
            new Group(
                "sbs-group-" + RUN + "-" + (out.size() + 1),
                g.get(0).meshYaml(),
                g.get(0).env(),
                List.copyOf(g)));
      }
    }
    return out;
  }

  static boolean conflict(GoldenScenario a, GoldenScenario b) {
    if (a.definesGateway() && b.definesGateway()) {
      return true;
    }
    Set<String> bh = b.meshWideHosts();
    for (String h : a.meshWideHosts()) {
      for (String o : bh) {
        if (overlap(h, o)) {
          return true;
        }
      }
    }
    return false;
  }

  /** Whether two hostnames (either may be a {@code *.suffix} wildcard) can name the same host. */
  static boolean overlap(String a, String b) {
    if (a.equals(b) || a.equals("*") || b.equals("*")) {
      return true;
    }
    return (a.startsWith("*") && b.endsWith(a.substring(1)))
        || (b.startsWith("*") && a.endsWith(b.substring(1)));
  }
}

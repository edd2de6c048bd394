package io.jistiod.galley.validation;

import io.jistiod.galley.api.networking.v1alpha3.Destination;
import io.jistiod.galley.api.networking.v1alpha3.Headers.HeaderOperations;
import io.jistiod.galley.api.networking.v1alpha3.StringMatch;
import io.jistiod.galley.api.type.v1beta1.PolicyTargetReference;
import io.jistiod.galley.api.type.v1beta1.WorkloadSelector;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Checks shared by several kinds: destinations, string matches, exportTo, policy targets. */
final class Common {
  private Common() {}

  /** A route destination: host (not {@code *}), optional subset name and port. */
  static void destination(Destination d, String path, Findings f) {
    String host = d.getHost();
    if (host.equals("*")) {
      f.error(path + ".host", "\"*\" is not a valid destination host");
    } else {
      f.errorIf(path + ".host", Hosts.wildcardDomainProblem(host));
    }
    if (!d.getSubset().isEmpty()) {
      subsetName(d.getSubset(), path + ".subset", f);
    }
    if (d.hasPort()) {
      Ports.number(d.getPort().getNumber(), path + ".port.number", f);
    }
  }

  static void subsetName(String name, String path, Findings f) {
    if (name.isEmpty()) {
      f.error(path, "subset name must not be empty");
    } else if (!Labels.isDns1123Label(name)) {
      f.error(path, "invalid subset name \"" + name + "\" (must be a DNS-1123 label)");
    }
  }

  /** A string match where an empty prefix is meaningless and a regex must compile. */
  static void stringMatch(StringMatch m, String path, Findings f) {
    if (m.getMatchTypeCase() == StringMatch.MatchTypeCase.PREFIX && m.getPrefix().isEmpty()) {
      f.error(path + ".prefix", "an empty prefix match is not allowed");
    }
    stringMatchRegex(m, path, f);
  }

  /** Only the regex variant is checked: it must be non-empty and compile. */
  static void stringMatchRegex(StringMatch m, String path, Findings f) {
    if (m.getMatchTypeCase() != StringMatch.MatchTypeCase.REGEX) {
      return;
    }
    if (m.getRegex().isEmpty()) {
      f.error(path + ".regex", "an empty regex match is not allowed");
    } else {
      Regexes.check(m.getRegex(), path + ".regex", f);
    }
  }

  /**
   * Header manipulation. Request headers may set the authority but no other pseudo-header; removed
   * request headers and all response headers may not touch Host or pseudo-headers.
   */
  static void headerOperations(HeaderOperations ops, boolean request, String path, Findings f) {
    ops.getSetMap()
        .forEach(
            (name, value) -> {
              String where = Findings.key(path + ".set", name);
              f.errorIf(
                  where,
                  request
                      ? Headers.requestSetNameProblem(name)
                      : Headers.operationNameProblem(name));
              f.errorIf(where, Headers.valueProblem(value));
            });
    ops.getAddMap()
        .forEach(
            (name, value) -> {
              String where = Findings.key(path + ".add", name);
              f.errorIf(
                  where,
                  request
                      ? Headers.requestSetNameProblem(name)
                      : Headers.operationNameProblem(name));
              f.errorIf(where, Headers.valueProblem(value));
            });
    for (int i = 0; i < ops.getRemoveCount(); i++) {
      Deadline.check();
      f.errorIf(Findings.at(path + ".remove", i), Headers.operationNameProblem(ops.getRemove(i)));
    }
  }

  static void headers(
      io.jistiod.galley.api.networking.v1alpha3.Headers h, String path, Findings f) {
    if (h.hasRequest()) {
      headerOperations(h.getRequest(), true, path + ".request", f);
    }
    if (h.hasResponse()) {
      headerOperations(h.getResponse(), false, path + ".response", f);
    }
  }

  /**
   * exportTo entries: {@code .} (this namespace), {@code *} (everyone), a namespace name, and for
   * ServiceEntries {@code ~} (no one). No duplicates (. counts as the own namespace), {@code *} and
   * {@code ~} only alone; a DestinationRule with a workload selector only to its own namespace.
   */
  static void exportTo(
      String namespace,
      List<String> exportTo,
      boolean serviceEntry,
      boolean destinationRuleWithSelector,
      String path,
      Findings f) {
    if (exportTo.isEmpty()) {
      return;
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < exportTo.size(); i++) {
      Deadline.check();
      String e = exportTo.get(i);
      String where = Findings.at(path, i);
      String key = e.equals(".") ? namespace : e;
      if (seen.contains(key)) {
        if (!key.equals(e)) {
          f.error(where, "duplicate exportTo entries: \".\" and the own namespace " + namespace);
        } else {
          f.error(where, "duplicate exportTo entry \"" + e + "\"");
        }
        continue;
      }
      if (serviceEntry && e.equals("~")) {
        seen.add(key);
        continue;
      }
      if (key.equals("~")) {
        f.error(where, "exportTo ~ (no one) is only allowed for ServiceEntries");
      } else if (!key.equals("*") && !key.equals(".") && !Labels.isDns1123Label(key)) {
        f.error(
            where, "exportTo entries must be \".\", \"*\" or a namespace name, got \"" + e + "\"");
      } else {
        seen.add(key);
      }
    }
    if (destinationRuleWithSelector && !seen.isEmpty()) {
      if (seen.contains(namespace)) {
        if (seen.size() > 1) {
          f.error(
              path,
              "a DestinationRule with a workload selector may only be exported to its own namespace");
        }
      } else {
        f.error(
            path,
            "a DestinationRule with a workload selector may only be exported to its own namespace");
      }
    }
    if (seen.contains("*") && exportTo.size() > 1) {
      f.error(path, "\"*\" exports to every namespace and cannot be combined with other entries");
    }
    if (seen.contains("~") && exportTo.size() > 1) {
      f.error(path, "\"~\" exports to no one and cannot be combined with other entries");
    }
  }

  /** Istio's selector rules for {@code istio.type.v1beta1.WorkloadSelector}. */
  static void workloadSelector(boolean present, WorkloadSelector s, String path, Findings f) {
    Labels.selector(present, s.getMatchLabelsMap(), path, "matchLabels", f);
  }

  /** Only one of selector, targetRef and targetRefs. */
  static void oneSelectorKind(
      boolean selector, boolean targetRef, int targetRefs, String path, Findings f) {
    int set = (selector ? 1 : 0) + (targetRef ? 1 : 0) + (targetRefs > 0 ? 1 : 0);
    if (set > 1) {
      f.error(path, "only one of selector, targetRef and targetRefs may be set");
    }
  }

  /** A policy attaches to a Service, ServiceEntry, Gateway or GatewayClass in its namespace. */
  static void targetRef(PolicyTargetReference r, String path, Findings f) {
    if (r.getName().isEmpty()) {
      f.error(path + ".name", "targetRef name is required");
    }
    if (!r.getNamespace().isEmpty()) {
      f.error(
          path + ".namespace",
          "targetRef namespace must not be set: cross-namespace references are not supported");
    }
    String group = r.getGroup().isEmpty() ? "core" : r.getGroup();
    String kind = r.getKind();
    boolean allowed =
        (group.equals("core") && kind.equals("Service"))
            || (group.equals("networking.istio.io") && kind.equals("ServiceEntry"))
            || (group.equals("gateway.networking.k8s.io")
                && (kind.equals("Gateway") || kind.equals("GatewayClass")));
    if (!allowed) {
      f.error(
          path + ".kind",
          "targetRef must name a Service, ServiceEntry (networking.istio.io), Gateway or"
              + " GatewayClass (gateway.networking.k8s.io), got "
              + r.getGroup()
              + "/"
              + kind);
    }
  }

  static void targetRefs(
      boolean hasTargetRef,
      PolicyTargetReference targetRef,
      List<PolicyTargetReference> targetRefs,
      String path,
      Findings f) {
    if (hasTargetRef) {
      targetRef(targetRef, path + ".targetRef", f);
    }
    for (int i = 0; i < targetRefs.size(); i++) {
      Deadline.check();
      targetRef(targetRefs.get(i), Findings.at(path + ".targetRefs", i), f);
    }
  }

  /** A unix domain socket path: absolute, not a directory, or an abstract {@code @name}. */
  static String unixAddressProblem(String addr) {
    if (addr.isEmpty()) {
      return "unix address must not be empty";
    }
    if (addr.startsWith("@")) {
      return null;
    }
    if (!addr.startsWith("/") || addr.endsWith("/")) {
      return "\"" + addr + "\" is not an absolute path to a file";
    }
    return null;
  }

  static final String UNIX_PREFIX = "unix://";
}

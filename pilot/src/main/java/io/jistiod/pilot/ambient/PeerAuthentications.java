package io.jistiod.pilot.ambient;

import com.google.protobuf.Empty;
import io.jistiod.galley.api.security.v1beta1.PeerAuthentication;
import io.jistiod.galley.api.security.v1beta1.PeerAuthentication.MutualTLS.Mode;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.api.workload.security.Action;
import io.jistiod.pilot.api.workload.security.Authorization;
import io.jistiod.pilot.api.workload.security.Group;
import io.jistiod.pilot.api.workload.security.Match;
import io.jistiod.pilot.api.workload.security.Rules;
import io.jistiod.pilot.api.workload.security.Scope;
import io.jistiod.pilot.api.workload.security.StringMatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * PeerAuthentications as ztunnel enforces them, as istiod 1.27 turns them into DENY policies: one
 * static STRICT policy in the root namespace (deny any peer without an identity) whenever any
 * PeerAuthentication exists, referenced by the workloads whose effective mode is STRICT; and, for a
 * workload PeerAuthentication with port-level modes that differ from what it inherits, a policy of
 * its own ({@code converted_peer_authentication_NAME}) holding those exceptions.
 */
final class PeerAuthentications {
  static final String STATIC_STRICT = "istio_converted_static_strict";
  static final String CONVERTED_PREFIX = "converted_peer_authentication_";

  private PeerAuthentications() {}

  /** Denies a connection that has no peer identity (plain text). */
  private static Match noIdentity() {
    return Match.newBuilder()
        .addNotPrincipals(StringMatch.newBuilder().setPresence(Empty.getDefaultInstance()))
        .build();
  }

  static Authorization staticStrict(String rootNamespace) {
    return Authorization.newBuilder()
        .setName(STATIC_STRICT)
        .setNamespace(rootNamespace)
        .setScope(Scope.WORKLOAD_SELECTOR)
        .setAction(Action.DENY)
        .addGroups(Group.newBuilder().addRules(Rules.newBuilder().addMatches(noIdentity())))
        .build();
  }

  private static PeerAuthentication spec(Config c) {
    return c.spec(PeerAuthentication.class);
  }

  private static Mode mode(PeerAuthentication pa) {
    return pa.hasMtls() ? pa.getMtls().getMode() : Mode.UNSET;
  }

  private static boolean strict(Config c) {
    return c != null && mode(spec(c)) == Mode.STRICT;
  }

  private static boolean unset(Config c) {
    return mode(spec(c)) == Mode.UNSET;
  }

  /** Of {@code candidates}, the oldest (the first of equals), or null. */
  private static Config oldest(List<Config> candidates) {
    Config out = null;
    for (Config c : candidates) {
      if (out == null || c.meta().creationTimestamp().isBefore(out.meta().creationTimestamp())) {
        out = c;
      }
    }
    return out;
  }

  /** The namespace-wide ones (no selector at all) of {@code namespace}. */
  private static List<Config> namespaceWide(List<Config> all, String namespace) {
    List<Config> out = new ArrayList<>();
    for (Config c : all) {
      if (c.namespace().equals(namespace) && !spec(c).hasSelector()) {
        out.add(c);
      }
    }
    return out;
  }

  /**
   * The converted policies of the workload PeerAuthentications among {@code all} (null entries left
   * out), each with its selector.
   */
  static List<ZtunnelPolicies.Policy> converted(List<Config> all, String rootNamespace) {
    List<ZtunnelPolicies.Policy> out = new ArrayList<>();
    for (Config c : all) {
      PeerAuthentication pa = spec(c);
      if (c.namespace().equals(rootNamespace)
          || !pa.hasSelector()
          || pa.getPortLevelMtlsCount() == 0) {
        continue;
      }
      Config ns = oldest(namespaceWide(all, c.namespace()));
      Config root = oldest(namespaceWide(all, rootNamespace));
      Authorization a = convert(c, ns, root);
      if (a != null) {
        out.add(
            new ZtunnelPolicies.Policy(a, Map.copyOf(pa.getSelector().getMatchLabelsMap()), false));
      }
    }
    return out;
  }

  private static Authorization convert(Config c, Config ns, Config root) {
    PeerAuthentication pa = spec(c);
    Mode mode = mode(pa);
    List<Rules> rules = new ArrayList<>();
    List<Group> groups = new ArrayList<>();
    if (mode == Mode.STRICT) {
      rules.add(Rules.newBuilder().addMatches(noIdentity()).build());
    }
    boolean nonStrictPort = false;
    for (var e : new TreeMap<>(pa.getPortLevelMtlsMap()).entrySet()) {
      int port = e.getKey();
      Mode portMode = e.getValue().getMode();
      if (portMode == Mode.STRICT) {
        // enforced by what it inherits already: the workload's own STRICT, else a STRICT
        // namespace policy, else (none or unset there) a STRICT mesh policy
        boolean inherited =
            mode == Mode.STRICT
                || (mode == Mode.UNSET && strict(ns))
                || ((ns == null || unset(ns)) && strict(root));
        if (inherited) {
          continue;
        }
        groups.add(
            Group.newBuilder()
                .addRules(
                    Rules.newBuilder()
                        .addMatches(noIdentity().toBuilder().addDestinationPorts(port)))
                .build());
      } else if (portMode == Mode.PERMISSIVE || portMode == Mode.DISABLE) {
        if (mode == Mode.PERMISSIVE || mode == Mode.DISABLE) {
          continue; // nothing to relax
        }
        if (mode == Mode.UNSET
            && ((ns != null && !strict(ns))
                || (ns == null && root != null && !strict(root))
                || (ns == null && root == null))) {
          continue; // not STRICT where it inherits from either
        }
        nonStrictPort = true;
        // deny only when the connection is not to this port
        rules.add(
            Rules.newBuilder().addMatches(Match.newBuilder().addNotDestinationPorts(port)).build());
      }
    }
    if (mode == Mode.STRICT && !nonStrictPort) {
      return null; // plainly STRICT: the static policy says it
    }
    if (rules.isEmpty() && groups.isEmpty()) {
      return null;
    }
    boolean mergeStrict = (strict(root) && (ns == null || unset(ns) || strict(ns))) || strict(ns);
    if (mergeStrict && nonStrictPort) {
      rules.add(Rules.newBuilder().addMatches(noIdentity()).build());
    }
    if (!rules.isEmpty()) {
      groups.add(Group.newBuilder().addAllRules(rules).build());
    }
    return Authorization.newBuilder()
        .setName(CONVERTED_PREFIX + c.name())
        .setNamespace(c.namespace())
        .setScope(Scope.WORKLOAD_SELECTOR)
        .setAction(Action.DENY)
        .addAllGroups(groups)
        .build();
  }

  /**
   * The PeerAuthentication policies a workload of {@code namespace} with {@code labels} lists: the
   * static STRICT one when its effective mode is STRICT, and its own converted policy when its
   * port-level exceptions need it (sorted).
   */
  static List<String> forWorkload(
      List<Config> all, String rootNamespace, String namespace, Map<String, String> labels) {
    Config mesh = null;
    Config nsCfg = null;
    Config workload = null;
    for (Config c : all) {
      PeerAuthentication pa = spec(c);
      boolean applies =
          (c.namespace().equals(rootNamespace) && !pa.hasSelector())
              || (c.namespace().equals(namespace)
                  && (!pa.hasSelector()
                      || labels
                          .entrySet()
                          .containsAll(pa.getSelector().getMatchLabelsMap().entrySet())));
      if (!applies) {
        continue;
      }
      if (!pa.hasSelector() || pa.getSelector().getMatchLabelsCount() == 0) {
        if (c.namespace().equals(rootNamespace)) {
          mesh = older(mesh, c);
        } else {
          nsCfg = older(nsCfg, c);
        }
      } else if (!c.namespace().equals(rootNamespace)) {
        workload = older(workload, c);
      }
    }
    boolean strict = false;
    if (mesh != null) {
      strict = strict(mesh);
    }
    if (nsCfg != null && !unset(nsCfg)) {
      strict = strict(nsCfg);
    }
    String own = null;
    if (workload != null) {
      PeerAuthentication pa = spec(workload);
      Mode mode = mode(pa);
      if (mode == Mode.STRICT) {
        strict = true;
      }
      if (mode == Mode.PERMISSIVE || mode == Mode.DISABLE) {
        strict = false;
      }
      String key = workload.namespace() + "/" + CONVERTED_PREFIX + workload.name();
      if (pa.getPortLevelMtlsCount() > 0) {
        var ports = pa.getPortLevelMtlsMap().values();
        boolean anyRelaxed =
            ports.stream()
                .anyMatch(m -> m.getMode() == Mode.PERMISSIVE || m.getMode() == Mode.DISABLE);
        boolean anyStrict = ports.stream().anyMatch(m -> m.getMode() == Mode.STRICT);
        switch (mode) {
          case STRICT -> {
            if (anyRelaxed) {
              own = key;
              strict = false; // its converted form holds the STRICT default
            }
          }
          case PERMISSIVE, DISABLE -> {
            if (anyStrict) {
              own = key;
            }
          }
          default -> {
            if (strict) {
              // only PERMISSIVE ports are exceptions here, as istiod has it
              if (ports.stream().anyMatch(m -> m.getMode() == Mode.PERMISSIVE)) {
                own = key;
                strict = false;
              }
            } else {
              strict = false;
              if (anyStrict) {
                own = key;
              }
            }
          }
        }
      }
    }
    TreeSet<String> out = new TreeSet<>();
    if (strict) {
      out.add(rootNamespace + "/" + STATIC_STRICT);
    }
    if (own != null) {
      out.add(own);
    }
    return List.copyOf(out);
  }

  private static Config older(Config current, Config candidate) {
    return current == null
            || candidate.meta().creationTimestamp().isBefore(current.meta().creationTimestamp())
        ? candidate
        : current;
  }
}

package io.jistiod.pilot.ambient;

import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import io.jistiod.galley.api.security.v1beta1.AuthorizationPolicy;
import io.jistiod.galley.api.security.v1beta1.Condition;
import io.jistiod.galley.api.security.v1beta1.Operation;
import io.jistiod.galley.api.security.v1beta1.Rule;
import io.jistiod.galley.api.security.v1beta1.Source;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.api.workload.security.Action;
import io.jistiod.pilot.api.workload.security.Address;
import io.jistiod.pilot.api.workload.security.Authorization;
import io.jistiod.pilot.api.workload.security.Group;
import io.jistiod.pilot.api.workload.security.Match;
import io.jistiod.pilot.api.workload.security.Rules;
import io.jistiod.pilot.api.workload.security.Scope;
import io.jistiod.pilot.api.workload.security.ServiceAccountMatch;
import io.jistiod.pilot.api.workload.security.StringMatch;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.xds.XdsResource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AuthorizationPolicies in ztunnel's L4 form, as istiod 1.27 converts them: ALLOW and DENY only,
 * policies with {@code targetRef(s)} or in dry-run left to waypoints, HTTP attributes dropped (an
 * ALLOW rule that needs them never matches; a DENY rule matches without them, which is stricter).
 * Immutable; one per push ({@link #of(PushContext)}).
 */
public final class ZtunnelPolicies {
  private static final Logger log = LoggerFactory.getLogger(ZtunnelPolicies.class);
  static final String DRY_RUN_ANNOTATION = "istio.io/dry-run";

  /** The {@code when} keys ztunnel can evaluate; any other makes a rule L7. */
  private static final Set<String> L4_KEYS =
      Set.of(
          "source.ip",
          "source.namespace",
          "source.principal",
          "destination.ip",
          "destination.port");

  /**
   * One converted policy.
   *
   * @param selector the policy's {@code matchLabels}, null when it has no selector
   * @param listedBySelector workloads its selector matches list it (AuthorizationPolicies; the
   *     PeerAuthentication ones are listed by {@link PeerAuthentications#forWorkload})
   */
  public record Policy(
      Authorization authorization, Map<String, String> selector, boolean listedBySelector) {
    public String name() {
      return authorization.getNamespace() + "/" + authorization.getName();
    }
  }

  private final List<Policy> policies;
  private final List<XdsResource> resources;
  private final List<Config> peerAuthentications;

  private ZtunnelPolicies(List<Policy> policies, List<Config> peerAuthentications) {
    this.policies = List.copyOf(policies);
    this.peerAuthentications = List.copyOf(peerAuthentications);
    List<XdsResource> r = new ArrayList<>();
    for (Policy p : policies) {
      r.add(XdsResource.of(p.name(), p.authorization()));
    }
    this.resources = List.copyOf(r);
  }

  /** This push's policies, converted once and shared by every ztunnel. */
  public static ZtunnelPolicies of(PushContext push) {
    return push.index(
        ZtunnelPolicies.class,
        p ->
            convert(
                p.security().authorizationPolicies(),
                p.security().peerAuthentications(),
                p.rootNamespace()));
  }

  /** The AuthorizationPolicies ztunnel enforces among {@code configs}; no PeerAuthentications. */
  public static ZtunnelPolicies convert(List<Config> configs, String rootNamespace) {
    return convert(configs, List.of(), rootNamespace);
  }

  /**
   * The policies ztunnel enforces: those of the AuthorizationPolicies among {@code configs} (the
   * others are left out), the converted PeerAuthentications, and the static STRICT policy if there
   * is any PeerAuthentication at all.
   */
  public static ZtunnelPolicies convert(
      List<Config> configs, List<Config> peerAuthentications, String rootNamespace) {
    List<Policy> out = new ArrayList<>();
    for (Config c : configs) {
      try {
        Policy p = convert(c, rootNamespace);
        if (p != null) {
          out.add(p);
        }
      } catch (RuntimeException e) {
        log.warn(
            "AuthorizationPolicy {}/{}: not sent to ztunnel: {}",
            c.namespace(),
            c.name(),
            e.toString());
      }
    }
    try {
      out.addAll(PeerAuthentications.converted(peerAuthentications, rootNamespace));
    } catch (RuntimeException e) {
      log.warn("PeerAuthentications: not converted for ztunnel: {}", e.toString());
    }
    if (!peerAuthentications.isEmpty()) {
      out.add(new Policy(PeerAuthentications.staticStrict(rootNamespace), null, false));
    }
    return new ZtunnelPolicies(out, peerAuthentications);
  }

  public List<Policy> policies() {
    return policies;
  }

  /** The resources, in namespace/name order. */
  public List<XdsResource> resources() {
    return resources;
  }

  /**
   * The names ({@code namespace/name}) of the policies a workload of {@code namespace} with {@code
   * labels} lists: the AuthorizationPolicies whose selector matches it (its own namespace's or the
   * root namespace's), sorted, then those its PeerAuthentications call for.
   */
  public List<String> selecting(
      String namespace, Map<String, String> labels, String rootNamespace) {
    List<String> out = new ArrayList<>();
    for (Policy p : policies) {
      String ns = p.authorization().getNamespace();
      if (!p.listedBySelector() || p.selector() == null || p.selector().isEmpty()) {
        continue;
      }
      // istiod's quirk: a workload with no labels at all skips the label filter, so every selector
      // policy of its namespace and the root namespace is listed
      if ((ns.equals(namespace) || ns.equals(rootNamespace))
          && (labels.isEmpty() || labels.entrySet().containsAll(p.selector().entrySet()))) {
        out.add(p.name());
      }
    }
    out.sort(null);
    out.addAll(
        PeerAuthentications.forWorkload(peerAuthentications, rootNamespace, namespace, labels));
    return out;
  }

  static Policy convert(Config c, String rootNamespace) {
    String dryRun =
        c.meta().annotations() == null ? null : c.meta().annotations().get(DRY_RUN_ANNOTATION);
    if (dryRun != null && parseBool(dryRun)) {
      return null;
    }
    AuthorizationPolicy pol = c.spec(AuthorizationPolicy.class);
    if (pol.getTargetRefsCount() > 0 || pol.hasTargetRef()) {
      return null; // for waypoints, not ztunnel
    }
    Action action;
    switch (pol.getAction()) {
      case ALLOW -> action = Action.ALLOW;
      case DENY -> action = Action.DENY;
      default -> {
        return null; // AUDIT and CUSTOM: ztunnel has no such action (istiod reports it in status)
      }
    }
    Scope scope = Scope.WORKLOAD_SELECTOR;
    if (!pol.hasSelector()) {
      scope = c.namespace().equals(rootNamespace) ? Scope.GLOBAL : Scope.NAMESPACE;
    }
    Authorization.Builder out =
        Authorization.newBuilder()
            .setName(c.name())
            .setNamespace(c.namespace())
            .setScope(scope)
            .setAction(action);
    for (Rule rule : pol.getRulesList()) {
      List<Rules> rules = rules(action, rule, c.namespace());
      if (rules != null) {
        out.addGroups(Group.newBuilder().addAllRules(rules));
      }
    }
    Map<String, String> selector =
        pol.hasSelector() ? Map.copyOf(pol.getSelector().getMatchLabelsMap()) : null;
    return new Policy(out.build(), selector, true);
  }

  /** Go's strconv.ParseBool: what istiod accepts for the dry-run annotation. */
  static boolean parseBool(String s) {
    return switch (s) {
      case "1", "t", "T", "TRUE", "true", "True" -> true;
      default -> false;
    };
  }

  /** One rule's matches: its to's, its from's, then one per condition; null: it never matches. */
  private static List<Rules> rules(Action action, Rule rule, String namespace) {
    boolean l7 = false;
    List<Match> to = new ArrayList<>();
    for (Rule.To t : rule.getToList()) {
      Operation op = t.getOperation();
      l7 |=
          op.getHostsCount()
                  + op.getNotHostsCount()
                  + op.getMethodsCount()
                  + op.getNotMethodsCount()
                  + op.getPathsCount()
                  + op.getNotPathsCount()
              > 0;
      to.add(
          Match.newBuilder()
              .addAllDestinationPorts(ports(op.getPortsList()))
              .addAllNotDestinationPorts(ports(op.getNotPortsList()))
              .build());
    }
    List<Match> from = new ArrayList<>();
    for (Rule.From f : rule.getFromList()) {
      Source s = f.getSource();
      l7 |=
          s.getRemoteIpBlocksCount()
                  + s.getNotRemoteIpBlocksCount()
                  + s.getRequestPrincipalsCount()
                  + s.getNotRequestPrincipalsCount()
              > 0;
      from.add(
          Match.newBuilder()
              .addAllSourceIps(ips(s.getIpBlocksList()))
              .addAllNotSourceIps(ips(s.getNotIpBlocksList()))
              .addAllNamespaces(strings(s.getNamespacesList()))
              .addAllNotNamespaces(strings(s.getNotNamespacesList()))
              .addAllServiceAccounts(serviceAccounts(s.getServiceAccountsList(), namespace))
              .addAllNotServiceAccounts(serviceAccounts(s.getNotServiceAccountsList(), namespace))
              .addAllPrincipals(strings(s.getPrincipalsList()))
              .addAllNotPrincipals(strings(s.getNotPrincipalsList()))
              .build());
    }
    List<Rules> out = new ArrayList<>();
    if (!to.isEmpty()) {
      out.add(Rules.newBuilder().addAllMatches(to).build());
    }
    if (!from.isEmpty()) {
      out.add(Rules.newBuilder().addAllMatches(from).build());
    }
    for (Condition when : rule.getWhenList()) {
      l7 |= !L4_KEYS.contains(when.getKey());
      Match.Builder m = Match.newBuilder();
      switch (when.getKey()) {
        case "source.namespace" ->
            m.addAllNamespaces(strings(when.getValuesList()))
                .addAllNotNamespaces(strings(when.getNotValuesList()));
        case "source.principal" ->
            m.addAllPrincipals(strings(when.getValuesList()))
                .addAllNotPrincipals(strings(when.getNotValuesList()));
        case "source.ip" ->
            m.addAllSourceIps(ips(when.getValuesList()))
                .addAllNotSourceIps(ips(when.getNotValuesList()));
        case "destination.port" ->
            m.addAllDestinationPorts(ports(when.getValuesList()))
                .addAllNotDestinationPorts(ports(when.getNotValuesList()));
        case "destination.ip" ->
            m.addAllDestinationIps(ips(when.getValuesList()))
                .addAllNotDestinationIps(ips(when.getNotValuesList()));
        default -> {}
      }
      out.add(Rules.newBuilder().addMatches(m).build());
    }
    if (action == Action.ALLOW && l7) {
      return null; // an ALLOW rule on HTTP attributes can never match at L4
    }
    return out;
  }

  /** {@code *} any value, {@code *x} suffix, {@code x*} prefix, else exact. */
  static List<StringMatch> strings(List<String> values) {
    List<StringMatch> out = new ArrayList<>();
    for (String v : values) {
      StringMatch.Builder m = StringMatch.newBuilder();
      if (v.equals("*")) {
        m.setPresence(Empty.getDefaultInstance());
      } else if (v.startsWith("*")) {
        m.setSuffix(v.substring(1));
      } else if (v.endsWith("*")) {
        m.setPrefix(v.substring(0, v.length() - 1));
      } else {
        m.setExact(v);
      }
      out.add(m.build());
    }
    return out;
  }

  /** {@code NAMESPACE/NAME}, or a bare name in the policy's namespace. */
  private static List<ServiceAccountMatch> serviceAccounts(List<String> values, String namespace) {
    List<ServiceAccountMatch> out = new ArrayList<>();
    for (String v : values) {
      int slash = v.indexOf('/');
      out.add(
          slash >= 0
              ? ServiceAccountMatch.newBuilder()
                  .setNamespace(v.substring(0, slash))
                  .setServiceAccount(v.substring(slash + 1))
                  .build()
              : ServiceAccountMatch.newBuilder()
                  .setNamespace(namespace)
                  .setServiceAccount(v)
                  .build());
    }
    return out;
  }

  /** Port numbers; anything else (or above 65535) is skipped. */
  static List<Integer> ports(List<String> values) {
    List<Integer> out = new ArrayList<>();
    for (String v : values) {
      if (v.isEmpty() || v.length() > 10 || !v.chars().allMatch(Character::isDigit)) {
        continue;
      }
      long p = Long.parseLong(v);
      if (p <= 65535) {
        out.add((int) p);
      }
    }
    return out;
  }

  /** IPs (full length) and CIDR blocks; what does not parse is skipped. */
  static List<Address> ips(List<String> values) {
    List<Address> out = new ArrayList<>();
    for (String v : values) {
      int slash = v.indexOf('/');
      String ip = slash >= 0 ? v.substring(0, slash) : v;
      ByteString b = IpBytes.parse(ip);
      if (b == null) {
        continue;
      }
      int bits = b.size() * 8;
      if (slash >= 0) {
        String len = v.substring(slash + 1);
        if (len.isEmpty() || len.length() > 3 || !len.chars().allMatch(Character::isDigit)) {
          continue;
        }
        int n = Integer.parseInt(len);
        if (n > bits) {
          continue;
        }
        bits = n;
      }
      out.add(Address.newBuilder().setAddress(b).setLength(bits).build());
    }
    return out;
  }
}

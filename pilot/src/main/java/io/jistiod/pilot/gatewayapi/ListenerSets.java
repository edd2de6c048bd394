package io.jistiod.pilot.gatewayapi;

import io.jistiod.galley.api.gateway.v1.AllowedListeners;
import io.jistiod.galley.api.gateway.v1.GatewaySpec;
import io.jistiod.galley.api.gateway.v1.Listener;
import io.jistiod.galley.api.gateway.v1.ListenerEntryStatus;
import io.jistiod.galley.api.gateway.v1.ListenerSetSpec;
import io.jistiod.galley.api.gateway.v1.ListenerSetStatus;
import io.jistiod.galley.api.gateway.v1.ListenerStatus;
import io.jistiod.galley.api.gateway.v1.ParentGatewayReference;
import io.jistiod.galley.config.Config;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * XListenerSets (gateway.networking.x-k8s.io, alpha) as istiod 1.27 translates them ({@code
 * ListenerSetCollection}): listeners a parent Gateway admits from other objects. Each listener
 * becomes a route parent of its own (kind XListenerSet) with a one-server Istio Gateway in the
 * set's namespace, served by the parent Gateway's proxies; the set gets a status of its own.
 */
final class ListenerSets {
  static final String NOT_ALLOWED = "NotAllowed";

  /**
   * A ListenerSet istiod handles.
   *
   * @param parent the parent Gateway's {@code namespace/name}
   * @param listeners its listeners as route parents, in order; empty if the set is not attached
   */
  record Translated(
      Config set, String parent, List<GatewayListener> listeners, ListenerSetStatus status) {}

  private final GatewayClasses classes;
  private final Gateways gateways;
  private final GatewayApiInputs in;
  private final Map<String, Config> gatewaysByName = new LinkedHashMap<>();

  ListenerSets(GatewayClasses classes, Gateways gateways, GatewayApiInputs in) {
    this.classes = classes;
    this.gateways = gateways;
    this.in = in;
    for (Config gw : in.gateways()) {
      gatewaysByName.put(gw.namespace() + "/" + gw.name(), gw);
    }
  }

  /**
   * Empty if the set is not istiod's to report on: its parent is not a Gateway, does not exist, or
   * is of a class istiod does not handle.
   */
  Optional<Translated> translate(Config set) {
    ListenerSetSpec spec = set.spec(ListenerSetSpec.class);
    ParentGatewayReference ref = spec.getParentRef();
    GroupKind kind =
        GroupKind.of(
            ref.hasGroup(), ref.getGroup(), ref.hasKind(), ref.getKind(), GroupKind.GATEWAY);
    if (!kind.equals(GroupKind.GATEWAY)) {
      return Optional.empty();
    }
    String parentName =
        (ref.hasNamespace() ? ref.getNamespace() : set.namespace()) + "/" + ref.getName();
    Config parent = gatewaysByName.get(parentName);
    if (parent == null) {
      return Optional.empty();
    }
    var cls = classes.resolve(parent.spec(GatewaySpec.class).getGatewayClassName());
    if (cls.isEmpty()) {
      return Optional.empty();
    }
    ListenerSetStatus current = set.status(ListenerSetStatus.class);
    if (!cls.get().info().supportsListenerSets()) {
      return Optional.of(
          refused(
              set,
              parentName,
              current,
              "The \"%s\" GatewayClass does not support ListenerSet".formatted(cls.get().name())));
    }
    if (!accepts(parent, set.namespace())) {
      return Optional.of(
          refused(
              set,
              parentName,
              current,
              "The parent Gateway does not allow this reference; check the"
                  + " 'spec.allowedRoutes'"));
    }
    GatewayServices services = GatewayServices.of(parent, cls.get(), in.options());
    if (services.hosts().isEmpty() && services.error() != null) {
      // The parent cannot be served, so neither can the set.
      return Optional.of(
          new Translated(
              set, parentName, List.of(), status(set, parent, current, services, List.of())));
    }
    // Listener status as a Gateway's, each entry then stamped with a port: as istiod, the port
    // of the last listener built, on every entry.
    List<ListenerStatus> listenerStatus = new ArrayList<>();
    for (ListenerEntryStatus e : current.getListenersList()) {
      listenerStatus.add(
          ListenerStatus.newBuilder()
              .setName(e.getName())
              .addAllSupportedKinds(e.getSupportedKindsList())
              .setAttachedRoutes(e.getAttachedRoutes())
              .addAllConditions(e.getConditionsList())
              .build());
    }
    List<GatewayListener> listeners = new ArrayList<>();
    List<Integer> ports = new ArrayList<>();
    int lastPort = -1;
    String controller = cls.get().info().controller();
    for (int i = 0; i < spec.getListenersCount(); i++) {
      Listener l = spec.getListeners(i);
      StatusError portError = null;
      int port = defaultPort(l);
      if (port == 0) {
        portError =
            Listeners.unsupported(
                "protocol %s requires a port to be set".formatted(l.getProtocol()));
      }
      l = l.toBuilder().setPort(port).build();
      Gateways.Built built =
          gateways.buildListener(
              set, GroupKind.LISTENER_SET, controller, listenerStatus, i, l, portError);
      ports.add(port);
      lastPort = port;
      listeners.add(
          Gateways.listenerParent(
              set, GroupKind.LISTENER_SET, l, built, services, parent.namespace()));
    }
    ListenerSetStatus.Builder partial = current.toBuilder().clearListeners();
    for (ListenerStatus s : listenerStatus) {
      partial.addListeners(
          ListenerEntryStatus.newBuilder()
              .setName(s.getName())
              .setPort(lastPort < 0 ? 0 : lastPort)
              .addAllSupportedKinds(s.getSupportedKindsList())
              .setAttachedRoutes(s.getAttachedRoutes())
              .addAllConditions(s.getConditionsList()));
    }
    if (lastPort < 0) {
      // No listener built: istiod leaves the entries as they were.
      partial.clearListeners().addAllListeners(current.getListenersList());
    }
    return Optional.of(
        new Translated(
            set, parentName, listeners, status(set, parent, partial.build(), services, ports)));
  }

  /** A listener's port, or for an unset one the protocol's default; 0 if it has none. */
  static int defaultPort(Listener l) {
    if (l.getPort() != 0) {
      return l.getPort();
    }
    return switch (l.getProtocol()) {
      case "HTTP" -> 80;
      case "HTTPS" -> 443;
      default -> 0;
    };
  }

  /**
   * Whether the parent's {@code allowedListeners} admit sets of {@code namespace} ({@code
   * namespaceAcceptedByAllowListeners}): none unless it says so, All, Same, or by namespace label
   * selector.
   */
  static boolean accepts(
      Config parent, String namespace, Map<String, Map<String, String>> namespaces) {
    GatewaySpec spec = parent.spec(GatewaySpec.class);
    if (!spec.hasAllowedListeners() || !spec.getAllowedListeners().hasNamespaces()) {
      return false;
    }
    AllowedListeners allowed = spec.getAllowedListeners();
    var from = allowed.getNamespaces();
    if (from.hasFrom()) {
      return switch (from.getFrom()) {
        case "All" -> true;
        case "Same" -> namespace.equals(parent.namespace());
        default -> false; // None, or unknown
      };
    }
    if (!from.hasSelector()) {
      return false;
    }
    Predicate<Map<String, String>> selector = LabelSelectors.of(from.getSelector());
    Map<String, String> labels = namespaces.get(namespace);
    if (selector == null || labels == null) {
      return false;
    }
    return selector.test(Listeners.withNameLabel(namespace, labels));
  }

  private boolean accepts(Config parent, String namespace) {
    return accepts(parent, namespace, in.namespaces());
  }

  /** The status of a set its parent will not take: both conditions False, no listeners. */
  private Translated refused(Config set, String parent, ListenerSetStatus current, String message) {
    StatusError error = new StatusError(NOT_ALLOWED, message);
    Map<String, Conditions.Want> conditions = new LinkedHashMap<>();
    conditions.put("Accepted", Conditions.Want.ok("Accepted", "").failing(error));
    conditions.put("Programmed", Conditions.Want.ok("Programmed", "").failing(error));
    ListenerSetStatus status =
        current.toBuilder()
            .clearListeners()
            .clearConditions()
            .addAllConditions(
                Conditions.apply(
                    set.meta().generation(),
                    current.getConditionsList(),
                    conditions,
                    gateways.now()))
            .build();
    return new Translated(set, parent, List.of(), status);
  }

  /**
   * The set's own conditions ({@code reportListenerSetStatus}): accepted unless its parent's
   * addresses are not, programmed when the parent's proxies serve its ports.
   */
  private ListenerSetStatus status(
      Config set,
      Config parent,
      ListenerSetStatus partial,
      GatewayServices services,
      List<Integer> ports) {
    GatewayInstances instances =
        GatewayInstances.resolve(in.registry(), parent.namespace(), services.hosts(), ports);
    Map<String, Conditions.Want> conditions = new LinkedHashMap<>();
    Conditions.Want accepted = Conditions.Want.ok("Accepted", "Resource accepted");
    StatusError error = services.error();
    conditions.put(
        "Accepted",
        error == null
            ? accepted
            : accepted.failing(
                new StatusError(error.reason(), "Parent not accepted: " + error.message())));
    conditions.put("Programmed", Gateways.programmed(services, instances));
    return partial.toBuilder()
        .clearConditions()
        .addAllConditions(
            Conditions.apply(
                set.meta().generation(), partial.getConditionsList(), conditions, gateways.now()))
        .build();
  }
}

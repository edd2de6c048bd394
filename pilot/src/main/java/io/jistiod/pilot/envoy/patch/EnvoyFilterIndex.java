package io.jistiod.pilot.envoy.patch;

import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.jistiod.galley.api.networking.v1alpha3.EnvoyFilter;
import io.jistiod.galley.api.networking.v1alpha3.EnvoyFilter.ApplyTo;
import io.jistiod.galley.api.networking.v1alpha3.EnvoyFilter.EnvoyConfigObjectMatch;
import io.jistiod.galley.api.networking.v1alpha3.EnvoyFilter.Patch.Operation;
import io.jistiod.galley.api.networking.v1alpha3.EnvoyFilter.PatchContext;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.model.PolicyAttachment;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A push's EnvoyFilters, their patch values converted once, by namespace. A proxy gets those of the
 * root namespace and of its own namespace that select it (workloadSelector, or targetRefs naming
 * its Gateway API gateway), in istiod's order: priority, then root namespace first, then creation
 * time, then name; their patches that match its version and metadata, in that order (istiod's
 * {@code PushContext.EnvoyFilters}).
 *
 * <p>A patch whose value does not convert (an unknown {@code @type}, a field of the wrong type) is
 * left out with one log line naming it; the EnvoyFilter's other patches still apply.
 */
public final class EnvoyFilterIndex {
  private static final Logger LOG = LoggerFactory.getLogger(EnvoyFilterIndex.class);

  /** No EnvoyFilter at all: what a push without any (or a test) uses. */
  public static final EnvoyFilterIndex EMPTY = new EnvoyFilterIndex("", List.of(), null);

  /** One EnvoyFilter with its converted patches. */
  record Converted(Config config, List<Patch> patches) {}

  private final String rootNamespace;
  private final Map<String, List<Converted>> byNamespace;

  /**
   * @param previous the index of the previous push: an EnvoyFilter whose config object is the same
   *     keeps its converted patches (and is not logged about again)
   */
  public EnvoyFilterIndex(String rootNamespace, List<Config> filters, EnvoyFilterIndex previous) {
    this.rootNamespace = rootNamespace;
    Map<Config, Converted> reuse = new java.util.IdentityHashMap<>();
    if (previous != null) {
      previous.byNamespace.values().forEach(l -> l.forEach(c -> reuse.put(c.config(), c)));
    }
    Map<String, List<Converted>> m = new HashMap<>();
    for (Config c : filters) {
      Converted conv = reuse.get(c);
      if (conv == null) {
        conv = new Converted(c, convert(c));
      }
      m.computeIfAbsent(c.namespace(), k -> new ArrayList<>()).add(conv);
    }
    m.replaceAll((k, v) -> List.copyOf(v));
    this.byNamespace = Map.copyOf(m);
  }

  /** The index of {@code push} (registered when the push context was built; else empty). */
  public static EnvoyFilterIndex of(PushContext push) {
    return push.index(EnvoyFilterIndex.class, p -> EMPTY);
  }

  /** Whether there is no EnvoyFilter at all (the common case: nothing to patch). */
  public boolean isEmpty() {
    return byNamespace.isEmpty();
  }

  /** The patches that apply to {@code proxy}, in the order they apply. */
  public PatchSet patchesFor(Proxy proxy) {
    if (byNamespace.isEmpty()) {
      return PatchSet.EMPTY;
    }
    List<Converted> selected = new ArrayList<>();
    if (!rootNamespace.isEmpty()) {
      selectInto(selected, rootNamespace, proxy);
    }
    if (!proxy.configNamespace().equals(rootNamespace)) {
      selectInto(selected, proxy.configNamespace(), proxy);
    }
    if (selected.isEmpty()) {
      return PatchSet.EMPTY;
    }
    selected.sort(order());
    Map<ApplyTo, List<Patch>> out = new EnumMap<>(ApplyTo.class);
    for (Converted c : selected) {
      for (Patch p : c.patches()) {
        if (p.matchesProxy(proxy)) {
          out.computeIfAbsent(p.applyTo(), k -> new ArrayList<>()).add(p);
        }
      }
    }
    return new PatchSet(out);
  }

  private Comparator<Converted> order() {
    return Comparator.comparingInt(
            (Converted c) -> c.config().spec(EnvoyFilter.class).getPriority())
        .thenComparing(c -> !c.config().namespace().equals(rootNamespace))
        .thenComparing(c -> c.config().meta().creationTimestamp())
        .thenComparing(c -> c.config().name() + "." + c.config().namespace());
  }

  private void selectInto(List<Converted> out, String namespace, Proxy proxy) {
    for (Converted c : byNamespace.getOrDefault(namespace, List.of())) {
      if (selects(c.config(), proxy)) {
        out.add(c);
      }
    }
  }

  /** istiod's policy attachment: workloadSelector, or for a Gateway API gateway its targetRefs. */
  static boolean selects(Config c, Proxy proxy) {
    EnvoyFilter ef = c.spec(EnvoyFilter.class);
    return PolicyAttachment.attaches(
        c.namespace(),
        ef.getTargetRefsList(),
        ef.hasWorkloadSelector() ? ef.getWorkloadSelector().getLabelsMap() : null,
        proxy.metadata().labels(),
        proxy.configNamespace(),
        proxy.type() == Proxy.NodeType.WAYPOINT);
  }

  /** The EnvoyFilter's patches with their values converted; those that do not convert left out. */
  static List<Patch> convert(Config c) {
    EnvoyFilter ef = c.spec(EnvoyFilter.class);
    String name = c.namespace() + "/" + c.name();
    List<Patch> out = new ArrayList<>();
    for (int i = 0; i < ef.getConfigPatchesCount(); i++) {
      var cp = ef.getConfigPatches(i);
      if (!cp.hasPatch()) {
        continue;
      }
      Operation op = cp.getPatch().getOperation();
      if ((op == Operation.INSERT_AFTER
              || op == Operation.INSERT_BEFORE
              || op == Operation.INSERT_FIRST)
          && cp.getApplyTo() != ApplyTo.HTTP_FILTER
          && cp.getApplyTo() != ApplyTo.NETWORK_FILTER
          && cp.getApplyTo() != ApplyTo.HTTP_ROUTE
          && cp.getApplyTo() != ApplyTo.LISTENER_FILTER) {
        op = Operation.ADD; // istiod reads an insert into a non-list as an add
      }
      EnvoyConfigObjectMatch match =
          cp.hasMatch()
              ? cp.getMatch()
              : EnvoyConfigObjectMatch.newBuilder().setContext(PatchContext.ANY).build();
      Patch draft = new Patch(name, i, cp.getApplyTo(), op, match, null, null);
      try {
        Message value =
            cp.getPatch().hasValue() ? value(cp.getApplyTo(), cp.getPatch().getValue()) : null;
        Pattern version = null;
        if (match.hasProxy() && !match.getProxy().getProxyVersion().isEmpty()) {
          version = Pattern.compile(match.getProxy().getProxyVersion());
        }
        out.add(new Patch(name, i, cp.getApplyTo(), op, match, value, version));
      } catch (IllegalArgumentException e) {
        LOG.warn("{} skipped: {}", draft.describe(), e.getMessage());
      }
    }
    return List.copyOf(out);
  }

  /**
   * The patch value as the Envoy type {@code applyTo} names, read from its JSON form as istiod
   * reads it: unknown fields ignored (the value may be written for another Envoy version), every
   * {@code @type} resolved to a class of the Envoy API.
   *
   * @throws IllegalArgumentException naming the reason it does not convert
   */
  static Message value(ApplyTo applyTo, com.google.protobuf.Struct value) {
    Message.Builder b =
        switch (applyTo) {
          case CLUSTER -> Cluster.newBuilder();
          case LISTENER -> Listener.newBuilder();
          case ROUTE_CONFIGURATION -> RouteConfiguration.newBuilder();
          case FILTER_CHAIN -> FilterChain.newBuilder();
          case HTTP_FILTER -> HttpFilter.newBuilder();
          case NETWORK_FILTER -> Filter.newBuilder();
          case VIRTUAL_HOST -> VirtualHost.newBuilder();
          case HTTP_ROUTE -> Route.newBuilder();
          case EXTENSION_CONFIG -> TypedExtensionConfig.newBuilder();
          case BOOTSTRAP -> Bootstrap.newBuilder();
          case LISTENER_FILTER -> ListenerFilter.newBuilder();
          default ->
              throw new IllegalArgumentException("unknown object type for applyTo " + applyTo);
        };
    try {
      String json = JsonFormat.printer().print(value);
      JsonFormat.parser()
          .ignoringUnknownFields()
          .usingTypeRegistry(EnvoyTypes.registryFor(value))
          .merge(json, b);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(
          "value is not a valid " + b.getDescriptorForType().getFullName() + ": " + e.getMessage());
    }
    return b.build();
  }
}

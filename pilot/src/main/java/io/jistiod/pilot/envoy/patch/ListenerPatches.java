package io.jistiod.pilot.envoy.patch;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.jistiod.galley.api.networking.v1alpha3.EnvoyFilter.ApplyTo;
import io.jistiod.galley.api.networking.v1alpha3.EnvoyFilter.ListenerMatch;
import io.jistiod.galley.api.networking.v1alpha3.EnvoyFilter.Patch.Operation;
import io.jistiod.galley.api.networking.v1alpha3.EnvoyFilter.PatchContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * EnvoyFilter patches on listeners, as istiod applies them (its {@code ApplyListenerPatches}): per
 * listener, the LISTENER merges and removes, then its listener filters, then each filter chain
 * (FILTER_CHAIN merges and removes, then its network filters, then for an HTTP connection manager
 * its HTTP filters), then the FILTER_CHAIN adds. LISTENER adds are {@link #added}; where they go
 * among the listeners is the caller's business.
 */
public final class ListenerPatches {
  static final String VIRTUAL_INBOUND = "virtualInbound";
  static final String VIRTUAL_OUTBOUND = "virtualOutbound";
  static final String HCM = "envoy.filters.network.http_connection_manager";

  private ListenerPatches() {}

  /**
   * {@code listener} with the patches of {@code context} applied; null if a patch removes it.
   *
   * @param inlineRoutes whether route configurations inline in its HTTP connection managers get the
   *     ROUTE_CONFIGURATION, VIRTUAL_HOST and HTTP_ROUTE patches first (a sidecar's inbound ones:
   *     istiod patches them as it builds them)
   */
  public static Listener patch(
      PatchContext context, PatchSet patches, Listener listener, boolean inlineRoutes) {
    Listener.Builder l = listener.toBuilder();
    if (inlineRoutes
        && patches.hasAny(ApplyTo.ROUTE_CONFIGURATION, ApplyTo.VIRTUAL_HOST, ApplyTo.HTTP_ROUTE)) {
      patchInlineRoutes(context, patches, l);
    }
    for (Patch p : patches.get(ApplyTo.LISTENER)) {
      if (!p.inContext(context) || !listenerMatch(l, p)) {
        continue;
      }
      if (p.operation() == Operation.REMOVE) {
        return null;
      }
      if (p.operation() == Operation.MERGE) {
        l = merge(p, "listener " + l.getName(), l.build()).toBuilder();
      }
    }
    patchListenerFilters(context, patches, l);
    patchFilterChains(context, patches, l);
    return l.build();
  }

  /**
   * The listeners LISTENER ADD patches add in {@code context}; one without a context only adds to
   * sidecar outbound and gateway listeners.
   */
  public static List<Listener> added(PatchContext context, PatchSet patches) {
    List<Listener> out = new ArrayList<>();
    for (Patch p : patches.get(ApplyTo.LISTENER)) {
      if (p.operation() != Operation.ADD || !addsIn(p, context)) {
        continue;
      }
      out.add((Listener) p.value());
    }
    return out;
  }

  static boolean addsIn(Patch p, PatchContext context) {
    if (p.match().getContext() == PatchContext.ANY
        && context != PatchContext.SIDECAR_OUTBOUND
        && context != PatchContext.GATEWAY) {
      return false;
    }
    return p.inContext(context);
  }

  private static <T extends com.google.protobuf.Message> T merge(Patch p, String where, T dst) {
    try {
      return ProtoMerge.merge(dst, p.value());
    } catch (IllegalArgumentException e) {
      PatchErrors.skipped(p, where, e.getMessage());
      return dst;
    }
  }

  private static void patchInlineRoutes(
      PatchContext context, PatchSet patches, Listener.Builder l) {
    for (FilterChain.Builder fc : l.getFilterChainsBuilderList()) {
      for (Filter.Builder f : fc.getFiltersBuilderList()) {
        if (!f.getName().equals(HCM) || !f.hasTypedConfig()) {
          continue;
        }
        try {
          HttpConnectionManager hcm = f.getTypedConfig().unpack(HttpConnectionManager.class);
          if (hcm.hasRouteConfig()) {
            var rc = RoutePatches.patch(context, patches, hcm.getRouteConfig(), Map.of());
            f.setTypedConfig(Any.pack(hcm.toBuilder().setRouteConfig(rc).build()));
          }
        } catch (InvalidProtocolBufferException e) {
          // not an HCM after all: nothing to patch
        }
      }
    }
  }

  // --- matching -------------------------------------------------------------------------------

  private static boolean isVirtual(Listener.Builder l) {
    return l.getName().equals(VIRTUAL_INBOUND) || l.getName().equals(VIRTUAL_OUTBOUND);
  }

  static boolean listenerMatch(Listener.Builder l, Patch p) {
    if (!p.match().hasListener()) {
      return true;
    }
    ListenerMatch m = p.match().getListener();
    if (!m.getName().isEmpty() && !m.getName().equals(l.getName())) {
      return false;
    }
    // on the virtual listeners a port names a filter chain's destination port, not the listener's
    if (p.applyTo() != ApplyTo.LISTENER && isVirtual(l)) {
      return true;
    }
    if (m.getPortNumber() != 0) {
      return l.getAddress().hasSocketAddress()
          && l.getAddress().getSocketAddress().getPortValue() == m.getPortNumber();
    }
    return true;
  }

  static boolean filterChainMatch(Listener.Builder l, FilterChain.Builder fc, Patch p) {
    if (!p.match().hasListener()) {
      return true;
    }
    ListenerMatch m = p.match().getListener();
    var fcm = fc.getFilterChainMatch();
    if (isVirtual(l)
        && m.getPortNumber() > 0
        && fcm.getDestinationPort().getValue() != m.getPortNumber()) {
      return false;
    }
    if (!m.hasFilterChain()) {
      return true;
    }
    var want = m.getFilterChain();
    if (!want.getName().isEmpty() && !want.getName().equals(fc.getName())) {
      return false;
    }
    if (!want.getSni().isEmpty() && !fcm.getServerNamesList().contains(want.getSni())) {
      return false;
    }
    if (!want.getTransportProtocol().isEmpty()
        && !want.getTransportProtocol().equals(fcm.getTransportProtocol())) {
      return false;
    }
    if (!want.getApplicationProtocols().isEmpty()) {
      if (!fc.hasFilterChainMatch()) {
        return false;
      }
      for (String proto : want.getApplicationProtocols().split(",", -1)) {
        if (!fcm.getApplicationProtocolsList().contains(proto)) {
          return false;
        }
      }
    }
    return want.getDestinationPort() == 0
        || (fcm.hasDestinationPort()
            && fcm.getDestinationPort().getValue() == want.getDestinationPort());
  }

  private static boolean hasListenerFilterMatch(Patch p) {
    return p.match().hasListener() && !p.match().getListener().getListenerFilter().isEmpty();
  }

  private static boolean hasNetworkFilterMatch(Patch p) {
    return p.match().hasListener()
        && p.match().getListener().hasFilterChain()
        && p.match().getListener().getFilterChain().hasFilter();
  }

  private static boolean networkFilterMatch(String name, Patch p) {
    return !hasNetworkFilterMatch(p)
        || p.match().getListener().getFilterChain().getFilter().getName().equals(name);
  }

  private static boolean hasHttpFilterMatch(Patch p) {
    return hasNetworkFilterMatch(p)
        && p.match().getListener().getFilterChain().getFilter().hasSubFilter();
  }

  private static boolean httpFilterMatch(String name, Patch p) {
    return !hasHttpFilterMatch(p)
        || p.match()
            .getListener()
            .getFilterChain()
            .getFilter()
            .getSubFilter()
            .getName()
            .equals(name);
  }

  // --- listener filters -----------------------------------------------------------------------

  private static void patchListenerFilters(
      PatchContext context, PatchSet patches, Listener.Builder l) {
    List<Patch> ps = patches.get(ApplyTo.LISTENER_FILTER);
    if (ps.isEmpty()) {
      return;
    }
    List<ListenerFilter> filters = new ArrayList<>(l.getListenerFiltersList());
    for (Patch p : ps) {
      if (!p.inContext(context) || !listenerMatch(l, p)) {
        continue;
      }
      boolean named = hasListenerFilterMatch(p);
      String name = named ? p.match().getListener().getListenerFilter() : "";
      Predicate<ListenerFilter> match = f -> !named || f.getName().equals(name);
      ListenerFilter v = (ListenerFilter) p.value();
      switch (p.operation()) {
        case ADD -> filters.add(v);
        case INSERT_FIRST -> filters.add(0, v);
        case INSERT_AFTER -> {
          if (!named) {
            filters.add(v);
          } else {
            Lists.insertAfter(filters, match, v);
          }
        }
        case INSERT_BEFORE -> {
          if (!named) {
            filters.add(0, v);
          } else {
            Lists.insertBefore(filters, match, v);
          }
        }
        case REPLACE -> {
          if (named) {
            Lists.replace(filters, match, v);
          }
        }
        case REMOVE -> {
          if (named) {
            filters.removeIf(match);
          }
        }
        case MERGE -> {
          // only the named filters (istiod merges into every listener filter, whatever its type)
          if (named) {
            filters.replaceAll(f -> match.test(f) ? mergeListenerFilter(p, l, f) : f);
          }
        }
        default -> {}
      }
    }
    l.clearListenerFilters().addAllListenerFilters(filters);
  }

  private static ListenerFilter mergeListenerFilter(Patch p, Listener.Builder l, ListenerFilter f) {
    ListenerFilter user = (ListenerFilter) p.value();
    if (!f.hasTypedConfig() || !user.hasTypedConfig()) {
      return f;
    }
    try {
      return f.toBuilder()
          .setTypedConfig(ProtoMerge.mergeAny(f.getTypedConfig(), user.getTypedConfig()))
          .build();
    } catch (IllegalArgumentException e) {
      PatchErrors.skipped(
          p, "listener filter " + f.getName() + " of " + l.getName(), e.getMessage());
      return f;
    }
  }

  // --- filter chains --------------------------------------------------------------------------

  private static void patchFilterChains(
      PatchContext context, PatchSet patches, Listener.Builder l) {
    if (!patches.hasAny(ApplyTo.FILTER_CHAIN, ApplyTo.NETWORK_FILTER, ApplyTo.HTTP_FILTER)) {
      return;
    }
    List<FilterChain> chains = new ArrayList<>(l.getFilterChainsList());
    for (int i = 0; i < chains.size(); i++) {
      if (chains.get(i).getFiltersCount() > 0) {
        chains.set(i, patchFilterChain(context, patches, l, chains.get(i)));
      }
    }
    if (l.hasDefaultFilterChain() && l.getDefaultFilterChain().getFiltersCount() > 0) {
      FilterChain d = patchFilterChain(context, patches, l, l.getDefaultFilterChain());
      if (d == null) {
        l.clearDefaultFilterChain();
      } else {
        l.setDefaultFilterChain(d);
      }
    }
    for (Patch p : patches.get(ApplyTo.FILTER_CHAIN)) {
      if (p.operation() == Operation.ADD && p.inContext(context) && listenerMatch(l, p)) {
        chains.add((FilterChain) p.value());
      }
    }
    chains.removeIf(java.util.Objects::isNull);
    l.clearFilterChains().addAllFilterChains(chains);
  }

  /** The chain patched; null if a patch removes it. */
  private static FilterChain patchFilterChain(
      PatchContext context, PatchSet patches, Listener.Builder l, FilterChain chain) {
    FilterChain.Builder fc = chain.toBuilder();
    for (Patch p : patches.get(ApplyTo.FILTER_CHAIN)) {
      if (!p.inContext(context) || !listenerMatch(l, p) || !filterChainMatch(l, fc, p)) {
        continue;
      }
      if (p.operation() == Operation.REMOVE) {
        return null;
      }
      if (p.operation() == Operation.MERGE && !mergeTransportSocket(p, l, fc)) {
        fc = merge(p, "a filter chain of " + l.getName(), fc.build()).toBuilder();
      }
    }
    patchNetworkFilters(context, patches, l, fc);
    return fc.build();
  }

  /**
   * A chain MERGE whose value has a transport socket of the chain's socket's name merges only the
   * two sockets' typed configs (istiod's {@code mergeTransportSocketListener}); true if it did.
   */
  private static boolean mergeTransportSocket(Patch p, Listener.Builder l, FilterChain.Builder fc) {
    FilterChain v = (FilterChain) p.value();
    if (!v.hasTransportSocket()
        || !fc.hasTransportSocket()
        || !v.getTransportSocket().getName().equals(fc.getTransportSocket().getName())) {
      return false;
    }
    if (fc.getTransportSocket().hasTypedConfig() && v.getTransportSocket().hasTypedConfig()) {
      try {
        fc.getTransportSocketBuilder()
            .setTypedConfig(
                ProtoMerge.mergeAny(
                    fc.getTransportSocket().getTypedConfig(),
                    v.getTransportSocket().getTypedConfig()));
      } catch (IllegalArgumentException e) {
        PatchErrors.skipped(p, "a filter chain of " + l.getName(), e.getMessage());
      }
    }
    return true;
  }

  private static void patchNetworkFilters(
      PatchContext context, PatchSet patches, Listener.Builder l, FilterChain.Builder fc) {
    List<Filter> filters = new ArrayList<>(fc.getFiltersList());
    for (Patch p : patches.get(ApplyTo.NETWORK_FILTER)) {
      if (!p.inContext(context) || !listenerMatch(l, p) || !filterChainMatch(l, fc, p)) {
        continue;
      }
      boolean named = hasNetworkFilterMatch(p);
      Predicate<Filter> match = f -> networkFilterMatch(f.getName(), p);
      Filter v = (Filter) p.value();
      insertOrRemove(p.operation(), named, filters, match, v);
    }
    for (int i = 0; i < filters.size(); i++) {
      filters.set(i, patchNetworkFilter(context, patches, l, fc, filters.get(i)));
    }
    fc.clearFilters().addAllFilters(filters);
  }

  /** The list operations network and HTTP filters share. */
  private static <E> void insertOrRemove(
      Operation op, boolean named, List<E> list, Predicate<E> match, E v) {
    switch (op) {
      case ADD -> list.add(v);
      case INSERT_FIRST -> list.add(0, v);
      case INSERT_AFTER -> {
        if (!named) {
          list.add(v);
        } else {
          Lists.insertAfter(list, match, v);
        }
      }
      case INSERT_BEFORE -> {
        if (!named) {
          list.add(0, v);
        } else {
          Lists.insertBefore(list, match, v);
        }
      }
      case REPLACE -> {
        if (named) {
          Lists.replace(list, match, v);
        }
      }
      case REMOVE -> {
        if (named) {
          list.removeIf(match);
        }
      }
      default -> {}
    }
  }

  private static Filter patchNetworkFilter(
      PatchContext context,
      PatchSet patches,
      Listener.Builder l,
      FilterChain.Builder fc,
      Filter filter) {
    Filter.Builder f = filter.toBuilder();
    for (Patch p : patches.get(ApplyTo.NETWORK_FILTER)) {
      if (p.operation() != Operation.MERGE
          || !p.inContext(context)
          || !listenerMatch(l, p)
          || !filterChainMatch(l, fc, p)
          || !networkFilterMatch(f.getName(), p)
          // istiod merges only into filters with a typed config
          || !f.hasTypedConfig()) {
        continue;
      }
      Filter user = (Filter) p.value();
      if (user.hasTypedConfig()) {
        try {
          f.setTypedConfig(ProtoMerge.mergeAny(f.getTypedConfig(), user.getTypedConfig()));
        } catch (IllegalArgumentException e) {
          PatchErrors.skipped(p, "filter " + f.getName() + " of " + l.getName(), e.getMessage());
        }
      }
      if (!user.getName().isEmpty()) {
        f.setName(user.getName());
      }
    }
    if (f.getName().equals(HCM)) {
      patchHttpFilters(context, patches, l, fc, f);
    }
    return f.build();
  }

  private static void patchHttpFilters(
      PatchContext context,
      PatchSet patches,
      Listener.Builder l,
      FilterChain.Builder fc,
      Filter.Builder f) {
    List<Patch> ps = patches.get(ApplyTo.HTTP_FILTER);
    if (ps.isEmpty() || !f.hasTypedConfig()) {
      return;
    }
    HttpConnectionManager hcm;
    try {
      hcm = f.getTypedConfig().unpack(HttpConnectionManager.class);
    } catch (InvalidProtocolBufferException e) {
      return;
    }
    List<HttpFilter> filters = new ArrayList<>(hcm.getHttpFiltersList());
    List<Patch> matching = new ArrayList<>();
    for (Patch p : ps) {
      if (!p.inContext(context)
          || !listenerMatch(l, p)
          || !filterChainMatch(l, fc, p)
          || !networkFilterMatch(f.getName(), p)) {
        continue;
      }
      matching.add(p);
      Predicate<HttpFilter> match = h -> httpFilterMatch(h.getName(), p);
      insertOrRemove(p.operation(), hasHttpFilterMatch(p), filters, match, (HttpFilter) p.value());
    }
    if (matching.isEmpty()) {
      return;
    }
    for (int i = 0; i < filters.size(); i++) {
      filters.set(i, mergeHttpFilter(matching, l, filters.get(i)));
    }
    f.setTypedConfig(
        Any.pack(hcm.toBuilder().clearHttpFilters().addAllHttpFilters(filters).build()));
  }

  private static HttpFilter mergeHttpFilter(
      List<Patch> matching, Listener.Builder l, HttpFilter h) {
    HttpFilter.Builder b = h.toBuilder();
    for (Patch p : matching) {
      if (p.operation() != Operation.MERGE
          || !httpFilterMatch(b.getName(), p)
          || !b.hasTypedConfig()) {
        continue;
      }
      HttpFilter user = (HttpFilter) p.value();
      if (user.hasTypedConfig()) {
        try {
          b.setTypedConfig(ProtoMerge.mergeAny(b.getTypedConfig(), user.getTypedConfig()));
        } catch (IllegalArgumentException e) {
          PatchErrors.skipped(
              p, "HTTP filter " + b.getName() + " of " + l.getName(), e.getMessage());
        }
      }
      if (!user.getName().isEmpty()) {
        b.setName(user.getName());
      }
    }
    return b.build();
  }
}

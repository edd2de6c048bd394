package io.jistiod.pilot.push;

import io.jistiod.galley.api.networking.v1alpha3.Destination;
import io.jistiod.galley.api.networking.v1alpha3.HTTPMatchRequest;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRoute;
import io.jistiod.galley.api.networking.v1alpha3.StringMatch;
import io.jistiod.galley.api.networking.v1alpha3.VirtualService;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.model.ExportTo;
import io.jistiod.pilot.model.Hosts;
import io.jistiod.pilot.push.PushContext.ResolvedVirtualService;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * VirtualService delegation as istiod resolves it before routing: a root VirtualService's rule with
 * {@code delegate} is replaced by the delegate's rules (a VirtualService without hosts), each match
 * narrowed by the root rule's match; a delegate rule whose match contradicts the root's is dropped,
 * and so is a rule whose delegate is missing or not exported to the root's namespace. Delegates
 * themselves route nothing. Run once per push, when the {@link VirtualServiceIndex} is built, as
 * istiod merges at push-context initialisation.
 */
final class DelegateVirtualServices {
  private DelegateVirtualServices() {}

  /**
   * @param meshDefault MeshConfig {@code defaultVirtualServiceExportTo}, for delegates without
   *     exportTo
   */
  static List<ResolvedVirtualService> merge(
      List<ResolvedVirtualService> all, String domainSuffix, List<String> meshDefault) {
    boolean anyRoot = false;
    Map<String, Config> delegates = new HashMap<>();
    for (ResolvedVirtualService vs : all) {
      VirtualService spec = vs.spec();
      if (spec.getHostsCount() == 0) {
        delegates.put(vs.config().namespace() + "/" + vs.config().name(), vs.config());
      } else if (spec.getHttpList().stream().anyMatch(HTTPRoute::hasDelegate)) {
        anyRoot = true;
      }
    }
    if (!anyRoot && delegates.isEmpty()) {
      return all;
    }
    List<ResolvedVirtualService> out = new ArrayList<>();
    for (ResolvedVirtualService vs : all) {
      VirtualService spec = vs.spec();
      if (spec.getHostsCount() == 0) {
        continue;
      }
      if (spec.getHttpList().stream().noneMatch(HTTPRoute::hasDelegate)) {
        out.add(vs);
        continue;
      }
      String rootNs = vs.config().namespace();
      List<HTTPRoute> merged = new ArrayList<>();
      for (HTTPRoute rule : spec.getHttpList()) {
        if (!rule.hasDelegate()) {
          merged.add(rule);
          continue;
        }
        String ns =
            rule.getDelegate().getNamespace().isEmpty()
                ? rootNs
                : rule.getDelegate().getNamespace();
        Config delegate = delegates.get(ns + "/" + rule.getDelegate().getName());
        if (delegate == null
            || !ExportTo.of(delegate.spec(VirtualService.class).getExportToList(), meshDefault)
                .visibleTo(delegate.namespace(), rootNs)) {
          continue; // istiod drops just this rule
        }
        HTTPRoute root = rule.toBuilder().clearDelegate().build();
        for (HTTPRoute leaf : delegate.spec(VirtualService.class).getHttpList()) {
          HTTPRoute m = mergeRoute(root, qualify(leaf, delegate.namespace(), domainSuffix));
          if (m != null) {
            merged.add(m);
          }
        }
      }
      VirtualService newSpec = spec.toBuilder().clearHttp().addAllHttp(merged).build();
      out.add(new ResolvedVirtualService(new Config(vs.config().meta(), newSpec), vs.hosts()));
    }
    return out;
  }

  /** The delegate's destinations written out in its own namespace, which the root's is not. */
  private static HTTPRoute qualify(HTTPRoute leaf, String namespace, String domainSuffix) {
    HTTPRoute.Builder b = leaf.toBuilder();
    for (var d : b.getRouteBuilderList()) {
      d.setDestination(qualify(d.getDestination(), namespace, domainSuffix));
    }
    if (b.hasMirror()) {
      b.setMirror(qualify(b.getMirror(), namespace, domainSuffix));
    }
    for (var m : b.getMirrorsBuilderList()) {
      m.setDestination(qualify(m.getDestination(), namespace, domainSuffix));
    }
    return b.build();
  }

  private static Destination qualify(Destination d, String namespace, String domainSuffix) {
    return d.toBuilder()
        .setHost(Hosts.resolveShortName(d.getHost(), namespace, domainSuffix))
        .build();
  }

  /** The delegate rule under the root rule: root settings fill what the delegate leaves unset. */
  private static HTTPRoute mergeRoute(HTTPRoute root, HTTPRoute leaf) {
    List<HTTPMatchRequest> matches = mergeMatches(root.getMatchList(), leaf.getMatchList());
    if (matches == null) {
      return null;
    }
    HTTPRoute.Builder out = leaf.toBuilder().clearMatch().addAllMatch(matches);
    out.setName(joinNames(root.getName(), leaf.getName()));
    if (!leaf.hasRewrite() && root.hasRewrite()) out.setRewrite(root.getRewrite());
    if (!leaf.hasDirectResponse() && root.hasDirectResponse())
      out.setDirectResponse(root.getDirectResponse());
    if (!leaf.hasTimeout() && root.hasTimeout()) out.setTimeout(root.getTimeout());
    if (!leaf.hasRetries() && root.hasRetries()) out.setRetries(root.getRetries());
    if (!leaf.hasFault() && root.hasFault()) out.setFault(root.getFault());
    if (!leaf.hasMirror() && root.hasMirror()) out.setMirror(root.getMirror());
    if (!leaf.hasMirrorPercent() && root.hasMirrorPercent())
      out.setMirrorPercent(root.getMirrorPercent());
    if (!leaf.hasMirrorPercentage() && root.hasMirrorPercentage()) {
      out.setMirrorPercentage(root.getMirrorPercentage());
    }
    if (!leaf.hasCorsPolicy() && root.hasCorsPolicy()) out.setCorsPolicy(root.getCorsPolicy());
    if (leaf.getMirrorsCount() == 0) out.addAllMirrors(root.getMirrorsList());
    if (!leaf.hasHeaders() && root.hasHeaders()) out.setHeaders(root.getHeaders());
    return out.build();
  }

  private static String joinNames(String root, String leaf) {
    if (leaf.isEmpty()) {
      return root;
    }
    return root.isEmpty() ? leaf : root + "-" + leaf;
  }

  /** Every delegate match must fit some root match; null on a conflict. */
  private static List<HTTPMatchRequest> mergeMatches(
      List<HTTPMatchRequest> root, List<HTTPMatchRequest> leaf) {
    if (root.isEmpty()) {
      return leaf;
    }
    if (leaf.isEmpty()) {
      return root;
    }
    List<HTTPMatchRequest> out = new ArrayList<>();
    for (HTTPMatchRequest sub : leaf) {
      boolean found = false;
      for (HTTPMatchRequest r : root) {
        if (!conflicts(r, sub)) {
          out.add(mergeMatch(r, sub));
          found = true;
        }
      }
      if (!found) {
        return null;
      }
    }
    return out.isEmpty() ? null : out;
  }

  private static HTTPMatchRequest mergeMatch(HTTPMatchRequest root, HTTPMatchRequest leaf) {
    HTTPMatchRequest.Builder out = leaf.toBuilder();
    out.setName(joinNames(root.getName(), leaf.getName()));
    if (!leaf.hasUri() && root.hasUri()) out.setUri(root.getUri());
    if (!leaf.hasScheme() && root.hasScheme()) out.setScheme(root.getScheme());
    if (!leaf.hasMethod() && root.hasMethod()) out.setMethod(root.getMethod());
    if (!leaf.hasAuthority() && root.hasAuthority()) out.setAuthority(root.getAuthority());
    out.clearHeaders().putAllHeaders(root.getHeadersMap()).putAllHeaders(leaf.getHeadersMap());
    out.clearWithoutHeaders()
        .putAllWithoutHeaders(root.getWithoutHeadersMap())
        .putAllWithoutHeaders(leaf.getWithoutHeadersMap());
    out.clearQueryParams()
        .putAllQueryParams(root.getQueryParamsMap())
        .putAllQueryParams(leaf.getQueryParamsMap());
    if (leaf.getPort() == 0) out.setPort(root.getPort());
    out.clearSourceLabels()
        .putAllSourceLabels(root.getSourceLabelsMap())
        .putAllSourceLabels(leaf.getSourceLabelsMap());
    if (leaf.getSourceNamespace().isEmpty()) out.setSourceNamespace(root.getSourceNamespace());
    if (leaf.getGatewaysCount() == 0) out.addAllGateways(root.getGatewaysList());
    if (leaf.getStatPrefix().isEmpty()) out.setStatPrefix(root.getStatPrefix());
    return out.build();
  }

  private static boolean conflicts(HTTPMatchRequest root, HTTPMatchRequest leaf) {
    if (conflicts(root.hasUri() ? root.getUri() : null, leaf.hasUri() ? leaf.getUri() : null)
        || conflicts(
            root.hasScheme() ? root.getScheme() : null, leaf.hasScheme() ? leaf.getScheme() : null)
        || conflicts(
            root.hasMethod() ? root.getMethod() : null, leaf.hasMethod() ? leaf.getMethod() : null)
        || conflicts(
            root.hasAuthority() ? root.getAuthority() : null,
            leaf.hasAuthority() ? leaf.getAuthority() : null)) {
      return true;
    }
    for (var e : leaf.getHeadersMap().entrySet()) {
      if (conflicts(root.getHeadersMap().get(e.getKey()), e.getValue())) return true;
    }
    for (var e : leaf.getWithoutHeadersMap().entrySet()) {
      if (conflicts(root.getWithoutHeadersMap().get(e.getKey()), e.getValue())) return true;
    }
    for (var e : leaf.getQueryParamsMap().entrySet()) {
      if (conflicts(root.getQueryParamsMap().get(e.getKey()), e.getValue())) return true;
    }
    if (root.getIgnoreUriCase() != leaf.getIgnoreUriCase()) return true;
    if (root.getPort() > 0 && leaf.getPort() > 0 && root.getPort() != leaf.getPort()) return true;
    if (!root.getSourceNamespace().isEmpty()
        && !leaf.getSourceNamespace().equals(root.getSourceNamespace())) {
      return true;
    }
    for (var e : leaf.getSourceLabelsMap().entrySet()) {
      String v = root.getSourceLabelsMap().get(e.getKey());
      if (v != null && !v.equals(e.getValue())) return true;
    }
    if (root.getGatewaysCount() > 0 && leaf.getGatewaysCount() > 0) {
      return root.getGatewaysCount() < leaf.getGatewaysCount()
          || !root.getGatewaysList().containsAll(leaf.getGatewaysList());
    }
    return false;
  }

  /**
   * Whether a delegate's match cannot be a narrowing of the root's; a missing side never conflicts.
   */
  private static boolean conflicts(StringMatch root, StringMatch leaf) {
    if (root == null || leaf == null) {
      return false;
    }
    if (!root.getRegex().isEmpty()
        && (!leaf.getRegex().isEmpty()
            || !leaf.getPrefix().isEmpty()
            || !leaf.getExact().isEmpty())) {
      return true;
    }
    if (!leaf.getRegex().isEmpty()
        && (!root.getRegex().isEmpty()
            || !root.getPrefix().isEmpty()
            || !root.getExact().isEmpty())) {
      return true;
    }
    if (!root.getExact().isEmpty()) {
      return !leaf.getPrefix().isEmpty() || !leaf.getExact().equals(root.getExact());
    }
    if (!root.getPrefix().isEmpty()) {
      if (!leaf.getPrefix().isEmpty()) {
        return !leaf.getPrefix().startsWith(root.getPrefix());
      }
      if (!leaf.getExact().isEmpty()) {
        return !leaf.getExact().startsWith(root.getPrefix());
      }
    }
    return true;
  }
}

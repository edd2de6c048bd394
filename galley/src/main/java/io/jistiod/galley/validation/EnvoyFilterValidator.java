package io.jistiod.galley.validation;

import io.jistiod.galley.api.networking.v1alpha3.EnvoyFilter;
import io.jistiod.galley.api.networking.v1alpha3.EnvoyFilter.ApplyTo;
import io.jistiod.galley.api.networking.v1alpha3.EnvoyFilter.EnvoyConfigObjectMatch.ObjectTypesCase;
import io.jistiod.galley.api.networking.v1alpha3.EnvoyFilter.EnvoyConfigObjectPatch;
import io.jistiod.galley.api.networking.v1alpha3.EnvoyFilter.Patch.Operation;
import io.jistiod.galley.api.networking.v1alpha3.EnvoyFilter.PatchContext;
import io.jistiod.galley.config.Config;
import java.util.List;
import java.util.Map;

/**
 * Istio's rules for EnvoyFilter: each patch needs applyTo, an operation and (unless removing) a
 * value; the match must fit the kind of object patched; the proxy version regex must compile.
 * Checking the patch value against Envoy's own protos is not done here (see docs/validation.md).
 */
final class EnvoyFilterValidator implements ConfigValidator {
  /** Longer proxyVersion patterns are ignored by istiod, so they are only warned about. */
  static final int MAX_PROXY_VERSION_LENGTH = 1024;

  static final String HCM = "envoy.filters.network.http_connection_manager";

  /** Deprecated filter names and their canonical replacements. */
  private static final Map<String, String> DEPRECATED_FILTER_NAMES =
      Map.ofEntries(
          Map.entry("envoy.buffer", "envoy.filters.http.buffer"),
          Map.entry("envoy.cors", "envoy.filters.http.cors"),
          Map.entry("envoy.csrf", "envoy.filters.http.csrf"),
          Map.entry("envoy.http_dynamo_filter", "envoy.filters.http.dynamo"),
          Map.entry("envoy.ext_authz", "envoy.filters.http.ext_authz"),
          Map.entry("envoy.fault", "envoy.filters.http.fault"),
          Map.entry("envoy.grpc_http1_bridge", "envoy.filters.http.grpc_http1_bridge"),
          Map.entry("envoy.grpc_json_transcoder", "envoy.filters.http.grpc_json_transcoder"),
          Map.entry("envoy.grpc_web", "envoy.filters.http.grpc_web"),
          Map.entry("envoy.gzip", "envoy.filters.http.gzip"),
          Map.entry("envoy.health_check", "envoy.filters.http.health_check"),
          Map.entry("envoy.ip_tagging", "envoy.filters.http.ip_tagging"),
          Map.entry("envoy.lua", "envoy.filters.http.lua"),
          Map.entry("envoy.rate_limit", "envoy.filters.http.ratelimit"),
          Map.entry("envoy.router", "envoy.filters.http.router"),
          Map.entry("envoy.squash", "envoy.filters.http.squash"),
          Map.entry("envoy.listener.http_inspector", "envoy.filters.listener.http_inspector"),
          Map.entry("envoy.listener.original_dst", "envoy.filters.listener.original_dst"),
          Map.entry("envoy.listener.original_src", "envoy.filters.listener.original_src"),
          Map.entry("envoy.listener.proxy_protocol", "envoy.filters.listener.proxy_protocol"),
          Map.entry("envoy.listener.tls_inspector", "envoy.filters.listener.tls_inspector"),
          Map.entry("envoy.client_ssl_auth", "envoy.filters.network.client_ssl_auth"),
          Map.entry("envoy.http_connection_manager", HCM),
          Map.entry("envoy.mongo_proxy", "envoy.filters.network.mongo_proxy"),
          Map.entry("envoy.ratelimit", "envoy.filters.network.ratelimit"),
          Map.entry("envoy.redis_proxy", "envoy.filters.network.redis_proxy"),
          Map.entry("envoy.tcp_proxy", "envoy.filters.network.tcp_proxy"));

  @Override
  public List<ValidationMessage> validate(Config config) {
    EnvoyFilter ef = config.spec(EnvoyFilter.class);
    Findings f = new Findings();
    f.warning(
        "spec",
        "EnvoyFilter exposes internal implementation details that may change at any time; prefer"
            + " other APIs and take special care on upgrades");
    if (ef.hasWorkloadSelector()) {
      Labels.selector(
          true, ef.getWorkloadSelector().getLabelsMap(), "spec.workloadSelector", "labels", f);
    }
    for (int i = 0; i < ef.getConfigPatchesCount(); i++) {
      Deadline.check();
      patch(ef.getConfigPatches(i), "spec.configPatches[" + i + "]", f);
    }
    return f.messages();
  }

  private static void patch(EnvoyConfigObjectPatch cp, String path, Findings f) {
    if (cp.hasMatch() && cp.getMatch().getContext() == PatchContext.WAYPOINT) {
      return; // Istio does not validate waypoint patches yet.
    }
    if (cp.getApplyTo() == ApplyTo.INVALID) {
      f.error(path + ".applyTo", "applyTo is required");
      return;
    }
    if (!cp.hasPatch()) {
      f.error(path + ".patch", "patch is required");
      return;
    }
    if (cp.getPatch().getOperation() == Operation.INVALID) {
      f.error(path + ".patch.operation", "patch operation is required");
      return;
    }
    if (cp.getPatch().getOperation() != Operation.REMOVE && !cp.getPatch().hasValue()) {
      f.error(path + ".patch.value", "a patch value is required for every operation but REMOVE");
      return;
    }
    var match = cp.getMatch();
    String version = match.getProxy().getProxyVersion();
    if (!version.isEmpty()) {
      String where = path + ".match.proxy.proxyVersion";
      if (Regexes.tooLong(version)) {
        f.warning(
            where,
            "proxyVersion is longer than "
                + MAX_PROXY_VERSION_LENGTH
                + " characters and is ignored");
      } else {
        String problem = Regexes.goError(version);
        if (problem != null) {
          f.error(where, "invalid regex for proxy version, [" + problem + "]");
          return;
        }
      }
    }
    boolean typed =
        cp.hasMatch() && match.getObjectTypesCase() != ObjectTypesCase.OBJECTTYPES_NOT_SET;
    switch (cp.getApplyTo()) {
      case LISTENER:
      case FILTER_CHAIN:
      case NETWORK_FILTER:
      case HTTP_FILTER:
        if (typed) {
          listenerMatch(cp, path + ".match", f);
        }
        break;
      case ROUTE_CONFIGURATION:
      case VIRTUAL_HOST:
      case HTTP_ROUTE:
        if (typed && !match.hasRouteConfiguration()) {
          f.error(
              path + ".match", "applyTo " + cp.getApplyTo() + " needs a routeConfiguration match");
        }
        break;
      case CLUSTER:
        if (typed && !match.hasCluster()) {
          f.error(path + ".match", "applyTo CLUSTER needs a cluster match");
        }
        break;
      default:
        break;
    }
  }

  private static void listenerMatch(EnvoyConfigObjectPatch cp, String path, Findings f) {
    var match = cp.getMatch();
    if (!match.hasListener()) {
      f.error(path, "applyTo " + cp.getApplyTo() + " needs a listener match");
      return;
    }
    var listener = match.getListener();
    if (!listener.hasFilterChain() || !listener.getFilterChain().hasFilter()) {
      return;
    }
    var filter = listener.getFilterChain().getFilter();
    String fp = path + ".listener.filterChain.filter";
    ApplyTo applyTo = cp.getApplyTo();
    if (applyTo == ApplyTo.LISTENER || applyTo == ApplyTo.FILTER_CHAIN) {
      f.warning(fp, "a filter match has no effect with applyTo " + applyTo);
    }
    if (filter.getName().isEmpty()) {
      f.error(fp + ".name", "a filter match needs a name");
      return;
    }
    if (filter.hasSubFilter()) {
      if (applyTo != ApplyTo.HTTP_FILTER) {
        f.error(fp + ".subFilter", "a subFilter match works only with applyTo HTTP_FILTER");
        return;
      }
      if (!filter.getName().equals(HCM)
          && !filter.getName().equals("envoy.http_connection_manager")) {
        f.error(fp + ".name", "a subFilter match needs the filter match to be " + HCM);
        return;
      }
      if (filter.getSubFilter().getName().isEmpty()) {
        f.error(fp + ".subFilter.name", "a subFilter match needs a name");
        return;
      }
    }
    deprecatedName(filter.getName(), fp + ".name", f);
    deprecatedName(filter.getSubFilter().getName(), fp + ".subFilter.name", f);
  }

  private static void deprecatedName(String name, String path, Findings f) {
    String canonical = DEPRECATED_FILTER_NAMES.get(name);
    if (canonical != null) {
      f.warning(path, "filter name \"" + name + "\" is deprecated; use \"" + canonical + "\"");
    }
  }
}

package io.jistiod.pilot.security.authz;

import com.google.protobuf.Duration;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HttpUri;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.AuthorizationRequest;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.AuthorizationResponse;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.BufferSettings;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.HttpService;
import io.envoyproxy.envoy.type.matcher.v3.ListStringMatcher;
import io.envoyproxy.envoy.type.matcher.v3.MetadataMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.envoyproxy.envoy.type.v3.StatusCode;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig.ExtensionProvider;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig.ExtensionProvider.EnvoyExternalAuthorizationGrpcProvider;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig.ExtensionProvider.EnvoyExternalAuthorizationHttpProvider;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig.ExtensionProvider.EnvoyExternalAuthorizationRequestBody;
import io.jistiod.pilot.model.Service;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * MeshConfig {@code extensionProviders} of kind {@code envoyExtAuthzHttp}/{@code envoyExtAuthzGrpc}
 * resolved once per push into Envoy ext_authz filter configs, as istiod builds them. A provider
 * with errors is kept with its errors, so a CUSTOM policy naming it fails closed.
 */
final class ExtAuthzProviders {
  /** Prefix of the CUSTOM rules' names; ext_authz runs only when the shadow RBAC matched one. */
  static final String MATCH_PREFIX = "istio-ext-authz";

  static final String SHADOW_PREFIX = "istio_ext_authz_";

  /** A resolved provider: HTTP config always, TCP only for gRPC providers; or errors. */
  record Resolved(
      ExtAuthz http,
      io.envoyproxy.envoy.extensions.filters.network.ext_authz.v3.ExtAuthz tcp,
      List<String> errors) {}

  private final Map<String, Resolved> byName;

  private ExtAuthzProviders(Map<String, Resolved> byName) {
    this.byName = byName;
  }

  /**
   * @param services hostname -> service of the push (for cluster names)
   */
  static ExtAuthzProviders resolve(MeshConfig mesh, Function<String, Service> services) {
    Map<String, Resolved> out = new LinkedHashMap<>();
    int i = 0;
    for (ExtensionProvider p : mesh.getExtensionProvidersList()) {
      List<String> errs = new ArrayList<>();
      if (p.getName().isEmpty()) {
        errs.add("extension provider name must not be empty, found empty at index: " + i);
      } else if (out.containsKey(p.getName())) {
        errs.add("extension provider name must be unique, found duplicate: " + p.getName());
      }
      i++;
      Resolved r;
      switch (p.getProviderCase()) {
        case ENVOY_EXT_AUTHZ_HTTP:
          r = http(p.getEnvoyExtAuthzHttp(), services, errs);
          break;
        case ENVOY_EXT_AUTHZ_GRPC:
          r = grpc(p.getEnvoyExtAuthzGrpc(), services, errs);
          break;
        default:
          continue;
      }
      if (!errs.isEmpty()) {
        r = new Resolved(null, null, List.copyOf(errs));
      }
      out.put(p.getName(), r);
    }
    return new ExtAuthzProviders(out);
  }

  /**
   * The provider every CUSTOM policy of a workload names.
   *
   * @throws IllegalArgumentException when there is no usable single provider
   */
  Resolved forPolicies(List<String> providers) {
    if (byName.isEmpty()) {
      throw new IllegalArgumentException("extension provider is either invalid or undefined");
    }
    if (providers.isEmpty()) {
      throw new IllegalArgumentException("no provider specified in authorization policy");
    }
    for (String p : providers) {
      if (!p.equals(providers.get(0))) {
        throw new IllegalArgumentException(
            "only 1 provider can be used per workload, found multiple providers: " + providers);
      }
    }
    String name = providers.get(0);
    Resolved r = byName.get(name);
    if (r == null) {
      throw new IllegalArgumentException(
          "available providers are " + byName.keySet() + " but found \"" + name + "\"");
    }
    if (!r.errors().isEmpty()) {
      throw new IllegalArgumentException(
          "found errors in provider " + name + ": " + String.join("; ", r.errors()));
    }
    return r;
  }

  boolean has(String name) {
    return byName.containsKey(name);
  }

  private static Resolved http(
      EnvoyExternalAuthorizationHttpProvider c,
      Function<String, Service> services,
      List<String> errs) {
    String[] hc = lookup(c.getService(), c.getPort(), services, errs);
    HttpStatus status = status(c.getStatusOnError(), errs);
    if (!c.getPathPrefix().isEmpty() && !c.getPathPrefix().startsWith("/")) {
      errs.add("pathPrefix must begin with `/`, found: \"" + c.getPathPrefix() + "\"");
    }
    checkWildcard("IncludeRequestHeadersInCheck", c.getIncludeRequestHeadersInCheckList(), errs);
    checkWildcard("IncludeHeadersInCheck", c.getIncludeHeadersInCheckList(), errs);
    checkWildcard("HeadersToDownstreamOnDeny", c.getHeadersToDownstreamOnDenyList(), errs);
    checkWildcard("HeadersToDownstreamOnAllow", c.getHeadersToDownstreamOnAllowList(), errs);
    checkWildcard("HeadersToUpstreamOnAllow", c.getHeadersToUpstreamOnAllowList(), errs);
    if (!errs.isEmpty()) {
      return new Resolved(null, null, errs);
    }
    HttpService.Builder svc =
        HttpService.newBuilder()
            .setPathPrefix(c.getPathPrefix())
            .setServerUri(
                HttpUri.newBuilder()
                    .setUri("http://" + hc[0])
                    .setCluster(hc[1])
                    .setTimeout(c.hasTimeout() ? toEnvoy(c.getTimeout()) : DEFAULT_TIMEOUT));
    if (c.getIncludeAdditionalHeadersInCheckCount() > 0) {
      AuthorizationRequest.Builder req = AuthorizationRequest.newBuilder();
      new TreeMap<>(c.getIncludeAdditionalHeadersInCheckMap())
          .forEach((k, v) -> req.addHeadersToAdd(HeaderValue.newBuilder().setKey(k).setValue(v)));
      svc.setAuthorizationRequest(req);
    }
    if (c.getHeadersToUpstreamOnAllowCount() > 0
        || c.getHeadersToDownstreamOnDenyCount() > 0
        || c.getHeadersToDownstreamOnAllowCount() > 0) {
      AuthorizationResponse.Builder resp = AuthorizationResponse.newBuilder();
      if (c.getHeadersToUpstreamOnAllowCount() > 0) {
        resp.setAllowedUpstreamHeaders(headers(c.getHeadersToUpstreamOnAllowList()));
      }
      if (c.getHeadersToDownstreamOnDenyCount() > 0) {
        resp.setAllowedClientHeaders(headers(c.getHeadersToDownstreamOnDenyList()));
      }
      if (c.getHeadersToDownstreamOnAllowCount() > 0) {
        resp.setAllowedClientHeadersOnSuccess(headers(c.getHeadersToDownstreamOnAllowList()));
      }
      svc.setAuthorizationResponse(resp);
    }
    ExtAuthz.Builder b =
        ExtAuthz.newBuilder()
            .setFailureModeAllow(c.getFailOpen())
            .setTransportApiVersion(ApiVersion.V3)
            .setHttpService(svc)
            .setFilterEnabledMetadata(enabledBy("envoy.filters.http.rbac"));
    if (status != null) {
      b.setStatusOnError(status);
    }
    if (c.hasIncludeRequestBodyInCheck()) {
      b.setWithRequestBody(body(c.getIncludeRequestBodyInCheck()));
    }
    List<String> allowed =
        c.getIncludeRequestHeadersInCheckCount() > 0
            ? c.getIncludeRequestHeadersInCheckList()
            : c.getIncludeHeadersInCheckList();
    if (!allowed.isEmpty()) {
      b.setAllowedHeaders(headers(allowed));
    }
    return new Resolved(b.build(), null, List.of());
  }

  private static Resolved grpc(
      EnvoyExternalAuthorizationGrpcProvider c,
      Function<String, Service> services,
      List<String> errs) {
    String[] hc = lookup(c.getService(), c.getPort(), services, errs);
    HttpStatus status = status(c.getStatusOnError(), errs);
    if (!errs.isEmpty()) {
      return new Resolved(null, null, errs);
    }
    GrpcService grpc =
        GrpcService.newBuilder()
            .setEnvoyGrpc(
                GrpcService.EnvoyGrpc.newBuilder().setClusterName(hc[1]).setAuthority(hc[0]))
            .setTimeout(c.hasTimeout() ? toEnvoy(c.getTimeout()) : DEFAULT_TIMEOUT)
            .build();
    ExtAuthz.Builder http =
        ExtAuthz.newBuilder()
            .setFailureModeAllow(c.getFailOpen())
            .setGrpcService(grpc)
            .setFilterEnabledMetadata(enabledBy("envoy.filters.http.rbac"))
            .setTransportApiVersion(ApiVersion.V3);
    if (status != null) {
      http.setStatusOnError(status);
    }
    if (c.hasIncludeRequestBodyInCheck()) {
      http.setWithRequestBody(body(c.getIncludeRequestBodyInCheck()));
    }
    var tcp =
        io.envoyproxy.envoy.extensions.filters.network.ext_authz.v3.ExtAuthz.newBuilder()
            .setStatPrefix("tcp.")
            .setFailureModeAllow(c.getFailOpen())
            .setTransportApiVersion(ApiVersion.V3)
            .setGrpcService(grpc)
            .setFilterEnabledMetadata(enabledBy("envoy.filters.network.rbac"))
            .build();
    return new Resolved(http.build(), tcp, List.of());
  }

  private static final Duration DEFAULT_TIMEOUT = Duration.newBuilder().setSeconds(600).build();

  private static Duration toEnvoy(com.google.protobuf.Duration d) {
    return d;
  }

  /** {@code [hostname, cluster]}; {@code service} is {@code host} or {@code namespace/host}. */
  private static String[] lookup(
      String service, int port, Function<String, Service> services, List<String> errs) {
    if (port < 1 || port > 65535) {
      errs.add("port must be in the range [1, 65535], found: " + Integer.toUnsignedString(port));
    }
    if (service.isEmpty()) {
      errs.add("service must not be empty");
      return new String[] {"", ""};
    }
    String ns = null;
    String host = service;
    String[] parts = service.split("/", -1);
    if (parts.length == 2) {
      ns = parts[0];
      host = parts[1];
    }
    Service s = services.apply(host);
    if (s == null || (ns != null && !ns.equals(s.namespace()))) {
      errs.add("could not find service " + service + " in Istio service registry");
      return new String[] {"", ""};
    }
    return new String[] {s.hostname(), "outbound|" + port + "||" + s.hostname()};
  }

  private static HttpStatus status(String status, List<String> errs) {
    if (status.isEmpty()) {
      return null;
    }
    int code;
    try {
      code = Integer.parseInt(status);
    } catch (NumberFormatException e) {
      errs.add("invalid statusOnError \"" + status + "\"");
      return null;
    }
    StatusCode sc = StatusCode.forNumber(code);
    if (sc == null) {
      errs.add("unsupported statusOnError " + status);
      return null;
    }
    return HttpStatus.newBuilder().setCode(sc).build();
  }

  private static void checkWildcard(String field, List<String> values, List<String> errs) {
    for (String v : values) {
      if (v.equals("*")) {
        errs.add(
            "a single wildcard (\"*\") is not supported, change it to either prefix or suffix"
                + " match: "
                + field);
      }
    }
  }

  private static ListStringMatcher headers(List<String> headers) {
    ListStringMatcher.Builder b = ListStringMatcher.newBuilder();
    for (String h : headers) {
      StringMatcher.Builder m = StringMatcher.newBuilder().setIgnoreCase(true);
      if (h.startsWith("*")) {
        m.setSuffix(h.substring(1));
      } else if (h.endsWith("*")) {
        m.setPrefix(h.substring(0, h.length() - 1));
      } else {
        m.setExact(h);
      }
      b.addPatterns(m);
    }
    return b.build();
  }

  private static BufferSettings body(EnvoyExternalAuthorizationRequestBody b) {
    return BufferSettings.newBuilder()
        .setMaxRequestBytes(b.getMaxRequestBytes())
        .setAllowPartialMessage(b.getAllowPartialMessage())
        .setPackAsBytes(b.getPackAsBytes())
        .build();
  }

  /** ext_authz runs only for requests the shadow RBAC matched with a CUSTOM rule. */
  private static MetadataMatcher enabledBy(String rbacFilter) {
    return AuthzMatchers.metadata(
        rbacFilter,
        List.of(SHADOW_PREFIX + "shadow_effective_policy_id"),
        AuthzMatchers.stringValue(AuthzMatchers.prefix(MATCH_PREFIX, false)));
  }
}

package io.jistiod.it.sidebyside;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The security part of the side-by-side comparison's essential content. */
class EssentialContentTest {
  private static final String RBAC =
      "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC";

  private static JsonNode json(String s) throws Exception {
    return ProtoJson.JSON.readTree(s.replace('\'', '"'));
  }

  /** An inbound listener: one mTLS HTTP chain with jwt_authn, two RBAC filters and the router. */
  private static String listener(String principal, String jwksN, String sdsCluster) {
    return """
        {'name': 'virtualInbound',
         'filterChains': [{
           'name': '0.0.0.0_8080',
           'filterChainMatch': {'destinationPort': 8080, 'transportProtocol': 'tls'},
           'filters': [{
             'name': 'envoy.filters.network.http_connection_manager',
             'typedConfig': {
               '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
               'httpFilters': [
                 {'name': 'envoy.filters.http.jwt_authn', 'typedConfig': {
                   '@type': 'type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication',
                   'providers': {'origins-0': {'issuer': 'https://issuer.example.com',
                     'fromHeaders': [{'name': 'x-token'}],
                     'localJwks': {'inlineString': '{\\'keys\\':[{\\'kty\\':\\'RSA\\',\\'kid\\':\\'k1\\',\\'e\\':\\'AQAB\\',\\'n\\':\\'%s\\'}]}'}}}}},
                 {'name': 'envoy.filters.http.rbac', 'typedConfig': {'@type': '%s',
                   'rules': {'action': 'DENY', 'policies': {'ns[a]-policy[p]-rule[0]': {
                     'permissions': [{'any': true}],
                     'principals': [{'authenticated': {'principalName': {'exact': '%s'}}}]}}}}},
                 {'name': 'envoy.filters.http.rbac', 'typedConfig': {'@type': '%s',
                   'shadowRules': {'action': 'ALLOW'}, 'shadowRulesStatPrefix': 'istio_dry_run_allow_'}},
                 {'name': 'envoy.filters.http.router', 'typedConfig': {
                   '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router'}}]}}],
           'transportSocket': {'name': 'envoy.transport_sockets.tls', 'typedConfig': {
             '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
             'requireClientCertificate': true,
             'commonTlsContext': {
               'alpnProtocols': ['h2', 'http/1.1'],
               'tlsCertificateSdsSecretConfigs': [{'name': 'default', 'sdsConfig': {'apiConfigSource': {
                 'apiType': 'GRPC', 'grpcServices': [{'envoyGrpc': {'clusterName': '%s'}}]}}}],
               'combinedValidationContext': {
                 'defaultValidationContext': {'matchSubjectAltNames': [{'prefix': 'spiffe://cluster.local/'}]},
                 'validationContextSdsSecretConfig': {'name': 'ROOTCA', 'sdsConfig': {'ads': {}}}}}}}}]}
        """
        .formatted(jwksN, RBAC, principal, RBAC, sdsCluster);
  }

  private static Map<String, String> lds(String principal, String jwksN, String sds)
      throws Exception {
    return EssentialContent.of("lds", json(listener(principal, jwksN, sds)));
  }

  private static final String CHAIN =
      "filterChains.0.0.0.0_8080 match {\"destinationPort\":8080,\"transportProtocol\":\"tls\"}";

  @Test
  void rbacFiltersAreComparedWholeAndKeptApartByOccurrence() throws Exception {
    Map<String, String> e = lds("spiffe://cluster.local/ns/a/sa/x", "abc", "sds-grpc");
    String rbac0 = CHAIN + ".http.httpFilterConfigs.envoy.filters.http.rbac#0";
    assertThat(e)
        .containsEntry(rbac0 + ".rules.action", "DENY")
        .containsEntry(
            rbac0
                + ".rules.policies.ns[a]-policy[p]-rule[0].principals[0].authenticated"
                + ".principalName.exact",
            "spiffe://cluster.local/ns/a/sa/x")
        .containsEntry(
            CHAIN + ".http.httpFilterConfigs.envoy.filters.http.rbac#1.shadowRulesStatPrefix",
            "istio_dry_run_allow_")
        .containsEntry(CHAIN + ".http.httpFilters[0]", "envoy.filters.http.jwt_authn")
        .containsEntry(CHAIN + ".http.httpFilters[1]", "envoy.filters.http.rbac");
    assertThat(e).isNotEqualTo(lds("spiffe://cluster.local/ns/a/sa/y", "abc", "sds-grpc"));
  }

  @Test
  void jwtProvidersAreComparedWithTheirJwksReducedToPublicKeyDigests() throws Exception {
    Map<String, String> e = lds("p", "abc", "sds-grpc");
    String p = CHAIN + ".http.httpFilterConfigs.envoy.filters.http.jwt_authn#0.providers.origins-0";
    assertThat(e)
        .containsEntry(p + ".issuer", "https://issuer.example.com")
        .containsEntry(p + ".fromHeaders[0].name", "x-token")
        .containsEntry(p + ".localJwks.present", "true");
    assertThat(e.get(p + ".localJwks.keys[0]")).startsWith("RSA kid=k1 ");
    assertThat(e.get(p + ".localJwks.keys[0]"))
        .isNotEqualTo(lds("p", "abd", "sds-grpc").get(p + ".localJwks.keys[0]"));
  }

  @Test
  void downstreamTlsKeepsClientCertificateAlpnAndSecretSources() throws Exception {
    Map<String, String> e = lds("p", "abc", "sds-grpc");
    String t = CHAIN + ".transportSocket";
    assertThat(e)
        .containsEntry(t + ".requireClientCertificate", "true")
        .containsEntry(t + ".alpnProtocols[0]", "h2")
        .containsEntry(t + ".sdsSecrets[0]", "default")
        .containsEntry(t + ".sdsSecrets[1]", "validation:ROOTCA")
        .containsEntry(t + ".sdsSources.default", "GRPC sds-grpc")
        .containsEntry(t + ".sdsSources.validation:ROOTCA", "ads")
        .containsEntry(t + ".subjectAltNames[0].prefix", "spiffe://cluster.local/");
    assertThat(lds("p", "abc", "other").get(t + ".sdsSources.default")).isEqualTo("GRPC other");
  }

  @Test
  void networkRbacAndExtAuthzOnTcpChainsAreCompared() throws Exception {
    Map<String, String> e =
        EssentialContent.of(
            "lds",
            json(
                """
                {'name': 'virtualInbound', 'filterChains': [{'name': 'tcp',
                  'filters': [
                    {'name': 'envoy.filters.network.rbac', 'typedConfig': {
                      '@type': 'type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC',
                      'rules': {'action': 'ALLOW'}, 'statPrefix': 'tcp.'}},
                    {'name': 'envoy.filters.network.ext_authz', 'typedConfig': {
                      '@type': 'type.googleapis.com/envoy.extensions.filters.network.ext_authz.v3.ExtAuthz',
                      'grpcService': {'envoyGrpc': {'clusterName': 'outbound|9001||authz'}},
                      'transportApiVersion': 'V3', 'statPrefix': 'tcp.'}},
                    {'name': 'envoy.filters.network.tcp_proxy', 'typedConfig': {
                      '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
                      'cluster': 'inbound|9000||'}}]}]}
                """));
    assertThat(e)
        .containsEntry(
            "filterChains.tcp.filterConfigs.envoy.filters.network.rbac#0.statPrefix", "tcp.")
        .containsEntry(
            "filterChains.tcp.filterConfigs.envoy.filters.network.rbac#0.rules.action", "ALLOW")
        .containsEntry(
            "filterChains.tcp.filterConfigs.envoy.filters.network.ext_authz#0.grpcService"
                + ".envoyGrpc.clusterName",
            "outbound|9001||authz")
        .doesNotContainKey("filterChains.tcp.filterConfigs.envoy.filters.network.tcp_proxy#0");
  }

  @Test
  void autoMtlsTransportSocketMatchesOfClustersKeepValidationEssentials() throws Exception {
    Map<String, String> e =
        EssentialContent.of(
            "cds",
            json(
                """
                {'name': 'outbound|8080||server', 'transportSocketMatches': [
                  {'name': 'tlsMode-istio', 'match': {'tlsMode': 'istio'}, 'transportSocket': {
                    'name': 'envoy.transport_sockets.tls', 'typedConfig': {
                      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
                      'sni': 'outbound_.8080_._.server',
                      'commonTlsContext': {'combinedValidationContext': {
                        'defaultValidationContext': {
                          'matchSubjectAltNames': [{'exact': 'spiffe://cluster.local/ns/a/sa/server'}],
                          'matchTypedSubjectAltNames': [{'sanType': 'URI', 'matcher': {'exact': 'x'}}]},
                        'validationContextSdsSecretConfig': {'name': 'ROOTCA'}}}}}},
                  {'name': 'tlsMode-disabled', 'match': {}, 'transportSocket': {
                    'name': 'envoy.transport_sockets.raw_buffer', 'typedConfig': {
                      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer'}}}]}
                """));
    String m = "transportSocketMatches.tlsMode-istio";
    assertThat(e)
        .containsEntry(m + ".match.tlsMode", "istio")
        .containsEntry(m + ".transportSocket.sni", "outbound_.8080_._.server")
        .containsEntry(
            m + ".transportSocket.subjectAltNames[0].exact",
            "spiffe://cluster.local/ns/a/sa/server")
        .containsEntry(
            m + ".transportSocket.validation.matchTypedSubjectAltNames[0].sanType", "URI")
        .containsEntry(
            "transportSocketMatches.tlsMode-disabled.transportSocket.type",
            "type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer");
  }

  @Test
  void aTcpProxysTunnelHashAndDurationAreCompared() throws Exception {
    String listener =
        """
        {'name': '240.240.0.1_3306',
         'filterChains': [{'filters': [{'name': 'envoy.filters.network.tcp_proxy', 'typedConfig': {
           '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
           'statPrefix': 'x', 'cluster': 'outbound|3128||proxy',
           'hashPolicy': [{'filterState': {'key': 'k'}}],
           'maxDownstreamConnectionDuration': '1800s',
           'tunnelingConfig': {'hostname': 'db.example:3306', 'usePost': true}}}]}]}
        """;
    Map<String, String> flat = EssentialContent.of("lds", json(listener));
    assertThat(flat)
        .containsEntry("filterChains.match .tcpProxy.tunnelingConfig.hostname", "db.example:3306")
        .containsEntry("filterChains.match .tcpProxy.tunnelingConfig.usePost", "true")
        .containsEntry("filterChains.match .tcpProxy.maxDownstreamConnectionDuration", "1800s")
        .containsEntry("filterChains.match .tcpProxy.hashPolicy[0].filterState.key", "k");
  }

  /** A listener with a file access log on itself, its TCP proxy and its HCM. */
  private static Map<String, String> logged(String listenerLog, String tcpLog, String hcmLog)
      throws Exception {
    String listener =
        """
        {'name': 'virtualOutbound', 'accessLog': [%s],
         'filterChains': [
          {'name': 'tcp', 'filters': [{'name': 'envoy.filters.network.tcp_proxy', 'typedConfig': {
           '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
           'statPrefix': 'x', 'cluster': 'PassthroughCluster', 'accessLog': [%s]}}]},
          {'name': 'http', 'filters': [{'name': 'envoy.filters.network.http_connection_manager',
           'typedConfig': {
           '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
           'rds': {'routeConfigName': '80'}, 'accessLog': [%s]}}]}]}
        """
            .formatted(listenerLog, tcpLog, hcmLog);
    return EssentialContent.of("lds", json(listener));
  }

  private static String fileLog(String filter, String jsonFormat) {
    return """
        {'name': 'envoy.access_loggers.file', %s 'typedConfig': {
          '@type': 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog',
          'path': '/dev/stdout', 'logFormat': {'jsonFormat': %s, 'jsonFormatOptions': {}}}}
        """
        .formatted(filter, jsonFormat);
  }

  @Test
  void accessLogsOfListenersTcpProxiesAndHcmsAreCompared() throws Exception {
    String nr = "'filter': {'responseFlagFilter': {'flags': ['NR']}},";
    String format = "{'code': '%RESPONSE_CODE%', 'path': '%REQ(:PATH)%'}";
    Map<String, String> all = logged(fileLog(nr, format), fileLog("", format), fileLog("", format));

    assertThat(all)
        .containsEntry("accessLog[0].filter.responseFlagFilter.flags[0]", "NR")
        .containsEntry("filterChains.tcp.tcpProxy.accessLog[0].typedConfig.path", "/dev/stdout")
        .containsEntry(
            "filterChains.http.http.accessLog[0].typedConfig.logFormat.jsonFormat.code",
            "%RESPONSE_CODE%");
    // one side without a logger (or with another filter) differs; the JSON keys' order does not
    assertThat(logged("", fileLog("", format), fileLog("", format))).isNotEqualTo(all);
    assertThat(logged(fileLog(nr, format), "", fileLog("", format))).isNotEqualTo(all);
    assertThat(logged(fileLog(nr, format), fileLog("", format), "")).isNotEqualTo(all);
    assertThat(logged(fileLog("", format), fileLog("", format), fileLog("", format)))
        .isNotEqualTo(all);
    String reordered = "{'path': '%REQ(:PATH)%', 'code': '%RESPONSE_CODE%'}";
    assertThat(logged(fileLog(nr, reordered), fileLog("", reordered), fileLog("", reordered)))
        .isEqualTo(all);
  }

  /** What EnvoyFilters typically patch is compared: a Lua filter's code, buffer limits. */
  @Test
  void envoyFilterPatchedFieldsAreCompared() throws Exception {
    String listener =
        """
        {'name': 'virtualInbound', 'perConnectionBufferLimitBytes': %d,
         'filterChains': [{'name': 'c', 'filters': [{
           'name': 'envoy.filters.network.http_connection_manager',
           'typedConfig': {
             '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
             'httpFilters': [{'name': 'envoy.filters.http.lua', 'typedConfig': {
               '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua',
               'defaultSourceCode': {'inlineString': '%s'}}}]}}]}]}
        """;
    Map<String, String> a = EssentialContent.of("lds", json(listener.formatted(1024, "a()")));
    assertThat(EssentialContent.of("lds", json(listener.formatted(1024, "b()")))).isNotEqualTo(a);
    assertThat(EssentialContent.of("lds", json(listener.formatted(2048, "a()")))).isNotEqualTo(a);
    String cluster = "{'name': 'c', 'perConnectionBufferLimitBytes': %d}";
    assertThat(EssentialContent.of("cds", json(cluster.formatted(1))))
        .isNotEqualTo(EssentialContent.of("cds", json(cluster.formatted(2))));
  }

  /** The HCM's tracing block and request ID extension are compared whole. */
  @Test
  void hcmTracingAndRequestIdExtensionAreCompared() throws Exception {
    String listener =
        """
        {'name': 'virtualOutbound', 'filterChains': [{'name': 'http', 'filters': [{
           'name': 'envoy.filters.network.http_connection_manager',
           'typedConfig': {
             '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
             'rds': {'routeConfigName': '80'},
             'tracing': {'randomSampling': {'value': %s},
               'customTags': [{'tag': 'env', 'literal': {'value': '%s'}}],
               'provider': {'name': 'envoy.tracers.zipkin', 'typedConfig': {
                 '@type': 'type.googleapis.com/envoy.config.trace.v3.ZipkinConfig',
                 'collectorCluster': '%s'}}},
             'requestIdExtension': {'typedConfig': {
               '@type': 'type.googleapis.com/envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig',
               'useRequestIdForTraceSampling': %s}}}}]}]}
        """;
    Map<String, String> a =
        EssentialContent.of("lds", json(listener.formatted(25, "prod", "outbound|9411||z", true)));
    assertThat(a)
        .containsEntry(
            "filterChains.http.http.tracing.provider.typedConfig.collectorCluster",
            "outbound|9411||z");
    assertThat(
            EssentialContent.of(
                "lds", json(listener.formatted(1, "prod", "outbound|9411||z", true))))
        .isNotEqualTo(a);
    assertThat(
            EssentialContent.of(
                "lds", json(listener.formatted(25, "dev", "outbound|9411||z", true))))
        .isNotEqualTo(a);
    assertThat(
            EssentialContent.of("lds", json(listener.formatted(25, "prod", "outbound|1||z", true))))
        .isNotEqualTo(a);
    assertThat(
            EssentialContent.of(
                "lds", json(listener.formatted(25, "prod", "outbound|9411||z", false))))
        .isNotEqualTo(a);
  }
}

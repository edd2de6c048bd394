package io.jistiod.galley.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.JsonFormat;
import io.jistiod.galley.api.extensions.v1alpha1.FailStrategy;
import io.jistiod.galley.api.extensions.v1alpha1.PluginType;
import io.jistiod.galley.api.extensions.v1alpha1.PullPolicy;
import io.jistiod.galley.api.extensions.v1alpha1.TrafficExtension;
import io.jistiod.galley.api.extensions.v1alpha1.WasmConfig;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.api.networking.v1alpha3.ClientTLSSettings;
import io.jistiod.galley.api.networking.v1alpha3.DestinationRule;
import io.jistiod.galley.api.networking.v1alpha3.EnvoyFilter;
import io.jistiod.galley.api.networking.v1alpha3.Gateway;
import io.jistiod.galley.api.networking.v1alpha3.LoadBalancerSettings;
import io.jistiod.galley.api.networking.v1alpha3.OutlierDetection;
import io.jistiod.galley.api.networking.v1alpha3.ServerTLSSettings;
import io.jistiod.galley.api.networking.v1alpha3.ZoneAwareLoadBalancerSetting;
import io.jistiod.galley.api.security.v1beta1.JWTRule;
import io.jistiod.galley.api.security.v1beta1.RequestAuthentication;
import io.jistiod.galley.api.type.v1beta1.WorkloadMode;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.mesh.MeshConfigs;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.galley.parse.ParseResult;
import org.junit.jupiter.api.Test;

/**
 * The fields and the kind istio.io/api 1.32 has beyond what our protos modelled (see
 * docs/api-versions.md): YAML using them parses through {@link ConfigParser} as kubectl would send
 * it, survives a JSON and a wire round trip, and carries Istio's field numbers, types and oneofs.
 */
class Api132FieldsTest {
  private final ConfigParser parser = new ConfigParser(IstioKinds.ALL, "default");

  private Config parseOne(String yaml) {
    ParseResult r = parser.parse(yaml, "api132.yaml");
    assertThat(r.errors()).isEmpty();
    assertThat(r.configs()).hasSize(1);
    return r.configs().get(0);
  }

  private static void assertRoundTrips(Message msg) throws InvalidProtocolBufferException {
    String json = JsonFormat.printer().print(msg);
    Message.Builder again = msg.newBuilderForType();
    JsonFormat.parser().merge(json, again);
    assertThat(again.build()).isEqualTo(msg);
    assertThat(msg.getParserForType().parseFrom(msg.toByteArray())).isEqualTo(msg);
  }

  private static FieldDescriptor field(Descriptor type, String name, int number) {
    FieldDescriptor f = type.findFieldByName(name);
    assertThat(f).as("%s.%s", type.getFullName(), name).isNotNull();
    assertThat(f.getNumber()).as("%s.%s", type.getFullName(), name).isEqualTo(number);
    return f;
  }

  @Test
  void destinationRuleBackendUtilizationFailurePercentageAndCaCertCredential() throws Exception {
    Config c =
        parseOne(
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: orca, namespace: ns}
            spec:
              host: ratings.ns.svc.cluster.local
              trafficPolicy:
                loadBalancer:
                  backendUtilization:
                    weightStabilizationPeriod: 10s
                    weightExpirationPeriod: 3m
                    weightUpdatePeriod: 1s
                    errorUtilizationPenaltyPercent: 150
                    metricNamesForComputingUtilization: [named_metrics.foo, cpu_utilization]
                  zoneAwareLbSetting: {enabled: true, minClusterSize: 4294967295}
                outlierDetection:
                  consecutive5xxErrors: 5
                  failurePercentageThreshold: 90
                tls:
                  mode: SIMPLE
                  credentialName: client-cert
                  caCertCredentialName: ratings-ca
            """);
    DestinationRule dr = c.spec(DestinationRule.class);
    LoadBalancerSettings lb = dr.getTrafficPolicy().getLoadBalancer();
    assertThat(lb.getLbPolicyCase())
        .isEqualTo(LoadBalancerSettings.LbPolicyCase.BACKEND_UTILIZATION);
    var bu = lb.getBackendUtilization();
    assertThat(bu.getWeightStabilizationPeriod()).isEqualTo(Durations.fromSeconds(10));
    assertThat(bu.getWeightExpirationPeriod()).isEqualTo(Durations.fromMinutes(3));
    assertThat(bu.getWeightUpdatePeriod()).isEqualTo(Durations.fromSeconds(1));
    assertThat(bu.getErrorUtilizationPenaltyPercent()).isEqualTo(150);
    assertThat(bu.getMetricNamesForComputingUtilizationList())
        .containsExactly("named_metrics.foo", "cpu_utilization");
    // 32 bits as released: the largest uint32 fits, read back as unsigned.
    assertThat(Integer.toUnsignedLong(lb.getZoneAwareLbSetting().getMinClusterSize().getValue()))
        .isEqualTo(4294967295L);
    assertThat(
            dr.getTrafficPolicy().getOutlierDetection().getFailurePercentageThreshold().getValue())
        .isEqualTo(90);
    assertThat(dr.getTrafficPolicy().getTls().getCaCertCredentialName()).isEqualTo("ratings-ca");
    assertRoundTrips(dr);

    Descriptor lbType = LoadBalancerSettings.getDescriptor();
    assertThat(field(lbType, "backend_utilization", 7).getRealContainingOneof().getName())
        .isEqualTo("lb_policy");
    Descriptor buType = LoadBalancerSettings.BackendUtilizationLB.getDescriptor();
    field(buType, "weight_stabilization_period", 1);
    field(buType, "weight_expiration_period", 2);
    field(buType, "weight_update_period", 3);
    assertThat(field(buType, "error_utilization_penalty_percent", 4).getType())
        .isEqualTo(FieldDescriptor.Type.UINT32);
    assertThat(field(buType, "metric_names_for_computing_utilization", 5).isRepeated()).isTrue();
    assertThat(
            field(OutlierDetection.getDescriptor(), "failure_percentage_threshold", 11)
                .getMessageType()
                .getFullName())
        .isEqualTo("google.protobuf.UInt32Value");
    field(ClientTLSSettings.getDescriptor(), "ca_cert_credential_name", 10);
    assertThat(
            field(ZoneAwareLoadBalancerSetting.getDescriptor(), "min_cluster_size", 4)
                .getMessageType()
                .getFullName())
        .isEqualTo("google.protobuf.UInt32Value");
  }

  @Test
  void zoneAwareMinClusterSizeBeyond32BitsIsRefused() {
    ParseResult r =
        parser.parse(
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: big, namespace: ns}
            spec:
              host: a.ns.svc.cluster.local
              trafficPolicy:
                loadBalancer: {zoneAwareLbSetting: {minClusterSize: 4294967296}}
            """,
            "big.yaml");
    assertThat(r.configs()).isEmpty();
    assertThat(r.errors()).hasSize(1);
    assertThat(r.errors().get(0).field())
        .isEqualTo("spec.trafficPolicy.loadBalancer.zoneAwareLbSetting.minClusterSize");
  }

  @Test
  void backendUtilizationIsOneOfTheLbPolicies() {
    ParseResult r =
        parser.parse(
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: two, namespace: ns}
            spec:
              host: a.ns.svc.cluster.local
              trafficPolicy:
                loadBalancer: {simple: ROUND_ROBIN, backendUtilization: {}}
            """,
            "two.yaml");
    assertThat(r.configs()).isEmpty();
    assertThat(r.errors()).hasSize(1);
    assertThat(r.errors().get(0).toString()).contains("backendUtilization");
  }

  @Test
  void gatewayServerTlsEcdhCurvesAndAlpnProtocols() throws Exception {
    Config c =
        parseOne(
            """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: gw, namespace: ns}
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 443, name: https, protocol: HTTPS}
                hosts: [example.com]
                tls:
                  mode: SIMPLE
                  credentialName: example-cert
                  ecdhCurves: [X25519, P-256]
                  alpnProtocols: [h2, http/1.1]
            """);
    ServerTLSSettings tls = c.spec(Gateway.class).getServers(0).getTls();
    assertThat(tls.getEcdhCurvesList()).containsExactly("X25519", "P-256");
    assertThat(tls.getAlpnProtocolsList()).containsExactly("h2", "http/1.1");
    assertRoundTrips(c.spec(Gateway.class));
    assertThat(field(ServerTLSSettings.getDescriptor(), "ecdh_curves", 18).isRepeated()).isTrue();
    assertThat(field(ServerTLSSettings.getDescriptor(), "alpn_protocols", 19).isRepeated())
        .isTrue();
  }

  @Test
  void envoyFilterMatchesAFilterChainByTransportSocket() throws Exception {
    Config c =
        parseOne(
            """
            apiVersion: networking.istio.io/v1alpha3
            kind: EnvoyFilter
            metadata: {name: tls-only, namespace: ns}
            spec:
              configPatches:
              - applyTo: NETWORK_FILTER
                match:
                  context: SIDECAR_INBOUND
                  listener:
                    filterChain:
                      transportSocket: envoy.transport_sockets.tls
                      filter: {name: envoy.filters.network.http_connection_manager}
                patch:
                  operation: MERGE
                  value: {name: envoy.filters.network.http_connection_manager}
            """);
    EnvoyFilter ef = c.spec(EnvoyFilter.class);
    assertThat(
            ef.getConfigPatches(0).getMatch().getListener().getFilterChain().getTransportSocket())
        .isEqualTo("envoy.transport_sockets.tls");
    assertRoundTrips(ef);
    field(EnvoyFilter.ListenerMatch.FilterChainMatch.getDescriptor(), "transport_socket", 7);
  }

  @Test
  void requestAuthenticationJwtPresence() throws Exception {
    Config c =
        parseOne(
            """
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata: {name: jwt, namespace: ns}
            spec:
              jwtRules:
              - issuer: https://issuer.example.com
                jwksUri: https://issuer.example.com/jwks
                presence: REQUIRED
              - issuer: https://other.example.com
                jwksUri: https://other.example.com/jwks
                presence: OPTIONAL
            """);
    RequestAuthentication ra = c.spec(RequestAuthentication.class);
    assertThat(ra.getJwtRules(0).getPresence()).isEqualTo(JWTRule.JWTRequirement.REQUIRED);
    assertThat(ra.getJwtRules(1).getPresence()).isEqualTo(JWTRule.JWTRequirement.OPTIONAL);
    assertRoundTrips(ra);
    field(JWTRule.getDescriptor(), "presence", 15);
    assertThat(JWTRule.JWTRequirement.OPTIONAL.getNumber()).isZero();
    assertThat(JWTRule.JWTRequirement.REQUIRED.getNumber()).isEqualTo(1);
  }

  @Test
  void jwtPresenceRefusesValuesIstioDoesNotHave() {
    ParseResult r =
        parser.parse(
            """
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata: {name: jwt, namespace: ns}
            spec:
              jwtRules:
              - {issuer: https://issuer.example.com, presence: SOMETIMES}
            """,
            "jwt.yaml");
    assertThat(r.configs()).isEmpty();
    assertThat(r.errors().get(0).field()).isEqualTo("spec.jwtRules[0].presence");
  }

  @Test
  void meshConfigDefaultInboundHttpRetryPolicy() throws Exception {
    MeshConfig mesh =
        MeshConfigs.parse(
            """
            defaultInboundHttpRetryPolicy:
              attempts: 3
              retryOn: reset-before-request,connect-failure
              backoff: 25ms
            """,
            "mesh.yaml");
    assertThat(mesh.getDefaultInboundHttpRetryPolicy().getAttempts()).isEqualTo(3);
    assertThat(mesh.getDefaultInboundHttpRetryPolicy().getBackoff())
        .isEqualTo(Durations.fromMillis(25));
    // Not set: absent, so the data plane keeps its own default (2 attempts on
    // reset-before-request).
    assertThat(MeshConfigs.defaults().hasDefaultInboundHttpRetryPolicy()).isFalse();
    assertRoundTrips(mesh);
    assertThat(
            field(MeshConfig.getDescriptor(), "default_inbound_http_retry_policy", 74)
                .getMessageType()
                .getFullName())
        .isEqualTo("istio.networking.v1alpha3.HTTPRetry");
  }

  @Test
  void trafficExtensionWithWasm() throws Exception {
    Config c =
        parseOne(
            """
            apiVersion: extensions.istio.io/v1alpha1
            kind: TrafficExtension
            metadata: {name: openid-connect, namespace: istio-ingress}
            spec:
              selector: {matchLabels: {istio: ingressgateway}}
              phase: AUTHN
              priority: 10
              match:
              - mode: SERVER
                ports: [{number: 8080}]
              wasm:
                url: oci://private-registry:5000/openid-connect/openid:latest
                sha256: 1ef0c9a92b0420cf25f7fe5d481b231464bc88f486ca3b9c83ed5cc21d2f6210
                imagePullPolicy: IfNotPresent
                imagePullSecret: private-registry-pull-secret
                pluginName: openid
                pluginConfig:
                  openid_server: authn
                  openid_realm: ingress
                failStrategy: FAIL_OPEN
                vmConfig:
                  env: [{name: POD_NAME, valueFrom: HOST}]
                type: HTTP
            """);
    assertThat(c.key().toString()).isEqualTo("TrafficExtension/istio-ingress/openid-connect");
    TrafficExtension t = c.spec(TrafficExtension.class);
    assertThat(t.getFilterConfigCase()).isEqualTo(TrafficExtension.FilterConfigCase.WASM);
    assertThat(t.getPhase()).isEqualTo(TrafficExtension.ExecutionPhase.AUTHN);
    assertThat(t.getPriority().getValue()).isEqualTo(10);
    assertThat(t.getMatch(0).getMode()).isEqualTo(WorkloadMode.SERVER);
    assertThat(t.getMatch(0).getPorts(0).getNumber()).isEqualTo(8080);
    WasmConfig w = t.getWasm();
    assertThat(w.getImagePullPolicy()).isEqualTo(PullPolicy.IfNotPresent);
    assertThat(w.getPluginConfig().getFieldsMap().get("openid_realm").getStringValue())
        .isEqualTo("ingress");
    assertThat(w.getFailStrategy()).isEqualTo(FailStrategy.FAIL_OPEN);
    assertThat(w.getVmConfig().getEnv(0).getName()).isEqualTo("POD_NAME");
    assertThat(w.getType()).isEqualTo(PluginType.HTTP);
    assertRoundTrips(t);
  }

  @Test
  void trafficExtensionWithLuaAndTargetRefs() throws Exception {
    Config c =
        parseOne(
            """
            apiVersion: extensions.istio.io/v1alpha1
            kind: TrafficExtension
            metadata: {name: add-header, namespace: ns}
            spec:
              targetRefs:
              - {kind: Gateway, group: gateway.networking.k8s.io, name: waypoint}
              phase: STATS
              lua:
                inlineCode: |
                  function envoy_on_response(handle)
                    handle:headers():add("x-lua", "yes")
                  end
            """);
    TrafficExtension t = c.spec(TrafficExtension.class);
    assertThat(t.getFilterConfigCase()).isEqualTo(TrafficExtension.FilterConfigCase.LUA);
    assertThat(t.getLua().getInlineCode()).contains("envoy_on_response");
    assertThat(t.getTargetRefs(0).getName()).isEqualTo("waypoint");
    assertRoundTrips(t);
  }

  @Test
  void trafficExtensionShapeIsIstios() {
    Descriptor te = TrafficExtension.getDescriptor();
    assertThat(te.getFullName()).isEqualTo("istio.extensions.v1alpha1.TrafficExtension");
    field(te, "selector", 1);
    assertThat(field(te, "targetRefs", 2).getJsonName()).isEqualTo("targetRefs");
    field(te, "phase", 3);
    assertThat(field(te, "priority", 4).getMessageType().getFullName())
        .isEqualTo("google.protobuf.Int32Value");
    assertThat(field(te, "match", 5).isRepeated()).isTrue();
    assertThat(field(te, "wasm", 6).getRealContainingOneof().getName()).isEqualTo("filter_config");
    assertThat(field(te, "lua", 7).getRealContainingOneof().getName()).isEqualTo("filter_config");
    assertThat(TrafficExtension.ExecutionPhase.STATS.getNumber()).isEqualTo(3);
    Descriptor wasm = WasmConfig.getDescriptor();
    String[] names = {
      "url", "sha256", "image_pull_policy", "image_pull_secret", "verification_key",
      "plugin_config", "plugin_name", "fail_strategy", "vm_config", "type"
    };
    for (int i = 0; i < names.length; i++) {
      field(wasm, names[i], i + 1);
    }
    assertThat(IstioKinds.TRAFFIC_EXTENSION.versions()).containsExactly("v1alpha1");
    assertThat(IstioKinds.ALL).contains(IstioKinds.TRAFFIC_EXTENSION);
  }

  @Test
  void trafficExtensionWithBothWasmAndLuaIsRefusedByTheParser() {
    ParseResult r =
        parser.parse(
            """
            apiVersion: extensions.istio.io/v1alpha1
            kind: TrafficExtension
            metadata: {name: both, namespace: ns}
            spec:
              wasm: {url: oci://r/p:1}
              lua: {inlineCode: "x"}
            """,
            "both.yaml");
    assertThat(r.configs()).isEmpty();
    assertThat(r.errors()).hasSize(1);
    assertThat(r.errors().get(0).object()).isEqualTo("TrafficExtension ns/both");
  }
}

package io.jistiod.galley.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.JsonFormat;
import io.jistiod.galley.api.extensions.v1alpha1.FailStrategy;
import io.jistiod.galley.api.extensions.v1alpha1.PluginPhase;
import io.jistiod.galley.api.extensions.v1alpha1.PullPolicy;
import io.jistiod.galley.api.extensions.v1alpha1.WasmPlugin;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.api.mesh.v1alpha1.MeshNetworks;
import io.jistiod.galley.api.mesh.v1alpha1.ProxyConfig;
import io.jistiod.galley.api.meta.v1alpha1.IstioStatus;
import io.jistiod.galley.api.networking.v1alpha3.ClientTLSSettings;
import io.jistiod.galley.api.networking.v1alpha3.ConnectionPoolSettings;
import io.jistiod.galley.api.networking.v1alpha3.Destination;
import io.jistiod.galley.api.networking.v1alpha3.DestinationRule;
import io.jistiod.galley.api.networking.v1alpha3.EnvoyFilter;
import io.jistiod.galley.api.networking.v1alpha3.Gateway;
import io.jistiod.galley.api.networking.v1alpha3.HTTPFaultInjection;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRoute;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRouteDestination;
import io.jistiod.galley.api.networking.v1alpha3.LoadBalancerSettings;
import io.jistiod.galley.api.networking.v1alpha3.OutlierDetection;
import io.jistiod.galley.api.networking.v1alpha3.ReadinessProbe;
import io.jistiod.galley.api.networking.v1alpha3.Server;
import io.jistiod.galley.api.networking.v1alpha3.ServerTLSSettings;
import io.jistiod.galley.api.networking.v1alpha3.ServiceEntry;
import io.jistiod.galley.api.networking.v1alpha3.Sidecar;
import io.jistiod.galley.api.networking.v1alpha3.StringMatch;
import io.jistiod.galley.api.networking.v1alpha3.Subset;
import io.jistiod.galley.api.networking.v1alpha3.TrafficPolicy;
import io.jistiod.galley.api.networking.v1alpha3.VirtualService;
import io.jistiod.galley.api.networking.v1alpha3.WorkloadEntry;
import io.jistiod.galley.api.networking.v1alpha3.WorkloadGroup;
import io.jistiod.galley.api.security.v1beta1.AuthorizationPolicy;
import io.jistiod.galley.api.security.v1beta1.Condition;
import io.jistiod.galley.api.security.v1beta1.JWTHeader;
import io.jistiod.galley.api.security.v1beta1.PeerAuthentication;
import io.jistiod.galley.api.security.v1beta1.RequestAuthentication;
import io.jistiod.galley.api.telemetry.v1alpha1.MetricSelector;
import io.jistiod.galley.api.telemetry.v1alpha1.Telemetry;
import io.jistiod.galley.api.type.v1beta1.PolicyTargetReference;
import io.jistiod.galley.api.type.v1beta1.WorkloadMode;
import org.junit.jupiter.api.Test;

/**
 * Checks that our copies of the Istio API protos have Istio's shapes: realistic specs written as
 * Istio documents them parse with the strict proto3 JSON parser, and field numbers, oneofs and the
 * {@code jistiod.required} marks agree with istio/api.
 */
class ApiProtosTest {

  /** Strict parse: an unknown field is an error, as it is for Istio's CRDs. */
  private static <B extends Message.Builder> B parse(String json, B builder)
      throws InvalidProtocolBufferException {
    JsonFormat.parser().merge(json, builder);
    return builder;
  }

  /** Prints and re-parses {@code msg} as JSON, and round-trips it through the wire format. */
  private static void assertRoundTrips(Message msg) throws InvalidProtocolBufferException {
    String json = JsonFormat.printer().print(msg);
    Message.Builder again = msg.newBuilderForType();
    JsonFormat.parser().merge(json, again);
    assertThat(again.build()).isEqualTo(msg);
    assertThat(msg.getParserForType().parseFrom(msg.toByteArray())).isEqualTo(msg);
  }

  private static FieldDescriptor field(Descriptor type, String name) {
    FieldDescriptor f = type.findFieldByName(name);
    assertThat(f).as("%s.%s", type.getFullName(), name).isNotNull();
    return f;
  }

  private static void assertNumber(Descriptor type, String name, int number) {
    assertThat(field(type, name).getNumber())
        .as("%s.%s", type.getFullName(), name)
        .isEqualTo(number);
  }

  private static boolean required(Descriptor type, String name) {
    return field(type, name).getOptions().getExtension(JistiodOptions.required);
  }

  private static String oneofOf(Descriptor type, String name) {
    var oneof = field(type, name).getRealContainingOneof();
    return oneof == null ? null : oneof.getName();
  }

  // ---------------------------------------------------------------- networking.istio.io (routing)

  @Test
  void virtualService() throws Exception {
    String json =
        """
        {
          "hosts": ["reviews.prod.svc.cluster.local", "reviews"],
          "gateways": ["mesh", "istio-system/public-gateway"],
          "exportTo": ["."],
          "http": [
            {
              "name": "reviews-v2-routes",
              "match": [
                {
                  "uri": {"prefix": "/wpcatalog"},
                  "headers": {"end-user": {"exact": "jason"}},
                  "queryParams": {"debug": {"regex": "^(true|1)$"}},
                  "ignoreUriCase": true,
                  "sourceLabels": {"app": "productpage"},
                  "withoutHeaders": {"x-canary": {"exact": "off"}}
                }
              ],
              "rewrite": {"uri": "/newcatalog", "authority": "reviews.internal"},
              "route": [
                {
                  "destination": {
                    "host": "reviews.prod.svc.cluster.local",
                    "subset": "v2",
                    "port": {"number": 9080}
                  },
                  "weight": 80,
                  "headers": {"request": {"set": {"x-version": "v2"}}, "response": {"remove": ["server"]}}
                },
                {"destination": {"host": "reviews.prod.svc.cluster.local", "subset": "v1"}, "weight": 20}
              ],
              "timeout": "10s",
              "retries": {
                "attempts": 3,
                "perTryTimeout": "2s",
                "retryOn": "gateway-error,connect-failure,refused-stream",
                "retryRemoteLocalities": true
              },
              "fault": {
                "delay": {"percentage": {"value": 0.1}, "fixedDelay": "5s"},
                "abort": {"percentage": {"value": 1.5}, "httpStatus": 503}
              },
              "mirror": {"host": "reviews-shadow", "subset": "v3"},
              "mirrorPercentage": {"value": 50.0},
              "corsPolicy": {
                "allowOrigins": [{"exact": "https://example.com"}, {"regex": "https://.*\\\\.example\\\\.org"}],
                "allowMethods": ["POST", "GET"],
                "allowCredentials": false,
                "allowHeaders": ["X-Foo-Bar"],
                "maxAge": "86400s",
                "unmatchedPreflights": "IGNORE"
              }
            },
            {
              "match": [{"uri": {"exact": "/old"}}],
              "redirect": {"uri": "/new", "authority": "newratings.default.svc.cluster.local", "derivePort": "FROM_REQUEST_PORT", "redirectCode": 301}
            },
            {
              "match": [{"uri": {"prefix": "/teapot"}}],
              "directResponse": {"status": 418, "body": {"string": "I'm a teapot"}}
            },
            {"name": "delegated", "delegate": {"name": "reviews-team-routes", "namespace": "reviews"}}
          ],
          "tls": [
            {
              "match": [{"port": 443, "sniHosts": ["login.bookinfo.com"]}],
              "route": [{"destination": {"host": "login.prod.svc.cluster.local"}}]
            }
          ],
          "tcp": [
            {
              "match": [{"port": 27017, "destinationSubnets": ["10.0.0.0/8"]}],
              "route": [{"destination": {"host": "mongo.backup.svc.cluster.local", "port": {"number": 5555}}, "weight": 100}]
            }
          ]
        }
        """;
    VirtualService vs = parse(json, VirtualService.newBuilder()).build();

    assertThat(vs.getHostsList()).containsExactly("reviews.prod.svc.cluster.local", "reviews");
    HTTPRoute http = vs.getHttp(0);
    assertThat(http.getMatch(0).getUri().getMatchTypeCase())
        .isEqualTo(StringMatch.MatchTypeCase.PREFIX);
    assertThat(http.getMatch(0).getHeadersMap().get("end-user").getExact()).isEqualTo("jason");
    assertThat(http.getMatch(0).getQueryParamsMap().get("debug").getRegex())
        .isEqualTo("^(true|1)$");
    assertThat(http.getRoute(0).getDestination().getPort().getNumber()).isEqualTo(9080);
    assertThat(http.getRoute(0).getWeight()).isEqualTo(80);
    assertThat(http.getRoute(0).getHeaders().getRequest().getSetMap())
        .containsEntry("x-version", "v2");
    assertThat(http.getTimeout()).isEqualTo(Durations.fromSeconds(10));
    assertThat(http.getRetries().getPerTryTimeout()).isEqualTo(Durations.fromSeconds(2));
    assertThat(http.getRetries().getRetryRemoteLocalities().getValue()).isTrue();
    assertThat(http.getFault().getDelay().getHttpDelayTypeCase())
        .isEqualTo(HTTPFaultInjection.Delay.HttpDelayTypeCase.FIXED_DELAY);
    assertThat(http.getFault().getAbort().getHttpStatus()).isEqualTo(503);
    assertThat(http.getMirrorPercentage().getValue()).isEqualTo(50.0);
    assertThat(http.getCorsPolicy().getAllowOrigins(1).getRegex())
        .isEqualTo("https://.*\\.example\\.org");
    assertThat(http.getCorsPolicy().getMaxAge()).isEqualTo(Durations.fromHours(24));
    assertThat(http.getCorsPolicy().hasAllowCredentials()).isTrue();
    assertThat(http.getCorsPolicy().getAllowCredentials().getValue()).isFalse();
    assertThat(vs.getHttp(1).getRedirect().getDerivePort().name()).isEqualTo("FROM_REQUEST_PORT");
    assertThat(vs.getHttp(1).getRedirect().getRedirectCode()).isEqualTo(301);
    assertThat(vs.getHttp(2).getDirectResponse().getBody().getString()).isEqualTo("I'm a teapot");
    assertThat(vs.getHttp(3).getDelegate().getNamespace()).isEqualTo("reviews");
    assertThat(vs.getTls(0).getMatch(0).getSniHostsList()).containsExactly("login.bookinfo.com");
    assertThat(vs.getTcp(0).getMatch(0).getPort()).isEqualTo(27017);
    assertRoundTrips(vs);
  }

  @Test
  void destinationRule() throws Exception {
    String json =
        """
        {
          "host": "reviews.prod.svc.cluster.local",
          "exportTo": ["*"],
          "workloadSelector": {"matchLabels": {"app": "ratings"}},
          "trafficPolicy": {
            "loadBalancer": {
              "simple": "ROUND_ROBIN",
              "localityLbSetting": {
                "enabled": true,
                "distribute": [{"from": "us-west/zone1/*", "to": {"us-west/zone1/*": 80, "us-west/zone2/*": 20}}],
                "failoverPriority": ["topology.kubernetes.io/region"]
              },
              "warmup": {"duration": "60s", "minimumPercent": 10, "aggression": 1.5}
            },
            "connectionPool": {
              "tcp": {"maxConnections": 100, "connectTimeout": "0.030s", "tcpKeepalive": {"time": "7200s", "interval": "75s"}},
              "http": {"http1MaxPendingRequests": 1024, "http2MaxRequests": 1024, "maxRequestsPerConnection": 10, "h2UpgradePolicy": "UPGRADE", "idleTimeout": "3600s"}
            },
            "outlierDetection": {
              "consecutive5xxErrors": 7,
              "consecutiveGatewayErrors": 5,
              "interval": "5s",
              "baseEjectionTime": "15s",
              "maxEjectionPercent": 100,
              "splitExternalLocalOriginErrors": true
            },
            "tls": {"mode": "ISTIO_MUTUAL", "sni": "reviews.prod", "insecureSkipVerify": false},
            "portLevelSettings": [
              {"port": {"number": 80}, "loadBalancer": {"simple": "LEAST_REQUEST"}},
              {"port": {"number": 9080}, "tls": {"mode": "SIMPLE", "credentialName": "reviews-client-cert"}}
            ],
            "tunnel": {"protocol": "CONNECT", "targetHost": "192.168.1.2", "targetPort": 443},
            "proxyProtocol": {"version": "V2"}
          },
          "subsets": [
            {
              "name": "v1",
              "labels": {"version": "v1"},
              "trafficPolicy": {
                "loadBalancer": {
                  "consistentHash": {"httpHeaderName": "x-user", "maglev": {"tableSize": "65537"}}
                }
              }
            },
            {
              "name": "v2",
              "labels": {"version": "v2"},
              "trafficPolicy": {
                "loadBalancer": {
                  "consistentHash": {"httpCookie": {"name": "user", "ttl": "0s", "path": "/"}, "ringHash": {"minimumRingSize": 1024}}
                }
              }
            }
          ]
        }
        """;
    DestinationRule dr = parse(json, DestinationRule.newBuilder()).build();

    TrafficPolicy tp = dr.getTrafficPolicy();
    assertThat(dr.getWorkloadSelector().getMatchLabelsMap()).containsEntry("app", "ratings");
    assertThat(tp.getLoadBalancer().getSimple())
        .isEqualTo(LoadBalancerSettings.SimpleLB.ROUND_ROBIN);
    assertThat(tp.getLoadBalancer().getLocalityLbSetting().getDistribute(0).getToMap())
        .containsEntry("us-west/zone2/*", 20);
    assertThat(tp.getLoadBalancer().getWarmup().getMinimumPercent().getValue()).isEqualTo(10.0);
    assertThat(tp.getConnectionPool().getTcp().getConnectTimeout())
        .isEqualTo(Durations.fromMillis(30));
    assertThat(tp.getConnectionPool().getHttp().getHttp1MaxPendingRequests()).isEqualTo(1024);
    assertThat(tp.getConnectionPool().getHttp().getH2UpgradePolicy())
        .isEqualTo(ConnectionPoolSettings.HTTPSettings.H2UpgradePolicy.UPGRADE);
    OutlierDetection od = tp.getOutlierDetection();
    assertThat(od.getConsecutive5XxErrors().getValue()).isEqualTo(7);
    assertThat(od.getBaseEjectionTime()).isEqualTo(Durations.fromSeconds(15));
    assertThat(tp.getTls().getMode()).isEqualTo(ClientTLSSettings.TLSmode.ISTIO_MUTUAL);
    assertThat(tp.getPortLevelSettings(1).getTls().getCredentialName())
        .isEqualTo("reviews-client-cert");
    assertThat(tp.getTunnel().getTargetPort()).isEqualTo(443);
    assertThat(tp.getProxyProtocol().getVersion())
        .isEqualTo(TrafficPolicy.ProxyProtocol.VERSION.V2);

    Subset v1 = dr.getSubsets(0);
    var hash = v1.getTrafficPolicy().getLoadBalancer().getConsistentHash();
    assertThat(v1.getLabelsMap()).containsEntry("version", "v1");
    assertThat(hash.getHashKeyCase())
        .isEqualTo(LoadBalancerSettings.ConsistentHashLB.HashKeyCase.HTTP_HEADER_NAME);
    assertThat(hash.getHttpHeaderName()).isEqualTo("x-user");
    assertThat(hash.getMaglev().getTableSize()).isEqualTo(65537L);
    var cookie = dr.getSubsets(1).getTrafficPolicy().getLoadBalancer().getConsistentHash();
    assertThat(cookie.getHttpCookie().getName()).isEqualTo("user");
    assertThat(cookie.getRingHash().getMinimumRingSize()).isEqualTo(1024L);
    assertRoundTrips(dr);
  }

  @Test
  void serviceEntry() throws Exception {
    String json =
        """
        {
          "hosts": ["api.dropboxapi.com", "www.googleapis.com"],
          "addresses": ["240.0.0.1"],
          "ports": [
            {"number": 443, "name": "https", "protocol": "TLS"},
            {"number": 8080, "name": "http", "protocol": "HTTP", "targetPort": 80}
          ],
          "location": "MESH_EXTERNAL",
          "resolution": "DNS",
          "exportTo": [".", "istio-system"],
          "subjectAltNames": ["spiffe://cluster.local/ns/default/sa/external"],
          "endpoints": [
            {"address": "us.foo.bar.com", "ports": {"https": 8443}, "labels": {"region": "us"}, "locality": "us-east1/us-east1-b", "weight": 3},
            {"address": "uk.foo.bar.com", "ports": {"https": 9443}, "network": "network-2", "serviceAccount": "external"}
          ]
        }
        """;
    ServiceEntry se = parse(json, ServiceEntry.newBuilder()).build();

    assertThat(se.getLocation()).isEqualTo(ServiceEntry.Location.MESH_EXTERNAL);
    assertThat(se.getResolution()).isEqualTo(ServiceEntry.Resolution.DNS);
    assertThat(se.getPorts(1).getTargetPort()).isEqualTo(80);
    assertThat(se.getEndpoints(0).getPortsMap()).containsEntry("https", 8443);
    assertThat(se.getEndpoints(0).getLabelsMap()).containsEntry("region", "us");
    assertThat(se.getEndpoints(1).getServiceAccount()).isEqualTo("external");
    assertRoundTrips(se);

    ServiceEntry selected =
        parse(
                """
                {"hosts": ["mysql.vm.internal"], "location": "MESH_INTERNAL", "resolution": "STATIC",
                 "ports": [{"number": 3306, "name": "mysql", "protocol": "TCP"}],
                 "workloadSelector": {"labels": {"app": "mysql"}}}
                """,
                ServiceEntry.newBuilder())
            .build();
    assertThat(selected.getWorkloadSelector().getLabelsMap()).containsEntry("app", "mysql");
  }

  @Test
  void workloadEntry() throws Exception {
    String json =
        """
        {
          "address": "2.2.2.2",
          "ports": {"http": 8080, "grpc": 9090},
          "labels": {"app": "details-legacy", "instance-id": "vm1"},
          "network": "vm-network",
          "locality": "us-central1/us-central1-a",
          "weight": 10,
          "serviceAccount": "details-legacy"
        }
        """;
    WorkloadEntry we = parse(json, WorkloadEntry.newBuilder()).build();

    assertThat(we.getAddress()).isEqualTo("2.2.2.2");
    assertThat(we.getPortsMap()).containsEntry("grpc", 9090);
    assertThat(we.getLabelsMap()).containsEntry("instance-id", "vm1");
    assertThat(we.getServiceAccount()).isEqualTo("details-legacy");
    assertRoundTrips(we);
  }

  @Test
  void unknownFieldsAndBadEnumsAreRejected() {
    assertThatThrownBy(
            () -> parse("{\"hosts\": [\"a\"], \"htpp\": []}", VirtualService.newBuilder()))
        .isInstanceOf(InvalidProtocolBufferException.class);
    assertThatThrownBy(
            () ->
                parse(
                    "{\"host\": \"a\", \"trafficPolicy\": {\"loadBalancer\": {\"simple\": \"FASTEST\"}}}",
                    DestinationRule.newBuilder()))
        .isInstanceOf(InvalidProtocolBufferException.class);
  }

  // ---------------------------------------------------------- networking.istio.io (edge, proxies)

  @Test
  void gateway() throws Exception {
    String json =
        """
        {
          "selector": {"istio": "ingressgateway"},
          "servers": [
            {
              "port": {"number": 80, "name": "http", "protocol": "HTTP"},
              "hosts": ["uk.bookinfo.com", "eu.bookinfo.com"],
              "tls": {"httpsRedirect": true}
            },
            {
              "port": {"number": 443, "name": "https-443", "protocol": "HTTPS"},
              "hosts": ["ns1/uk.bookinfo.com"],
              "name": "bookinfo-https",
              "tls": {
                "mode": "SIMPLE",
                "credentialName": "bookinfo-secret",
                "minProtocolVersion": "TLSV1_2",
                "cipherSuites": ["ECDHE-ECDSA-AES256-GCM-SHA384"]
              }
            },
            {
              "port": {"number": 9443, "name": "https-9443", "protocol": "HTTPS"},
              "hosts": ["bookinfo-namespace/*.bookinfo.com"],
              "tls": {"mode": "MUTUAL", "credentialNames": ["rsa-cert", "ecdsa-cert"], "subjectAltNames": ["spiffe://cluster.local/ns/a/sa/b"]}
            },
            {
              "port": {"number": 2379, "name": "tcp-etcd", "protocol": "TCP"},
              "hosts": ["*"],
              "bind": "0.0.0.0",
              "defaultEndpoint": "127.0.0.1:2379"
            }
          ]
        }
        """;
    Gateway gw = parse(json, Gateway.newBuilder()).build();

    assertThat(gw.getSelectorMap()).containsEntry("istio", "ingressgateway");
    assertThat(gw.getServers(0).getTls().getHttpsRedirect()).isTrue();
    Server https = gw.getServers(1);
    assertThat(https.getPort().getNumber()).isEqualTo(443);
    assertThat(https.getTls().getMode()).isEqualTo(ServerTLSSettings.TLSmode.SIMPLE);
    assertThat(https.getTls().getMinProtocolVersion())
        .isEqualTo(ServerTLSSettings.TLSProtocol.TLSV1_2);
    assertThat(gw.getServers(2).getTls().getCredentialNamesList()).hasSize(2);
    assertThat(gw.getServers(3).getDefaultEndpoint()).isEqualTo("127.0.0.1:2379");
    assertRoundTrips(gw);
  }

  @Test
  void sidecar() throws Exception {
    String json =
        """
        {
          "workloadSelector": {"labels": {"app": "ratings"}},
          "ingress": [
            {
              "port": {"number": 9080, "protocol": "HTTP", "name": "somename"},
              "defaultEndpoint": "unix:///var/run/someuds.sock",
              "captureMode": "IPTABLES",
              "tls": {"mode": "SIMPLE", "privateKey": "/etc/certs/privatekey.pem", "serverCertificate": "/etc/certs/servercert.pem"},
              "connectionPool": {"http": {"http1MaxPendingRequests": 100}}
            }
          ],
          "egress": [
            {"port": {"number": 3306, "protocol": "MYSQL", "name": "egressmysql"}, "captureMode": "NONE", "bind": "127.0.0.1", "hosts": ["*/mysql.foo.com"]},
            {"hosts": ["./*", "istio-system/*"]}
          ],
          "inboundConnectionPool": {"tcp": {"maxConnections": 50}},
          "outboundTrafficPolicy": {"mode": "REGISTRY_ONLY", "egressProxy": {"host": "egress.example.com", "port": {"number": 3128}}}
        }
        """;
    Sidecar sc = parse(json, Sidecar.newBuilder()).build();

    assertThat(sc.getWorkloadSelector().getLabelsMap()).containsEntry("app", "ratings");
    assertThat(sc.getIngress(0).getCaptureMode().name()).isEqualTo("IPTABLES");
    assertThat(sc.getIngress(0).getTls().getServerCertificate())
        .isEqualTo("/etc/certs/servercert.pem");
    assertThat(sc.getEgress(0).getPort().getProtocol()).isEqualTo("MYSQL");
    assertThat(sc.getEgress(1).getHostsList()).containsExactly("./*", "istio-system/*");
    assertThat(sc.getInboundConnectionPool().getTcp().getMaxConnections()).isEqualTo(50);
    assertThat(sc.getOutboundTrafficPolicy().getEgressProxy().getPort().getNumber())
        .isEqualTo(3128);
    assertRoundTrips(sc);
  }

  @Test
  void envoyFilter() throws Exception {
    String json =
        """
        {
          "workloadSelector": {"labels": {"app": "reviews"}},
          "priority": 10,
          "configPatches": [
            {
              "applyTo": "NETWORK_FILTER",
              "match": {
                "context": "SIDECAR_OUTBOUND",
                "proxy": {"proxyVersion": "^1\\\\.2.*", "metadata": {"NAME": "reviews"}},
                "listener": {
                  "portNumber": 8080,
                  "filterChain": {"filter": {"name": "envoy.filters.network.http_connection_manager", "subFilter": {"name": "envoy.filters.http.router"}}}
                }
              },
              "patch": {
                "operation": "INSERT_BEFORE",
                "filterClass": "AUTHZ",
                "value": {
                  "name": "envoy.lua",
                  "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua",
                    "inlineCode": "function envoy_on_request(h) end",
                    "enabled": true,
                    "retries": 3
                  }
                }
              }
            },
            {
              "applyTo": "CLUSTER",
              "match": {"context": "SIDECAR_OUTBOUND", "cluster": {"service": "reviews.prod.svc.cluster.local", "portNumber": 9080, "subset": "v1"}},
              "patch": {"operation": "MERGE", "value": {"connect_timeout": "0.25s"}}
            },
            {
              "applyTo": "HTTP_ROUTE",
              "match": {
                "context": "GATEWAY",
                "routeConfiguration": {"portNumber": 443, "vhost": {"name": "www.example.com:443", "route": {"action": "ROUTE"}}}
              },
              "patch": {"operation": "MERGE", "value": {"route": {"timeout": "5s"}}}
            }
          ]
        }
        """;
    EnvoyFilter ef = parse(json, EnvoyFilter.newBuilder()).build();

    var first = ef.getConfigPatches(0);
    assertThat(ef.getPriority()).isEqualTo(10);
    assertThat(first.getApplyTo()).isEqualTo(EnvoyFilter.ApplyTo.NETWORK_FILTER);
    assertThat(first.getMatch().getContext()).isEqualTo(EnvoyFilter.PatchContext.SIDECAR_OUTBOUND);
    assertThat(first.getMatch().getObjectTypesCase())
        .isEqualTo(EnvoyFilter.EnvoyConfigObjectMatch.ObjectTypesCase.LISTENER);
    assertThat(first.getMatch().getListener().getFilterChain().getFilter().getSubFilter().getName())
        .isEqualTo("envoy.filters.http.router");
    assertThat(first.getPatch().getOperation())
        .isEqualTo(EnvoyFilter.Patch.Operation.INSERT_BEFORE);
    assertThat(first.getPatch().getFilterClass()).isEqualTo(EnvoyFilter.Patch.FilterClass.AUTHZ);
    var typedConfig = first.getPatch().getValue().getFieldsOrThrow("typed_config").getStructValue();
    assertThat(typedConfig.getFieldsOrThrow("@type").getStringValue()).endsWith(".Lua");
    assertThat(typedConfig.getFieldsOrThrow("retries").getNumberValue()).isEqualTo(3.0);
    assertThat(ef.getConfigPatches(1).getMatch().getCluster().getSubset()).isEqualTo("v1");
    assertThat(ef.getConfigPatches(2).getMatch().getRouteConfiguration().getVhost().getRoute())
        .extracting(r -> r.getAction().name())
        .isEqualTo("ROUTE");
    assertRoundTrips(ef);
  }

  @Test
  void workloadGroup() throws Exception {
    String json =
        """
        {
          "metadata": {"labels": {"app.kubernetes.io/name": "foo"}, "annotations": {"foo": "bar"}},
          "template": {"ports": {"grpc": 3550, "http": 8080}, "serviceAccount": "default", "network": "vm-net"},
          "probe": {
            "initialDelaySeconds": 5,
            "timeoutSeconds": 3,
            "periodSeconds": 4,
            "successThreshold": 3,
            "failureThreshold": 3,
            "httpGet": {"path": "/foo/bar", "host": "127.0.0.1", "port": 3100, "scheme": "HTTPS", "httpHeaders": [{"name": "Lit-Header", "value": "Im-The-Best"}]}
          }
        }
        """;
    WorkloadGroup wg = parse(json, WorkloadGroup.newBuilder()).build();

    assertThat(wg.getMetadata().getLabelsMap()).containsEntry("app.kubernetes.io/name", "foo");
    assertThat(wg.getTemplate().getPortsMap()).containsEntry("grpc", 3550);
    assertThat(wg.getProbe().getHealthCheckMethodCase())
        .isEqualTo(ReadinessProbe.HealthCheckMethodCase.HTTP_GET);
    assertThat(wg.getProbe().getHttpGet().getPort()).isEqualTo(3100);
    assertThat(wg.getProbe().getHttpGet().getHttpHeaders(0).getValue()).isEqualTo("Im-The-Best");
    assertRoundTrips(wg);

    WorkloadGroup exec =
        parse(
                """
                {"template": {"serviceAccount": "vm"},
                 "probe": {"periodSeconds": 10, "exec": {"command": ["cat", "/tmp/healthy"]}}}
                """,
                WorkloadGroup.newBuilder())
            .build();
    assertThat(exec.getProbe().getExec().getCommandList()).containsExactly("cat", "/tmp/healthy");
  }

  @Test
  void proxyConfigResource() throws Exception {
    String json =
        """
        {
          "selector": {"matchLabels": {"app": "ratings"}},
          "concurrency": 0,
          "environmentVariables": {"ISTIO_META_ENABLE_HBONE": "true"},
          "image": {"imageType": "distroless"}
        }
        """;
    var pc = parse(json, io.jistiod.galley.api.networking.v1beta1.ProxyConfig.newBuilder()).build();

    assertThat(pc.getSelector().getMatchLabelsMap()).containsEntry("app", "ratings");
    assertThat(pc.hasConcurrency()).as("0 is set, not absent").isTrue();
    assertThat(pc.getConcurrency().getValue()).isZero();
    assertThat(pc.getEnvironmentVariablesMap()).containsEntry("ISTIO_META_ENABLE_HBONE", "true");
    assertThat(pc.getImage().getImageType()).isEqualTo("distroless");
    assertRoundTrips(pc);
  }

  // ---------------------------------------------------------------------- security.istio.io

  @Test
  void authorizationPolicy() throws Exception {
    String json =
        """
        {
          "selector": {"matchLabels": {"app": "httpbin", "version": "v1"}},
          "action": "ALLOW",
          "rules": [
            {
              "from": [
                {"source": {"principals": ["cluster.local/ns/default/sa/sleep"]}},
                {"source": {"namespaces": ["test"], "notIpBlocks": ["203.0.113.4"]}}
              ],
              "to": [{"operation": {"methods": ["GET"], "paths": ["/info*"], "notPorts": ["8443"]}}],
              "when": [{"key": "request.auth.claims[iss]", "values": ["https://accounts.google.com"]}]
            }
          ]
        }
        """;
    AuthorizationPolicy ap = parse(json, AuthorizationPolicy.newBuilder()).build();

    assertThat(ap.getAction()).isEqualTo(AuthorizationPolicy.Action.ALLOW);
    assertThat(ap.getRules(0).getFrom(1).getSource().getNotIpBlocksList())
        .containsExactly("203.0.113.4");
    assertThat(ap.getRules(0).getTo(0).getOperation().getPathsList()).containsExactly("/info*");
    Condition when = ap.getRules(0).getWhen(0);
    assertThat(when.getKey()).isEqualTo("request.auth.claims[iss]");
    assertRoundTrips(ap);

    AuthorizationPolicy custom =
        parse(
                """
                {"targetRefs": [{"kind": "Gateway", "group": "gateway.networking.k8s.io", "name": "waypoint"}],
                 "action": "CUSTOM", "provider": {"name": "my-ext-authz"},
                 "rules": [{"to": [{"operation": {"paths": ["/admin/*"]}}]}]}
                """,
                AuthorizationPolicy.newBuilder())
            .build();
    assertThat(custom.getActionDetailCase())
        .isEqualTo(AuthorizationPolicy.ActionDetailCase.PROVIDER);
    assertThat(custom.getProvider().getName()).isEqualTo("my-ext-authz");
    PolicyTargetReference ref = custom.getTargetRefs(0);
    assertThat(ref.getKind()).isEqualTo("Gateway");
    assertThat(ref.getGroup()).isEqualTo("gateway.networking.k8s.io");
  }

  @Test
  void peerAuthentication() throws Exception {
    String json =
        """
        {
          "selector": {"matchLabels": {"app": "finance"}},
          "mtls": {"mode": "STRICT"},
          "portLevelMtls": {"8080": {"mode": "DISABLE"}, "9090": {"mode": "PERMISSIVE"}}
        }
        """;
    PeerAuthentication pa = parse(json, PeerAuthentication.newBuilder()).build();

    assertThat(pa.getMtls().getMode()).isEqualTo(PeerAuthentication.MutualTLS.Mode.STRICT);
    assertThat(pa.getPortLevelMtlsMap().get(8080).getMode())
        .isEqualTo(PeerAuthentication.MutualTLS.Mode.DISABLE);
    assertThat(pa.getPortLevelMtlsMap()).containsKey(9090);
    assertRoundTrips(pa);
  }

  @Test
  void requestAuthentication() throws Exception {
    String json =
        """
        {
          "selector": {"matchLabels": {"app": "httpbin"}},
          "jwtRules": [
            {
              "issuer": "issuer-foo",
              "jwksUri": "https://example.com/.well-known/jwks.json",
              "audiences": ["bookstore_android.apps.example.com"],
              "fromHeaders": [{"name": "x-goog-iap-jwt-assertion"}, {"name": "Authorization", "prefix": "Bearer "}],
              "fromParams": ["my_token"],
              "fromCookies": ["session"],
              "forwardOriginalToken": true,
              "outputClaimToHeaders": [{"header": "x-jwt-claim-group", "claim": "nested.key.group"}],
              "timeout": "5s"
            }
          ]
        }
        """;
    RequestAuthentication ra = parse(json, RequestAuthentication.newBuilder()).build();

    var rule = ra.getJwtRules(0);
    assertThat(rule.getIssuer()).isEqualTo("issuer-foo");
    assertThat(rule.getJwksUri()).endsWith("jwks.json");
    JWTHeader header = rule.getFromHeaders(1);
    assertThat(header.getPrefix()).isEqualTo("Bearer ");
    assertThat(rule.getOutputClaimToHeaders(0).getClaim()).isEqualTo("nested.key.group");
    assertThat(rule.getTimeout()).isEqualTo(Durations.fromSeconds(5));
    assertRoundTrips(ra);
  }

  // ------------------------------------------------------------- telemetry, extensions, mesh

  @Test
  void telemetry() throws Exception {
    String json =
        """
        {
          "selector": {"matchLabels": {"service.istio.io/canonical-name": "frontend"}},
          "tracing": [
            {
              "providers": [{"name": "zipkin"}],
              "randomSamplingPercentage": 10.00,
              "match": {"mode": "SERVER"},
              "customTags": {
                "my_new_foo_tag": {"literal": {"value": "foo"}},
                "cluster": {"environment": {"name": "ISTIO_META_CLUSTER_ID", "defaultValue": "unknown"}},
                "user": {"header": {"name": "x-user"}}
              }
            }
          ],
          "metrics": [
            {
              "providers": [{"name": "prometheus"}],
              "reportingInterval": "15s",
              "overrides": [
                {"match": {"metric": "REQUEST_COUNT", "mode": "CLIENT"}, "disabled": true},
                {
                  "match": {"customMetric": "my_metric"},
                  "tagOverrides": {"request_host": {"value": "request.host"}, "response_code": {"operation": "REMOVE"}}
                }
              ]
            }
          ],
          "accessLogging": [
            {"providers": [{"name": "envoy"}], "filter": {"expression": "response.code >= 400"}, "match": {"mode": "CLIENT_AND_SERVER"}}
          ]
        }
        """;
    Telemetry tm = parse(json, Telemetry.newBuilder()).build();

    var tracing = tm.getTracing(0);
    assertThat(tracing.getRandomSamplingPercentage().getValue()).isEqualTo(10.0);
    assertThat(tracing.getMatch().getMode())
        .isEqualTo(io.jistiod.galley.api.telemetry.v1alpha1.WorkloadMode.SERVER);
    assertThat(tracing.getCustomTagsMap().get("cluster").getEnvironment().getDefaultValue())
        .isEqualTo("unknown");
    var metrics = tm.getMetrics(0);
    assertThat(metrics.getReportingInterval()).isEqualTo(Durations.fromSeconds(15));
    assertThat(metrics.getOverrides(0).getMatch().getMetric())
        .isEqualTo(MetricSelector.IstioMetric.REQUEST_COUNT);
    assertThat(metrics.getOverrides(0).getDisabled().getValue()).isTrue();
    assertThat(metrics.getOverrides(1).getMatch().getMetricMatchCase())
        .isEqualTo(MetricSelector.MetricMatchCase.CUSTOM_METRIC);
    assertThat(metrics.getOverrides(1).getTagOverridesMap().get("response_code").getOperation())
        .extracting(Enum::name)
        .isEqualTo("REMOVE");
    assertThat(tm.getAccessLogging(0).getFilter().getExpression())
        .isEqualTo("response.code >= 400");
    assertRoundTrips(tm);
  }

  @Test
  void wasmPlugin() throws Exception {
    String json =
        """
        {
          "selector": {"matchLabels": {"istio": "ingressgateway"}},
          "url": "oci://private-registry:5000/openid-connect/openid:latest",
          "sha256": "1ef0c9a92b0420cf25f7fe5d481b231464bc88f486ca3b9c83ed5cc21d2f6210",
          "imagePullPolicy": "IfNotPresent",
          "imagePullSecret": "private-registry-pull-secret",
          "phase": "AUTHN",
          "priority": 1000,
          "failStrategy": "FAIL_OPEN",
          "type": "HTTP",
          "pluginConfig": {"openid_server": "authn", "openid_realm": "ingress", "max_age": 3600},
          "vmConfig": {"env": [{"name": "POD_NAME", "valueFrom": "HOST"}, {"name": "TRUST_DOMAIN", "value": "cluster.local"}]},
          "match": [{"mode": "SERVER", "ports": [{"number": 80}, {"number": 8080}]}]
        }
        """;
    WasmPlugin wp = parse(json, WasmPlugin.newBuilder()).build();

    assertThat(wp.getImagePullPolicy()).isEqualTo(PullPolicy.IfNotPresent);
    assertThat(wp.getPhase()).isEqualTo(PluginPhase.AUTHN);
    assertThat(wp.getPriority().getValue()).isEqualTo(1000);
    assertThat(wp.getFailStrategy()).isEqualTo(FailStrategy.FAIL_OPEN);
    assertThat(wp.getPluginConfig().getFieldsOrThrow("openid_realm").getStringValue())
        .isEqualTo("ingress");
    assertThat(wp.getVmConfig().getEnv(0).getValueFrom().name()).isEqualTo("HOST");
    assertThat(wp.getMatch(0).getMode()).isEqualTo(WorkloadMode.SERVER);
    assertThat(wp.getMatch(0).getPorts(1).getNumber()).isEqualTo(8080);
    assertRoundTrips(wp);
  }

  @Test
  void meshConfig() throws Exception {
    String json =
        """
        {
          "accessLogFile": "/dev/stdout",
          "accessLogEncoding": "JSON",
          "enableTracing": true,
          "enableAutoMtls": true,
          "trustDomain": "cluster.local",
          "trustDomainAliases": ["old-td"],
          "rootNamespace": "istio-system",
          "ingressControllerMode": "STRICT",
          "ingressClass": "istio",
          "protocolDetectionTimeout": "0.100s",
          "connectTimeout": "10s",
          "defaultServiceExportTo": ["*"],
          "outboundTrafficPolicy": {"mode": "ALLOW_ANY"},
          "discoverySelectors": [
            {"matchLabels": {"istio-discovery": "enabled"}},
            {"matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "staging"]}]}
          ],
          "localityLbSetting": {"enabled": true, "failover": [{"from": "us-east", "to": "us-west"}]},
          "defaultConfig": {
            "discoveryAddress": "istiod.istio-system.svc:15012",
            "proxyMetadata": {"ISTIO_META_DNS_CAPTURE": "true"},
            "holdApplicationUntilProxyStarts": true,
            "tracing": {"zipkin": {"address": "zipkin.istio-system:9411"}, "sampling": 1.0},
            "drainDuration": "45s",
            "concurrency": 2,
            "tracingServiceName": "CANONICAL_NAME_ONLY",
            "gatewayTopology": {"numTrustedProxies": 1, "forwardClientCertDetails": "SANITIZE_SET"},
            "proxyStatsMatcher": {"inclusionPrefixes": ["cluster.outbound"]}
          },
          "extensionProviders": [
            {
              "name": "my-ext-authz",
              "envoyExtAuthzHttp": {
                "service": "ext-authz.foo.svc.cluster.local",
                "port": 8000,
                "timeout": "0.5s",
                "includeRequestHeadersInCheck": ["x-ext-authz"],
                "headersToUpstreamOnAllow": ["x-user"]
              }
            },
            {
              "name": "otel",
              "opentelemetry": {
                "service": "opentelemetry-collector.observability.svc.cluster.local",
                "port": 4317,
                "resourceDetectors": {"environment": {}}
              }
            },
            {"name": "envoy-json", "envoyFileAccessLog": {"path": "/dev/stdout", "logFormat": {"labels": {"code": "%RESPONSE_CODE%"}}}},
            {"name": "prometheus", "prometheus": {}}
          ],
          "defaultProviders": {"metrics": ["prometheus"], "tracing": ["otel"], "accessLogging": ["envoy-json"]},
          "meshMTLS": {"minProtocolVersion": "TLSV1_3"},
          "tlsDefaults": {"ecdhCurves": ["P-256"]},
          "caCertificates": [{"pem": "-----BEGIN CERTIFICATE-----", "trustDomains": ["foo.org"]}],
          "serviceSettings": [{"settings": {"clusterLocal": true}, "hosts": ["*.istio-system.svc.cluster.local"]}],
          "pathNormalization": {"normalization": "MERGE_SLASHES"},
          "defaultHttpRetryPolicy": {"attempts": 2, "retryOn": "connect-failure"}
        }
        """;
    MeshConfig mc = parse(json, MeshConfig.newBuilder()).build();

    assertThat(mc.getAccessLogEncoding()).isEqualTo(MeshConfig.AccessLogEncoding.JSON);
    assertThat(mc.getEnableAutoMtls().getValue()).isTrue();
    assertThat(mc.getOutboundTrafficPolicy().getMode())
        .isEqualTo(MeshConfig.OutboundTrafficPolicy.Mode.ALLOW_ANY);
    assertThat(mc.getDiscoverySelectors(1).getMatchExpressions(0).getValuesList())
        .containsExactly("prod", "staging");
    ProxyConfig proxy = mc.getDefaultConfig();
    assertThat(proxy.getProxyMetadataMap()).containsEntry("ISTIO_META_DNS_CAPTURE", "true");
    assertThat(proxy.getTracing().getZipkin().getAddress()).isEqualTo("zipkin.istio-system:9411");
    assertThat(proxy.getClusterNameCase())
        .isEqualTo(ProxyConfig.ClusterNameCase.TRACING_SERVICE_NAME);
    assertThat(proxy.getConcurrency().getValue()).isEqualTo(2);
    assertThat(proxy.getGatewayTopology().getForwardClientCertDetails().name())
        .isEqualTo("SANITIZE_SET");
    var authz = mc.getExtensionProviders(0);
    assertThat(authz.getProviderCase())
        .isEqualTo(MeshConfig.ExtensionProvider.ProviderCase.ENVOY_EXT_AUTHZ_HTTP);
    assertThat(authz.getEnvoyExtAuthzHttp().getTimeout()).isEqualTo(Durations.fromMillis(500));
    assertThat(mc.getExtensionProviders(1).getOpentelemetry().getPort()).isEqualTo(4317);
    assertThat(
            mc.getExtensionProviders(1).getOpentelemetry().getResourceDetectors().hasEnvironment())
        .isTrue();
    assertThat(mc.getExtensionProviders(3).hasPrometheus()).isTrue();
    assertThat(mc.getDefaultProviders().getTracingList()).containsExactly("otel");
    assertThat(mc.getMeshMTLS().getMinProtocolVersion())
        .isEqualTo(MeshConfig.TLSConfig.TLSProtocol.TLSV1_3);
    assertThat(mc.getServiceSettings(0).getSettings().getClusterLocal()).isTrue();
    assertThat(mc.getDefaultHttpRetryPolicy().getAttempts()).isEqualTo(2);
    assertRoundTrips(mc);
  }

  @Test
  void meshNetworksAndStatus() throws Exception {
    MeshNetworks mn =
        parse(
                """
                {"networks": {
                  "network1": {"endpoints": [{"fromRegistry": "Kubernetes"}], "gateways": [{"address": "192.168.0.1", "port": 15443}]},
                  "network2": {"endpoints": [{"fromCidr": "10.0.0.0/16"}], "gateways": [{"registryServiceName": "istio-eastwestgateway.istio-system.svc.cluster.local", "port": 15443}]}
                }}
                """,
                MeshNetworks.newBuilder())
            .build();
    assertThat(mn.getNetworksMap().get("network1").getGateways(0).getAddress())
        .isEqualTo("192.168.0.1");
    assertThat(mn.getNetworksMap().get("network2").getEndpoints(0).getFromCidr())
        .isEqualTo("10.0.0.0/16");

    IstioStatus status =
        parse(
                """
                {"conditions": [{"type": "Reconciled", "status": "True", "lastTransitionTime": "2024-01-02T03:04:05Z", "observedGeneration": "3"}],
                 "validationMessages": [{"type": {"code": "IST0101", "name": "ReferencedResourceNotFound"}, "level": "ERROR"}],
                 "observedGeneration": "3"}
                """,
                IstioStatus.newBuilder())
            .build();
    assertThat(status.getConditions(0).getLastTransitionTime().getSeconds()).isEqualTo(1704164645L);
    assertThat(status.getValidationMessages(0).getLevel().getNumber()).isEqualTo(3);
    assertThat(status.getObservedGeneration()).isEqualTo(3L);
  }

  // ------------------------------------------------------------------ descriptors vs istio/api

  @Test
  void networkingFieldNumbersMatchIstio() {
    Descriptor vs = VirtualService.getDescriptor();
    assertThat(vs.getFullName()).isEqualTo("istio.networking.v1alpha3.VirtualService");
    assertNumber(vs, "hosts", 1);
    assertNumber(vs, "gateways", 2);
    assertNumber(vs, "http", 3);
    assertNumber(vs, "tcp", 4);
    assertNumber(vs, "tls", 5);
    assertNumber(vs, "export_to", 6);

    Descriptor route = HTTPRoute.getDescriptor();
    assertNumber(route, "match", 1);
    assertNumber(route, "route", 2);
    assertNumber(route, "redirect", 3);
    assertNumber(route, "timeout", 6);
    assertNumber(route, "headers", 16);
    assertNumber(route, "name", 17);
    assertNumber(route, "delegate", 20);
    assertNumber(route, "direct_response", 21);
    assertNumber(route, "mirrors", 22);
    assertThat(route.findFieldByNumber(5)).as("reserved websocket_upgrade").isNull();
    assertThat(field(route, "mirror_percent").getOptions().getDeprecated()).isTrue();

    Descriptor dr = DestinationRule.getDescriptor();
    assertNumber(dr, "host", 1);
    assertNumber(dr, "traffic_policy", 2);
    assertNumber(dr, "subsets", 3);
    assertNumber(dr, "export_to", 4);
    assertNumber(dr, "workload_selector", 5);
    assertThat(field(dr, "workload_selector").getMessageType().getFullName())
        .isEqualTo("istio.type.v1beta1.WorkloadSelector");

    Descriptor hash = LoadBalancerSettings.ConsistentHashLB.getDescriptor();
    assertNumber(hash, "http_header_name", 1);
    assertNumber(hash, "use_source_ip", 3);
    assertNumber(hash, "http_query_parameter_name", 5);
    assertNumber(hash, "maglev", 7);
    assertThat(oneofOf(hash, "http_query_parameter_name")).isEqualTo("hash_key");
    assertThat(oneofOf(hash, "ring_hash")).isEqualTo("hash_algorithm");
    assertThat(oneofOf(LoadBalancerSettings.getDescriptor(), "consistent_hash"))
        .isEqualTo("lb_policy");
    assertThat(LoadBalancerSettings.SimpleLB.LEAST_REQUEST.getNumber()).isEqualTo(5);
    assertThat(
            LoadBalancerSettings.SimpleLB.LEAST_CONN
                .getValueDescriptor()
                .getOptions()
                .getDeprecated())
        .isTrue();

    Descriptor od = OutlierDetection.getDescriptor();
    assertNumber(od, "consecutive_5xx_errors", 7);
    assertThat(field(od, "consecutive_5xx_errors").getJsonName()).isEqualTo("consecutive5xxErrors");
    assertNumber(od, "split_external_local_origin_errors", 8);

    Descriptor se = ServiceEntry.getDescriptor();
    assertNumber(se, "endpoints", 6);
    assertNumber(se, "export_to", 7);
    assertNumber(se, "subject_alt_names", 8);
    assertNumber(se, "workload_selector", 9);
    assertThat(field(se, "workload_selector").getMessageType().getFullName())
        .isEqualTo("istio.networking.v1alpha3.WorkloadSelector");
    assertThat(ServiceEntry.Resolution.DNS_ROUND_ROBIN.getNumber()).isEqualTo(3);

    Descriptor we = WorkloadEntry.getDescriptor();
    assertNumber(we, "service_account", 7);
    assertThat(field(we, "ports").isMapField()).isTrue();
  }

  @Test
  void requiredFieldsAreMarked() {
    assertThat(required(HTTPRouteDestination.getDescriptor(), "destination")).isTrue();
    assertThat(required(Destination.getDescriptor(), "host")).isTrue();
    assertThat(required(Destination.getDescriptor(), "subset")).isFalse();
    assertThat(required(DestinationRule.getDescriptor(), "host")).isTrue();
    assertThat(required(Subset.getDescriptor(), "name")).isTrue();
    assertThat(required(ServiceEntry.getDescriptor(), "hosts")).isTrue();
    assertThat(required(VirtualService.getDescriptor(), "hosts")).isFalse();
  }

  @Test
  void otherFieldNumbersMatchIstio() {
    Descriptor server = Server.getDescriptor();
    assertNumber(server, "port", 1);
    assertNumber(server, "hosts", 2);
    assertNumber(server, "tls", 3);
    assertNumber(server, "bind", 4);
    assertNumber(server, "name", 6);
    assertNumber(ServerTLSSettings.getDescriptor(), "credential_name", 10);
    assertNumber(ServerTLSSettings.getDescriptor(), "insecure_skip_verify", 17);

    Descriptor sidecar = Sidecar.getDescriptor();
    assertNumber(sidecar, "egress", 3);
    assertNumber(sidecar, "outbound_traffic_policy", 4);
    assertNumber(sidecar, "inbound_connection_pool", 7);
    assertThat(sidecar.findFieldByNumber(5)).isNull();

    Descriptor ef = EnvoyFilter.getDescriptor();
    assertNumber(ef, "workload_selector", 3);
    assertNumber(ef, "config_patches", 4);
    assertNumber(ef, "priority", 5);
    assertNumber(ef, "targetRefs", 6);
    assertThat(field(ef, "targetRefs").getJsonName()).isEqualTo("targetRefs");
    assertThat(EnvoyFilter.ApplyTo.LISTENER_FILTER.getNumber()).isEqualTo(11);
    assertThat(oneofOf(EnvoyFilter.EnvoyConfigObjectMatch.getDescriptor(), "waypoint"))
        .isEqualTo("object_types");

    assertNumber(ReadinessProbe.getDescriptor(), "http_get", 7);
    assertNumber(ReadinessProbe.getDescriptor(), "grpc", 10);

    Descriptor ap = AuthorizationPolicy.getDescriptor();
    assertNumber(ap, "selector", 1);
    assertNumber(ap, "rules", 2);
    assertNumber(ap, "action", 3);
    assertNumber(ap, "provider", 4);
    assertNumber(ap, "targetRef", 5);
    assertNumber(ap, "targetRefs", 6);
    assertThat(oneofOf(ap, "provider")).isEqualTo("action_detail");

    Descriptor pa = PeerAuthentication.getDescriptor();
    assertNumber(pa, "port_level_mtls", 3);
    assertThat(field(pa, "port_level_mtls").getMessageType().findFieldByName("key").getType())
        .isEqualTo(FieldDescriptor.Type.UINT32);

    assertNumber(RequestAuthentication.getDescriptor(), "jwt_rules", 2);
    assertNumber(io.jistiod.galley.api.security.v1beta1.JWTRule.getDescriptor(), "jwks", 10);

    Descriptor telemetry = Telemetry.getDescriptor();
    assertNumber(telemetry, "tracing", 2);
    assertNumber(telemetry, "metrics", 3);
    assertNumber(telemetry, "access_logging", 4);

    Descriptor wasm = WasmPlugin.getDescriptor();
    assertNumber(wasm, "url", 2);
    assertNumber(wasm, "plugin_config", 7);
    assertNumber(wasm, "match", 12);
    assertNumber(wasm, "fail_strategy", 13);
    assertNumber(wasm, "type", 14);
    assertThat(PullPolicy.Always.getNumber()).isEqualTo(2);

    Descriptor mesh = MeshConfig.getDescriptor();
    assertNumber(mesh, "proxy_listen_port", 4);
    assertNumber(mesh, "default_config", 14);
    assertNumber(mesh, "extension_providers", 57);
    assertNumber(mesh, "discovery_selectors", 59);
    assertNumber(mesh, "mesh_mTLS", 63);
    assertThat(field(mesh, "mesh_mTLS").getJsonName()).isEqualTo("meshMTLS");
    assertThat(mesh.findFieldByNumber(1)).as("reserved mixer_check_server").isNull();
    assertThat(oneofOf(MeshConfig.ExtensionProvider.getDescriptor(), "opentelemetry"))
        .isEqualTo("provider");
    assertThat(
            field(MeshConfig.ExtensionProvider.getDescriptor(), "lightstep")
                .getOptions()
                .getDeprecated())
        .isTrue();

    Descriptor proxy = ProxyConfig.getDescriptor();
    assertThat(proxy.getFullName()).isEqualTo("istio.mesh.v1alpha1.ProxyConfig");
    assertNumber(proxy, "discovery_address", 6);
    assertNumber(proxy, "proxy_metadata", 24);
    assertNumber(proxy, "tracing_service_name", 36);
    assertThat(oneofOf(proxy, "service_cluster")).isEqualTo("cluster_name");
    assertThat(proxy.findFieldByNumber(5)).as("reserved parent_shutdown_duration").isNull();
  }

  @Test
  void requiredFieldsAreMarkedAcrossKinds() {
    assertThat(required(Server.getDescriptor(), "port")).isTrue();
    assertThat(required(Server.getDescriptor(), "hosts")).isTrue();
    assertThat(required(WorkloadGroup.getDescriptor(), "template")).isTrue();
    assertThat(required(Condition.getDescriptor(), "key")).isTrue();
    assertThat(required(JWTHeader.getDescriptor(), "name")).isTrue();
    assertThat(required(WasmPlugin.getDescriptor(), "url")).isTrue();
    assertThat(required(PolicyTargetReference.getDescriptor(), "name")).isTrue();
    assertThat(required(PolicyTargetReference.getDescriptor(), "group")).isFalse();
    assertThat(required(MeshNetworks.getDescriptor(), "networks")).isTrue();
  }
}

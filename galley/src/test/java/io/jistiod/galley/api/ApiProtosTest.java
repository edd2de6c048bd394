package io.jistiod.galley.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.JsonFormat;
import io.jistiod.galley.api.networking.v1alpha3.ClientTLSSettings;
import io.jistiod.galley.api.networking.v1alpha3.ConnectionPoolSettings;
import io.jistiod.galley.api.networking.v1alpha3.Destination;
import io.jistiod.galley.api.networking.v1alpha3.DestinationRule;
import io.jistiod.galley.api.networking.v1alpha3.HTTPFaultInjection;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRoute;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRouteDestination;
import io.jistiod.galley.api.networking.v1alpha3.LoadBalancerSettings;
import io.jistiod.galley.api.networking.v1alpha3.OutlierDetection;
import io.jistiod.galley.api.networking.v1alpha3.ServiceEntry;
import io.jistiod.galley.api.networking.v1alpha3.StringMatch;
import io.jistiod.galley.api.networking.v1alpha3.Subset;
import io.jistiod.galley.api.networking.v1alpha3.TrafficPolicy;
import io.jistiod.galley.api.networking.v1alpha3.VirtualService;
import io.jistiod.galley.api.networking.v1alpha3.WorkloadEntry;
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
}

package io.jistiod.pilot.xds;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.ConfigKey;
import io.jistiod.pilot.push.Kind;
import io.jistiod.pilot.push.PushRequest;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Per-type dependencies, as istiod's cds/lds/rds/eds/sdsNeedsPush. */
class PushFilterTest {
  private static Proxy proxy(String id, String generator) throws Exception {
    var meta = com.google.protobuf.Struct.newBuilder();
    meta.putFields(
        "NAMESPACE", com.google.protobuf.Value.newBuilder().setStringValue("shop").build());
    if (generator != null) {
      meta.putFields(
          "GENERATOR", com.google.protobuf.Value.newBuilder().setStringValue(generator).build());
    }
    return Proxy.fromNode(id, meta.build(), Locality.UNKNOWN);
  }

  private static PushRequest full(Kind kind) {
    return PushRequest.full("config", ConfigKey.of(kind, "shop", "x"), 0);
  }

  @Test
  void eachTypeIsPushedOnlyForTheKindsItDependsOn() throws Exception {
    Proxy sidecar = proxy("sidecar~10.0.0.1~p.shop~shop.svc.cluster.local", null);
    Proxy gateway = proxy("router~10.0.0.2~gw.shop~shop.svc.cluster.local", null);

    PushRequest vs = full(Kind.VIRTUAL_SERVICE);
    // a Sidecar resource's scope imports VirtualService destinations (clusters); a sidecar's
    // without one or a gateway's does not
    assertThat(PushFilter.needsPush(TypeUrls.CLUSTER, sidecar, vs, true)).isTrue();
    assertThat(PushFilter.needsPush(TypeUrls.CLUSTER, sidecar, vs, false)).isFalse();
    assertThat(PushFilter.needsPush(TypeUrls.CLUSTER, gateway, vs, true)).isFalse();
    assertThat(PushFilter.needsPush(TypeUrls.ENDPOINT, sidecar, vs, false)).isFalse();
    assertThat(PushFilter.needsPush(TypeUrls.LISTENER, sidecar, vs, false)).isTrue();
    assertThat(PushFilter.needsPush(TypeUrls.ROUTE, sidecar, vs, false)).isTrue();
    assertThat(PushFilter.needsPush(TypeUrls.SECRET, sidecar, vs, false)).isFalse();

    PushRequest dr = full(Kind.DESTINATION_RULE);
    assertThat(PushFilter.needsPush(TypeUrls.CLUSTER, sidecar, dr, false)).isTrue();
    assertThat(PushFilter.needsPush(TypeUrls.ENDPOINT, sidecar, dr, false)).isTrue();

    PushRequest authz = full(Kind.AUTHORIZATION_POLICY);
    assertThat(PushFilter.needsPush(TypeUrls.CLUSTER, sidecar, authz, false)).isFalse();
    assertThat(PushFilter.needsPush(TypeUrls.ROUTE, sidecar, authz, false)).isFalse();
    assertThat(PushFilter.needsPush(TypeUrls.LISTENER, sidecar, authz, false)).isTrue();

    // Telemetry access logs sit on listeners (HCMs, TCP proxies, the listeners themselves) only
    PushRequest telemetry = full(Kind.TELEMETRY);
    assertThat(PushFilter.needsPush(TypeUrls.LISTENER, sidecar, telemetry, false)).isTrue();
    assertThat(PushFilter.needsPush(TypeUrls.LISTENER, gateway, telemetry, false)).isTrue();
    assertThat(PushFilter.needsPush(TypeUrls.ROUTE, sidecar, telemetry, false)).isFalse();
    assertThat(PushFilter.needsPush(TypeUrls.CLUSTER, sidecar, telemetry, true)).isFalse();

    // an EnvoyFilter patches listeners, clusters and routes of sidecars and gateways alike
    PushRequest ef = full(Kind.ENVOY_FILTER);
    for (Proxy p : List.of(sidecar, gateway)) {
      assertThat(PushFilter.needsPush(TypeUrls.LISTENER, p, ef, false)).isTrue();
      assertThat(PushFilter.needsPush(TypeUrls.CLUSTER, p, ef, false)).isTrue();
      assertThat(PushFilter.needsPush(TypeUrls.ROUTE, p, ef, false)).isTrue();
      assertThat(PushFilter.needsPush(TypeUrls.SECRET, p, ef, false)).isFalse();
    }

    PushRequest gw = full(Kind.GATEWAY);
    assertThat(PushFilter.needsPush(TypeUrls.LISTENER, sidecar, gw, false)).isFalse();
    assertThat(PushFilter.needsPush(TypeUrls.LISTENER, gateway, gw, false)).isTrue();
    assertThat(PushFilter.needsPush(TypeUrls.ENDPOINT, gateway, gw, false)).isFalse();
  }

  @Test
  void aWaypointFollowsItsRoutesDestinationsAndTheAddressesItServes() throws Exception {
    Proxy waypoint = proxy("waypoint~10.0.0.4~wp.shop~shop.svc.cluster.local", null);
    Proxy sidecar = proxy("sidecar~10.0.0.1~p.shop~shop.svc.cluster.local", null);
    // a route of a served service may name a destination the waypoint needs an outbound cluster for
    PushRequest vs = full(Kind.VIRTUAL_SERVICE);
    assertThat(PushFilter.needsPush(TypeUrls.CLUSTER, waypoint, vs, false)).isTrue();
    assertThat(PushFilter.needsPush(TypeUrls.LISTENER, waypoint, vs, false)).isTrue();
    // an endpoints-only change may move the workloads it serves (its chains match their IPs)
    PushRequest slice =
        PushRequest.incremental(
            "endpoint", Set.of(ConfigKey.of(Kind.ENDPOINT_SLICE, "shop", "a-1")), 0);
    assertThat(PushFilter.needsPush(TypeUrls.LISTENER, waypoint, slice, false)).isTrue();
    assertThat(PushFilter.needsPush(TypeUrls.CLUSTER, waypoint, slice, false)).isTrue();
    assertThat(PushFilter.needsPush(TypeUrls.ROUTE, waypoint, slice, false)).isFalse();
    assertThat(PushFilter.needsPush(TypeUrls.LISTENER, sidecar, slice, false)).isFalse();
    // what never shapes its clusters still does not
    assertThat(PushFilter.needsPush(TypeUrls.CLUSTER, waypoint, full(Kind.TELEMETRY), false))
        .isFalse();
  }

  @Test
  void incrementalRequestsPushOnlyEndpointsAndSecrets() throws Exception {
    Proxy grpc = proxy("sidecar~10.0.0.3~c.shop~shop.svc.cluster.local", "grpc");
    PushRequest endpoints =
        PushRequest.incremental(
            "endpoint", Set.of(ConfigKey.service("a.shop.svc.cluster.local", "shop")), 0);
    assertThat(PushFilter.needsPush(TypeUrls.ENDPOINT, grpc, endpoints, false)).isTrue();
    assertThat(PushFilter.needsPush(TypeUrls.CLUSTER, grpc, endpoints, false)).isFalse();
    assertThat(PushFilter.needsPush(TypeUrls.SECRET, grpc, endpoints, false)).isFalse();
    assertThat(PushFilter.edsOnlyChangedServices(endpoints)).isTrue();
    // proxyless gRPC regenerates its types on every full push, as istiod's grpc generator
    assertThat(PushFilter.needsPush(TypeUrls.CLUSTER, grpc, full(Kind.VIRTUAL_SERVICE), false))
        .isTrue();

    PushRequest secret =
        PushRequest.incremental("secret", Set.of(ConfigKey.of(Kind.SECRET, "gw", "cred")), 0);
    assertThat(PushFilter.needsPush(TypeUrls.SECRET, grpc, secret, false)).isTrue();
    assertThat(PushFilter.needsPush(TypeUrls.ENDPOINT, grpc, secret, false)).isFalse();
    assertThat(PushFilter.secretRelevant("kubernetes://cred", "gw", secret)).isTrue();
    assertThat(PushFilter.secretRelevant("kubernetes://gw/cred", "other", secret)).isTrue();
    assertThat(PushFilter.secretRelevant("kubernetes://cred-cacert", "gw", secret)).isTrue();
    assertThat(PushFilter.secretRelevant("kubernetes://cred", "other", secret)).isFalse();
    assertThat(PushFilter.secretRelevant("kubernetes://other", "gw", secret)).isFalse();
  }

  @Test
  void aForcedOrUnnamedChangePushesEverything() throws Exception {
    Proxy sidecar = proxy("sidecar~10.0.0.1~p.shop~shop.svc.cluster.local", null);
    for (String type : TypeUrls.PUSH_ORDER) {
      assertThat(PushFilter.needsPush(type, sidecar, PushRequest.fullForAll("global", 0), false))
          .isTrue();
    }
    PushRequest node =
        PushRequest.incremental("endpoint", Set.of(ConfigKey.of(Kind.NODE, "", "n1")), 0);
    assertThat(PushFilter.edsOnlyChangedServices(node)).isFalse();
    // endpoints-only and unnamed: every load assignment, but nothing else
    PushRequest allEndpoints = PushRequest.incremental("endpoint", Set.of(), 0);
    assertThat(allEndpoints.forced()).isTrue();
    assertThat(PushFilter.needsPush(TypeUrls.ENDPOINT, sidecar, allEndpoints, false)).isTrue();
    assertThat(PushFilter.edsOnlyChangedServices(allEndpoints)).isFalse();
    for (String type : List.of(TypeUrls.CLUSTER, TypeUrls.LISTENER, TypeUrls.ROUTE)) {
      assertThat(PushFilter.needsPush(type, sidecar, allEndpoints, false)).isFalse();
    }
  }
}

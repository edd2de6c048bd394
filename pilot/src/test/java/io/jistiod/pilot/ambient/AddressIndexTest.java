package io.jistiod.pilot.ambient;

import static io.jistiod.pilot.ambient.AmbientObjects.ambientPod;
import static io.jistiod.pilot.ambient.AmbientObjects.node;
import static io.jistiod.pilot.ambient.AmbientObjects.pod;
import static io.jistiod.pilot.ambient.AmbientObjects.service;
import static io.jistiod.pilot.ambient.AmbientObjects.svc;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.fabric8.kubernetes.api.model.Pod;
import io.jistiod.pilot.api.workload.Address;
import io.jistiod.pilot.api.workload.IPFamilies;
import io.jistiod.pilot.api.workload.LoadBalancing;
import io.jistiod.pilot.api.workload.Locality;
import io.jistiod.pilot.api.workload.NetworkAddress;
import io.jistiod.pilot.api.workload.NetworkMode;
import io.jistiod.pilot.api.workload.Port;
import io.jistiod.pilot.api.workload.PortList;
import io.jistiod.pilot.api.workload.Service;
import io.jistiod.pilot.api.workload.TunnelProtocol;
import io.jistiod.pilot.api.workload.Workload;
import io.jistiod.pilot.api.workload.WorkloadStatus;
import io.jistiod.pilot.api.workload.WorkloadType;
import io.jistiod.pilot.xds.XdsResource;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Pods and Services as istiod 1.27 turns them into the workload API's addresses. */
class AddressIndexTest {
  private static final AmbientSettings SETTINGS =
      new AmbientSettings("Kubernetes", "cluster.local");
  private static final String PRODUCTPAGE = "Kubernetes//Pod/shop/productpage-x7k2p";
  private static final String PRODUCTPAGE_SVC = "shop/productpage.shop.svc.cluster.local";
  private static final ZtunnelPolicies NO_POLICIES =
      ZtunnelPolicies.convert(List.of(), "istio-system");

  private static AddressIndex index(
      List<Pod> pods, List<io.fabric8.kubernetes.api.model.Service> services) {
    return AddressIndex.build(
        new AmbientInputs(pods, services, List.of(node("node-1", "eu", "eu-1a"))),
        SETTINGS,
        "cluster.local",
        NO_POLICIES,
        "istio-system",
        AddressIndex.EMPTY);
  }

  private static ByteString ip(int... octets) {
    byte[] b = new byte[octets.length];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) octets[i];
    }
    return ByteString.copyFrom(b);
  }

  @Test
  void anAmbientPodIsAnHboneWorkloadWithItsServicesPortsIdentityAndLocality() {
    AddressIndex idx =
        index(
            List.of(ambientPod("shop", "productpage-x7k2p", "10.1.0.7")),
            List.of(svc("shop", "productpage", "productpage", "10.96.0.10")));

    Workload expected =
        Workload.newBuilder()
            .setUid(PRODUCTPAGE)
            .setName("productpage-x7k2p")
            .setNamespace("shop")
            .addAddresses(ip(10, 1, 0, 7))
            .setTunnelProtocol(TunnelProtocol.HBONE)
            .setServiceAccount("sa-productpage")
            .setNode("node-1")
            .setCanonicalName("productpage")
            .setCanonicalRevision("latest")
            .setWorkloadType(WorkloadType.POD)
            .setWorkloadName("productpage") // the Deployment: ReplicaSet name less the hash
            .putServices(
                PRODUCTPAGE_SVC,
                PortList.newBuilder()
                    .addPorts(Port.newBuilder().setServicePort(80).setTargetPort(8080)) // named
                    .addPorts(Port.newBuilder().setServicePort(9090).setTargetPort(9091))
                    .build())
            .setStatus(WorkloadStatus.HEALTHY)
            .setClusterId("Kubernetes")
            .setLocality(Locality.newBuilder().setRegion("eu").setZone("eu-1a"))
            .build();
    assertThat(idx.address(PRODUCTPAGE))
        .isEqualTo(Address.newBuilder().setWorkload(expected).build());
  }

  @Test
  void aServiceHasItsVipsPortsAndIpFamilies() {
    AddressIndex idx =
        index(List.of(), List.of(svc("shop", "productpage", "productpage", "10.96.0.10")));

    Service expected =
        Service.newBuilder()
            .setName("productpage")
            .setNamespace("shop")
            .setHostname("productpage.shop.svc.cluster.local")
            .addAddresses(NetworkAddress.newBuilder().setAddress(ip(10, 96, 0, 10)))
            // a named target port is resolved per workload, so 0 here
            .addPorts(Port.newBuilder().setServicePort(80).setTargetPort(0))
            .addPorts(Port.newBuilder().setServicePort(9090).setTargetPort(9091))
            .setIpFamilies(IPFamilies.IPV4_ONLY)
            .build();
    assertThat(idx.address(PRODUCTPAGE_SVC))
        .isEqualTo(Address.newBuilder().setService(expected).build());
  }

  @Test
  void podsOutsideAmbientAreTcpWorkloadsAndNativeHboneIsMarked() {
    Pod plain = pod("shop", "reviews-a1b2c", "10.1.0.8").build();
    Pod hbone =
        pod("shop", "waypoint-q9w8e", "10.1.0.9")
            .editMetadata()
            .addToLabels("networking.istio.io/tunnel", "http")
            .endMetadata()
            .build();
    AddressIndex idx = index(List.of(plain, hbone), List.of());

    Workload p = idx.address("Kubernetes//Pod/shop/reviews-a1b2c").getWorkload();
    assertThat(p.getTunnelProtocol()).isEqualTo(TunnelProtocol.NONE);
    assertThat(p.getNativeTunnel()).isFalse();
    Workload h = idx.address("Kubernetes//Pod/shop/waypoint-q9w8e").getWorkload();
    assertThat(h.getTunnelProtocol()).isEqualTo(TunnelProtocol.HBONE);
    assertThat(h.getNativeTunnel()).isTrue();
  }

  @Test
  void unreadyTerminatingHostNetworkAndLabelledPods() {
    Pod unready =
        pod("shop", "a-1", "10.1.0.1")
            .editStatus()
            .editFirstCondition()
            .withStatus("False")
            .endCondition()
            .endStatus()
            .build();
    Pod deleting =
        pod("shop", "b-1", "10.1.0.2")
            .editMetadata()
            .withDeletionTimestamp("2026-01-01T00:00:00Z")
            .endMetadata()
            .build();
    Pod host =
        pod("shop", "c-1", "10.1.0.3")
            .editSpec()
            .withHostNetwork(true)
            .endSpec()
            .editMetadata()
            .addToLabels("service.istio.io/canonical-name", "cee")
            .addToLabels("version", "v3")
            .addToLabels("service.istio.io/workload-name", "custom")
            .endMetadata()
            .build();
    AddressIndex idx = index(List.of(unready, deleting, host), List.of());

    assertThat(idx.address("Kubernetes//Pod/shop/a-1").getWorkload().getStatus())
        .isEqualTo(WorkloadStatus.UNHEALTHY);
    assertThat(idx.address("Kubernetes//Pod/shop/b-1").getWorkload().getStatus())
        .isEqualTo(WorkloadStatus.UNHEALTHY);
    Workload c = idx.address("Kubernetes//Pod/shop/c-1").getWorkload();
    assertThat(c.getNetworkMode()).isEqualTo(NetworkMode.HOST_NETWORK);
    assertThat(c.getCanonicalName()).isEqualTo("cee");
    assertThat(c.getCanonicalRevision()).isEqualTo("v3");
    assertThat(c.getWorkloadName()).isEqualTo("custom");
  }

  @Test
  void finishedPodsPodsWithoutIpAndExternalNameServicesHaveNoAddress() {
    Pod done =
        pod("shop", "job-1", "10.1.0.4").editStatus().withPhase("Succeeded").endStatus().build();
    Pod pending =
        pod("shop", "new-1", "10.1.0.5")
            .editStatus()
            .withPodIP(null)
            .withPodIPs()
            .endStatus()
            .build();
    var external =
        service("shop", "ext", "ext", null)
            .editSpec()
            .withType("ExternalName")
            .withExternalName("example.com")
            .withClusterIP(null)
            .withClusterIPs()
            .endSpec()
            .build();
    AddressIndex idx = index(List.of(done, pending), List.of(external));

    assertThat(idx.all()).isEmpty();
  }

  @Test
  void badInputDropsOnlyItsOwnObject() {
    Pod garbage = pod("shop", "bad-1", "not-an-ip").build();
    var badVip = svc("shop", "broken", "x", "10.96.0.999");
    AddressIndex idx =
        index(
            List.of(garbage, ambientPod("shop", "productpage-x7k2p", "10.1.0.7")),
            List.of(badVip, svc("shop", "productpage", "productpage", "10.96.0.10")));

    assertThat(idx.all())
        .extracting(XdsResource::name)
        .containsExactly(PRODUCTPAGE, PRODUCTPAGE_SVC);
  }

  @Test
  void loadBalancingFollowsTrafficPolicyDistributionAndPublishNotReady() {
    var local =
        service("shop", "local", "a", "10.96.0.1")
            .editSpec()
            .withInternalTrafficPolicy("Local")
            .withPublishNotReadyAddresses(true)
            .endSpec()
            .build();
    var zone =
        service("shop", "zone", "a", "10.96.0.2")
            .editSpec()
            .withTrafficDistribution("PreferClose")
            .endSpec()
            .build();
    var node =
        service("shop", "node", "a", "10.96.0.3")
            .editMetadata()
            .addToAnnotations("networking.istio.io/traffic-distribution", "PreferSameNode")
            .endMetadata()
            .build();
    AddressIndex idx = index(List.of(), List.of(local, zone, node));

    assertThat(idx.address("shop/local.shop.svc.cluster.local").getService().getLoadBalancing())
        .isEqualTo(
            LoadBalancing.newBuilder()
                .addRoutingPreference(LoadBalancing.Scope.NODE)
                .setMode(LoadBalancing.Mode.STRICT)
                .setHealthPolicy(LoadBalancing.HealthPolicy.ALLOW_ALL)
                .build());
    assertThat(
            idx.address("shop/zone.shop.svc.cluster.local")
                .getService()
                .getLoadBalancing()
                .getRoutingPreferenceList())
        .containsExactly(
            LoadBalancing.Scope.NETWORK, LoadBalancing.Scope.REGION, LoadBalancing.Scope.ZONE);
    assertThat(
            idx.address("shop/node.shop.svc.cluster.local")
                .getService()
                .getLoadBalancing()
                .getRoutingPreferenceList())
        .containsExactly(
            LoadBalancing.Scope.NETWORK,
            LoadBalancing.Scope.REGION,
            LoadBalancing.Scope.ZONE,
            LoadBalancing.Scope.SUBZONE,
            LoadBalancing.Scope.NODE);
  }

  @Test
  void aTrustDomainOtherThanClusterLocalIsCarried() {
    AddressIndex idx =
        AddressIndex.build(
            new AmbientInputs(
                List.of(ambientPod("shop", "productpage-x7k2p", "10.1.0.7")), List.of(), List.of()),
            SETTINGS,
            "example.org",
            NO_POLICIES,
            "istio-system",
            AddressIndex.EMPTY);
    assertThat(idx.address(PRODUCTPAGE).getWorkload().getTrustDomain()).isEqualTo("example.org");
    assertThat(idx.address(PRODUCTPAGE).getWorkload().hasLocality()).isFalse(); // node unknown
  }

  @Test
  void lookupsByUidIpAndServiceAsOnDemandZtunnelAsks() {
    AddressIndex idx =
        index(
            List.of(
                ambientPod("shop", "productpage-x7k2p", "10.1.0.7"),
                ambientPod("shop", "productpage-m3n4b", "10.1.0.8")),
            List.of(svc("shop", "productpage", "productpage", "10.96.0.10")));

    assertThat(idx.lookup(PRODUCTPAGE)).extracting(XdsResource::name).containsExactly(PRODUCTPAGE);
    assertThat(idx.lookup("/10.1.0.8"))
        .extracting(XdsResource::name)
        .containsExactly("Kubernetes//Pod/shop/productpage-m3n4b");
    assertThat(idx.lookup("/10.96.0.10"))
        .extracting(XdsResource::name)
        .containsExactlyInAnyOrder(
            PRODUCTPAGE_SVC, PRODUCTPAGE, "Kubernetes//Pod/shop/productpage-m3n4b");
    assertThat(idx.lookup(PRODUCTPAGE_SVC)).hasSize(3);
    assertThat(idx.lookup("/10.9.9.9")).isEmpty();
    assertThat(idx.aliases(PRODUCTPAGE)).containsExactly("/10.1.0.7");
  }

  @Test
  void theClustersNetworkIsOnEveryAddressAndInLookupKeys() {
    AddressIndex idx =
        AddressIndex.build(
            new AmbientInputs(
                List.of(ambientPod("shop", "productpage-x7k2p", "10.1.0.7")),
                List.of(svc("shop", "productpage", "productpage", "10.96.0.10")),
                List.of(),
                "net-east"),
            SETTINGS,
            "cluster.local",
            NO_POLICIES,
            "istio-system",
            AddressIndex.EMPTY);

    assertThat(idx.address(PRODUCTPAGE).getWorkload().getNetwork()).isEqualTo("net-east");
    assertThat(idx.address(PRODUCTPAGE_SVC).getService().getAddresses(0).getNetwork())
        .isEqualTo("net-east");
    assertThat(idx.lookup("net-east/10.1.0.7"))
        .extracting(XdsResource::name)
        .containsExactly(PRODUCTPAGE);
    assertThat(idx.lookup("/10.1.0.7")).isEmpty();
  }

  @Test
  void anUnchangedAddressKeepsItsResourceAcrossRebuilds() {
    var in =
        new AmbientInputs(
            List.of(ambientPod("shop", "productpage-x7k2p", "10.1.0.7")),
            List.of(svc("shop", "productpage", "productpage", "10.96.0.10")),
            List.of());
    AddressIndex first =
        AddressIndex.build(
            in, SETTINGS, "cluster.local", NO_POLICIES, "istio-system", AddressIndex.EMPTY);
    var moved =
        new AmbientInputs(
            List.of(ambientPod("shop", "productpage-x7k2p", "10.1.0.9")), in.services(), List.of());
    AddressIndex second =
        AddressIndex.build(moved, SETTINGS, "cluster.local", NO_POLICIES, "istio-system", first);

    assertThat(second.all().get(1)).isSameAs(first.all().get(1)); // the service
    assertThat(second.all().get(0)).isNotSameAs(first.all().get(0));
    assertThat(second.all().get(0).version()).isNotEqualTo(first.all().get(0).version());
  }

  @Test
  void whatAnAddressIsBuiltFromDecidesWhetherItIsTranslatedAgain() {
    Pod pod = ambientPod("shop", "productpage-x7k2p", "10.1.0.7");
    var svc = svc("shop", "productpage", "productpage", "10.96.0.10");
    var node = node("node-1", "eu", "eu-1a");
    AddressIndex first = build(List.of(pod), List.of(svc), node, NO_POLICIES);

    // the same objects, and a node whose status (not its locality) changed: nothing is redone
    var heartbeat =
        new io.fabric8.kubernetes.api.model.NodeBuilder(node).withNewStatus().endStatus().build();
    AddressIndex same = build(List.of(pod), List.of(svc), heartbeat, NO_POLICIES);
    assertThat(same.all()).containsExactlyElementsOf(first.all());
    assertThat(same.all().get(0)).isSameAs(first.all().get(0));

    // the Service gains a port: the pod's workload, made with it, follows
    var wider =
        service("shop", "productpage", "productpage", "10.96.0.10")
            .editSpec()
            .addNewPort()
            .withName("grpc")
            .withPort(7070)
            .withNewTargetPort(7071)
            .endPort()
            .endSpec()
            .build();
    AddressIndex widened = build(List.of(pod), List.of(wider), heartbeat, NO_POLICIES);
    assertThat(
            widened
                .address(PRODUCTPAGE)
                .getWorkload()
                .getServicesMap()
                .get(PRODUCTPAGE_SVC)
                .getPortsList())
        .extracting(Port::getServicePort)
        .containsExactly(80, 9090, 7070);

    // the node moves zone, a policy starts selecting the pod: both show
    ZtunnelPolicies selecting =
        ZtunnelPolicies.convert(
            new io.jistiod.galley.parse.ConfigParser(
                    io.jistiod.galley.config.IstioKinds.ALL, "default")
                .parse(
                    "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n"
                        + "metadata: {name: p, namespace: shop}\n"
                        + "spec: {selector: {matchLabels: {app: productpage}}}\n",
                    "test")
                .configs(),
            "istio-system");
    AddressIndex moved =
        build(List.of(pod), List.of(wider), node("node-1", "eu", "eu-1c"), selecting);
    Workload w = moved.address(PRODUCTPAGE).getWorkload();
    assertThat(w.getLocality().getZone()).isEqualTo("eu-1c");
    assertThat(w.getAuthorizationPoliciesList()).containsExactly("shop/p");
  }

  private AddressIndex previousBuild = AddressIndex.EMPTY;

  /** Builds on the previous call's index, as pushes do. */
  private AddressIndex build(
      List<Pod> pods,
      List<io.fabric8.kubernetes.api.model.Service> services,
      io.fabric8.kubernetes.api.model.Node node,
      ZtunnelPolicies policies) {
    previousBuild =
        AddressIndex.build(
            new AmbientInputs(pods, services, List.of(node)),
            SETTINGS,
            "cluster.local",
            policies,
            "istio-system",
            previousBuild);
    return previousBuild;
  }

  @Test
  void workloadNamesFollowTheirController() {
    Pod cron =
        pod("shop", "backup-28533120-abcde", "10.1.0.1")
            .editMetadata()
            .withOwnerReferences()
            .addNewOwnerReference()
            .withKind("Job")
            .withName("backup-28533120")
            .withController(true)
            .withApiVersion("batch/v1")
            .withUid("j")
            .endOwnerReference()
            .endMetadata()
            .build();
    Pod bare =
        pod("shop", "solo", "10.1.0.2").editMetadata().withGenerateName(null).endMetadata().build();
    assertThat(WorkloadNames.of(cron)).isEqualTo("backup");
    assertThat(WorkloadNames.of(bare)).isEqualTo("solo");
  }
}

package io.jistiod.pilot.ambient;

import static io.jistiod.pilot.ambient.AmbientObjects.ambientPod;
import static io.jistiod.pilot.ambient.AmbientObjects.svc;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.JsonFormat;
import io.fabric8.kubernetes.api.model.Pod;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.galley.parse.ParseResult;
import io.jistiod.pilot.api.workload.Address;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** ServiceEntries and WorkloadEntries as istiod 1.27 turns them into addresses. */
class EntryAddressesTest {
  private static List<Config> parse(String yaml) {
    ParseResult r = new ConfigParser(IstioKinds.ALL, "default").parse(yaml, "test");
    assertThat(r.errors()).isEmpty();
    return r.configs();
  }

  private static AddressIndex index(List<Pod> pods, List<Config> entries) {
    List<Config> ses =
        entries.stream().filter(c -> c.meta().kind() == IstioKinds.SERVICE_ENTRY).toList();
    List<Config> wes =
        entries.stream().filter(c -> c.meta().kind() == IstioKinds.WORKLOAD_ENTRY).toList();
    return AddressIndex.build(
        new AmbientInputs(
            pods,
            List.of(svc("shop", "productpage", "productpage", "10.96.0.10")),
            List.of(),
            "",
            Map.of(),
            List.of(),
            List.of(),
            ses,
            wes),
        new AmbientSettings("Kubernetes", "cluster.local"),
        "cluster.local",
        ZtunnelPolicies.convert(List.of(), "istio-system"),
        "istio-system",
        AddressIndex.EMPTY);
  }

  private static String json(Address a) throws Exception {
    return JsonFormat.printer().omittingInsignificantWhitespace().print(a);
  }

  @Test
  void aServiceEntryGivesAServicePerHostAndAWorkloadPerEndpoint() throws Exception {
    AddressIndex idx =
        index(
            List.of(),
            parse(
                """
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata:
                  name: ext
                  namespace: shop
                  annotations: {networking.istio.io/traffic-distribution: PreferClose}
                spec:
                  hosts: [a.example.com, b.example.com]
                  addresses: [10.9.0.1/32]
                  ports:
                  - {number: 80, name: http, protocol: HTTP, targetPort: 8080}
                  - {number: 443, name: https, protocol: TLS}
                  resolution: STATIC
                  subjectAltNames: [spiffe://example.com/ext]
                  endpoints:
                  - {address: 1.2.3.4, ports: {http: 9080}, network: n2, locality: eu/eu-1, weight: 5}
                  - {address: 1.2.3.5}
                """));

    assertThat(json(idx.address("shop/a.example.com")))
        .isEqualTo(
            "{\"service\":{\"name\":\"ext\",\"namespace\":\"shop\",\"hostname\":\"a.example.com\","
                + "\"addresses\":[{\"address\":\"CgkAAQ==\"}],"
                + "\"ports\":[{\"servicePort\":80,\"targetPort\":8080},{\"servicePort\":443,\"targetPort\":443}],"
                + "\"subjectAltNames\":[\"spiffe://example.com/ext\"],"
                + "\"loadBalancing\":{\"routingPreference\":[\"NETWORK\",\"REGION\",\"ZONE\"],\"mode\":\"FAILOVER\"}}}");
    assertThat(idx.address("shop/b.example.com")).isNotNull();
    assertThat(json(idx.address("Kubernetes/networking.istio.io/ServiceEntry/shop/ext/1.2.3.4")))
        .isEqualTo(
            "{\"workload\":{\"name\":\"ext\",\"namespace\":\"shop\",\"addresses\":[\"AQIDBA==\"],"
                + "\"network\":\"n2\",\"canonicalName\":\"ext\",\"canonicalRevision\":\"latest\","
                + "\"workloadType\":\"POD\",\"workloadName\":\"ext\",\"clusterId\":\"Kubernetes\","
                + "\"uid\":\"Kubernetes/networking.istio.io/ServiceEntry/shop/ext/1.2.3.4\","
                + "\"services\":{\"shop/a.example.com\":{\"ports\":[{\"servicePort\":80,\"targetPort\":9080},{\"servicePort\":443,\"targetPort\":443}]},"
                + "\"shop/b.example.com\":{\"ports\":[{\"servicePort\":80,\"targetPort\":9080},{\"servicePort\":443,\"targetPort\":443}]}},"
                + "\"locality\":{\"region\":\"eu\",\"zone\":\"eu-1\"},\"capacity\":5}}");
    // the first endpoint's network carries over, as in istiod
    assertThat(
            idx.address("Kubernetes/networking.istio.io/ServiceEntry/shop/ext/1.2.3.5")
                .getWorkload()
                .getNetwork())
        .isEqualTo("n2");
  }

  @Test
  void aDnsServiceEntryWithoutEndpointsIsReachedByItsHostnames() {
    AddressIndex idx =
        index(
            List.of(),
            parse(
                """
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: dns, namespace: shop}
                spec:
                  hosts: [api.example.com]
                  ports: [{number: 443, name: tls, protocol: TLS}]
                  resolution: DNS
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: cidr, namespace: shop}
                spec:
                  hosts: [net.example.com]
                  addresses: [10.0.0.0/24]
                  ports: [{number: 80, name: http}]
                  resolution: STATIC
                  endpoints: [{address: 1.1.1.1}]
                """));

    var w =
        idx.address("Kubernetes/networking.istio.io/ServiceEntry/shop/dns/api.example.com")
            .getWorkload();
    assertThat(w.getHostname()).isEqualTo("api.example.com");
    assertThat(w.getServicesMap()).containsOnlyKeys("shop/api.example.com");
    // a CIDR of more than one IP: istiod drops the ServiceEntry's services (its endpoints stay)
    assertThat(idx.address("shop/net.example.com")).isNull();
    assertThat(
            idx.address("Kubernetes/networking.istio.io/ServiceEntry/shop/cidr/1.1.1.1")
                .getWorkload()
                .getServicesMap())
        .isEmpty();
  }

  @Test
  void anObjectWithoutLabelsIsSelectedByEveryServiceAndPolicyOfItsNamespaceAsInIstiod() {
    AddressIndex idx =
        AddressIndex.build(
            new AmbientInputs(
                List.of(),
                List.of(svc("shop", "productpage", "productpage", "10.96.0.10")),
                List.of(),
                "",
                Map.of(),
                List.of(),
                List.of(),
                parse(
                    """
                    apiVersion: networking.istio.io/v1
                    kind: ServiceEntry
                    metadata: {name: ext, namespace: shop}
                    spec:
                      hosts: [ext.example.com]
                      ports: [{number: 80, name: http}]
                      resolution: STATIC
                      endpoints: [{address: 1.2.3.4}]
                    """),
                parse(
                    """
                    apiVersion: networking.istio.io/v1
                    kind: WorkloadEntry
                    metadata: {name: bare, namespace: shop}
                    spec: {address: 10.20.0.2}
                    """)),
            new AmbientSettings("Kubernetes", "cluster.local"),
            "cluster.local",
            ZtunnelPolicies.convert(
                parse(
                    """
                    apiVersion: security.istio.io/v1
                    kind: AuthorizationPolicy
                    metadata: {name: only-reviews, namespace: shop}
                    spec: {selector: {matchLabels: {app: reviews}}}
                    """),
                "istio-system"),
            "istio-system",
            AddressIndex.EMPTY);

    var bare = idx.address("Kubernetes/networking.istio.io/WorkloadEntry/shop/bare").getWorkload();
    assertThat(bare.getServicesMap())
        .containsOnlyKeys("shop/productpage.shop.svc.cluster.local", "shop/ext.example.com");
    assertThat(bare.getAuthorizationPoliciesList()).containsExactly("shop/only-reviews");
    var endpoint =
        idx.address("Kubernetes/networking.istio.io/ServiceEntry/shop/ext/1.2.3.4").getWorkload();
    assertThat(endpoint.getAuthorizationPoliciesList()).containsExactly("shop/only-reviews");
  }

  @Test
  void selectorsJoinWorkloadEntriesAndPodsToServicesAndServiceEntries() {
    AddressIndex idx =
        index(
            List.of(ambientPod("shop", "productpage-x7k2p", "10.1.0.7")),
            parse(
                """
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: mesh, namespace: shop}
                spec:
                  hosts: [productpage.mesh.internal]
                  ports: [{number: 9080, name: http-web, protocol: HTTP}]
                  resolution: STATIC
                  workloadSelector: {labels: {app: productpage}}
                ---
                apiVersion: networking.istio.io/v1
                kind: WorkloadEntry
                metadata:
                  name: vm-1
                  namespace: shop
                  labels: {app: productpage}
                  annotations: {istio.io/autoRegistrationGroup: vms}
                spec:
                  address: 10.20.0.1
                  ports: {http-web: 7070}
                  serviceAccount: vm
                """));

    var vm = idx.address("Kubernetes/networking.istio.io/WorkloadEntry/shop/vm-1").getWorkload();
    assertThat(vm.getWorkloadName()).isEqualTo("vms");
    assertThat(vm.getCanonicalName()).isEqualTo("productpage");
    assertThat(vm.getServiceAccount()).isEqualTo("vm");
    assertThat(vm.getServicesMap())
        .containsOnlyKeys(
            "shop/productpage.shop.svc.cluster.local", "shop/productpage.mesh.internal");
    // the Service's named target port and the ServiceEntry's port name, both from the entry's ports
    assertThat(
            vm.getServicesMap()
                .get("shop/productpage.shop.svc.cluster.local")
                .getPorts(0)
                .getTargetPort())
        .isEqualTo(7070);
    assertThat(
            vm.getServicesMap().get("shop/productpage.mesh.internal").getPorts(0).getTargetPort())
        .isEqualTo(7070);
    var pod = idx.address("Kubernetes//Pod/shop/productpage-x7k2p").getWorkload();
    assertThat(pod.getServicesMap())
        .containsKeys("shop/productpage.shop.svc.cluster.local", "shop/productpage.mesh.internal");
  }
}

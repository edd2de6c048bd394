package io.jistiod.pilot.push;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.pilot.model.Protocol;
import io.jistiod.pilot.model.Resolution;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServiceAttributes;
import io.jistiod.pilot.model.ServicePort;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** One hostname defined by several services: which one each viewer sees, as istiod. */
class ServiceIndexSharedHostTest {
  private static final String HOST = "api.partner.example";

  private static Service entry(String ns, String created, Set<String> exportTo, int... ports) {
    List<ServicePort> list = new ArrayList<>();
    for (int p : ports) {
      list.add(new ServicePort("p" + p, p, Protocol.HTTP));
    }
    return new Service(
        HOST,
        ns,
        list,
        List.of(),
        Resolution.STATIC,
        exportTo,
        new ServiceAttributes(
            ServiceAttributes.EXTERNAL, "se-" + ns, Map.of(), Map.of(), true, created));
  }

  private static Service kube(String ns, String host) {
    return new Service(
        host,
        ns,
        List.of(new ServicePort("http", 8080, Protocol.HTTP)),
        List.of("10.96.0.1"),
        Resolution.STATIC,
        Set.of(),
        new ServiceAttributes(ServiceAttributes.KUBERNETES, "web", Map.of(), Map.of(), false, ""));
  }

  /** The index the push builds from these services, all defining one host. */
  private static ServiceIndex index(Service... services) {
    List<Service> candidates = new ArrayList<>(Arrays.asList(services));
    candidates.sort(ServiceChoice.ISTIO_ORDER);
    SortedMap<String, Service> byHost = new TreeMap<>();
    byHost.put(candidates.get(0).hostname(), ServiceChoice.global(candidates));
    return ServiceIndex.of(
        byHost, Map.of(candidates.get(0).hostname(), List.copyOf(candidates)), List.of());
  }

  private static Optional<Service> sidecarView(ServiceIndex index, String ns, String host) {
    return index.exportedTo(ns).stream().filter(s -> s.hostname().equals(host)).findFirst();
  }

  @Test
  void eachNamespaceSeesItsOwnPrivateEntryAndOthersSeeNone() {
    Service a = entry("a", "2026-01-01T00:00:00Z", Set.of("."), 443);
    Service b = entry("b", "2026-01-02T00:00:00Z", Set.of("."), 443, 8443);
    ServiceIndex index = index(a, b);

    assertThat(index.isShared(HOST)).isTrue();
    assertThat(sidecarView(index, "a", HOST)).containsSame(a);
    assertThat(sidecarView(index, "b", HOST)).containsSame(b);
    assertThat(sidecarView(index, "c", HOST)).isEmpty();
    assertThat(index.visible("b", HOST)).containsSame(b);
    assertThat(index.visibleTo(b, "a")).isFalse();
  }

  @Test
  void aPrivateEntryWinsOverAPublicOneOfAnotherNamespaceForItsOwnNamespace() {
    Service own = entry("a", "2026-01-02T00:00:00Z", Set.of("."), 8080);
    Service pub = entry("b", "2026-01-01T00:00:00Z", Set.of(), 80);
    ServiceIndex index = index(own, pub);

    assertThat(sidecarView(index, "a", HOST)).containsSame(own);
    assertThat(index.exportedToGateway("a").stream().filter(s -> s.hostname().equals(HOST)))
        .containsExactly(own);
    assertThat(sidecarView(index, "c", HOST)).containsSame(pub);
  }

  @Test
  void entriesOfOneNamespaceWithOtherPortsAreMergedOldestFirst() {
    Service older = entry("a", "2026-01-01T00:00:00Z", Set.of("."), 80);
    Service newer = entry("a", "2026-01-02T00:00:00Z", Set.of("."), 9000, 80);
    Service view = sidecarView(index(newer, older), "a", HOST).orElseThrow();

    assertThat(view.ports()).extracting(ServicePort::port).containsExactly(80, 9000);
  }

  @Test
  void entriesThatDifferInMoreThanPortsAreNotMerged() {
    Service older = entry("a", "2026-01-01T00:00:00Z", Set.of("."), 80);
    Service otherExport = entry("a", "2026-01-02T00:00:00Z", Set.of(".", "b"), 9000);
    Service view = sidecarView(index(older, otherExport), "a", HOST).orElseThrow();

    assertThat(view).isSameAs(older);
  }

  @Test
  void aKubernetesServiceKeepsItsHostnameExceptForASidecarInTheEntrysOwnNamespace() {
    String host = "web.a.svc.cluster.local";
    Service k8s = kube("a", host);
    Service squat =
        new Service(
            host,
            "b",
            List.of(new ServicePort("http", 8080, Protocol.HTTP)),
            List.of(),
            Resolution.STATIC,
            Set.of(),
            new ServiceAttributes(
                ServiceAttributes.EXTERNAL, "squat", Map.of(), Map.of(), false, ""));
    ServiceIndex index = index(squat, k8s);

    assertThat(index.get(host)).containsSame(k8s);
    assertThat(sidecarView(index, "a", host)).containsSame(k8s);
    assertThat(sidecarView(index, "c", host)).containsSame(k8s);
    // istiod: a sidecar takes a hostname from its own namespace first
    assertThat(sidecarView(index, "b", host)).containsSame(squat);
    // a gateway there does not: the Kubernetes Service replaces the entry
    assertThat(index.visible("b", host)).containsSame(k8s);
  }
}

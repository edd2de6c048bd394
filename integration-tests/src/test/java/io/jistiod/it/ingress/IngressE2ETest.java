package io.jistiod.it.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jistiod.istiod.Istiod;
import io.jistiod.istiod.IstiodOptions;
import io.jistiod.istiod.KubernetesAccess;
import io.jistiod.istiod.security.SecurityOptions;
import io.jistiod.it.sidebyside.ReferenceIstiod;
import io.jistiod.it.support.Rig;
import io.jistiod.it.support.RigExtension;
import io.jistiod.it.support.TestNamespace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kubernetes Ingresses on a real API server: the status our istiod writes on the Ingresses it
 * serves equals what Istio's pilot-discovery 1.27 writes (the reference runs first, its status is
 * cleared, then ours runs on the istiod chart's ServiceAccount, so the chart's RBAC is exercised),
 * an Ingress of another class is left alone by both, and an Ingress added while ours runs is served
 * without a restart. Both servers look for the ingress Service in the test's namespace ({@code
 * K8S_INGRESS_NS}), so the shared rig's {@code istio-system} is never touched.
 */
@Tag("e2e")
@ExtendWith(RigExtension.class)
class IngressE2ETest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String LABEL = "jistiod.io/scenario";

  @TempDir Path tmp;

  private static String objects(String ns) {
    // ours sees only this namespace (the reference gets the same discoverySelectors from its
    // script): Ingresses of other tests and scenarios on the shared rig are never written
    return """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio, namespace: %1$s}
        data:
          mesh: |
            discoverySelectors:
            - matchLabels: {jistiod.io/scenario: %1$s}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: istio-ingressgateway, namespace: %1$s}
        spec:
          type: LoadBalancer
          selector: {istio: ingressgateway}
          externalIPs: [198.51.100.7]
          ports: [{name: http2, port: 80, targetPort: 8080}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: %1$s}
        spec:
          selector: {app: web}
          ports: [{name: http, port: 8080}]
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: served
          namespace: %1$s
          annotations: {kubernetes.io/ingress.class: istio}
        spec:
          rules:
          - host: web.example.com
            http:
              paths:
              - {path: /, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: not-ours
          namespace: %1$s
          annotations: {kubernetes.io/ingress.class: nginx}
        spec:
          rules:
          - host: other.example.com
            http:
              paths:
              - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 8080}}}}
        """
        .formatted(ns);
  }

  private static JsonNode status(Rig rig, String ns, String name) throws Exception {
    return JSON.readTree(rig.kubectl("get", "ingress", name, "-n", ns, "-o", "json"))
        .path("status");
  }

  private static JsonNode awaitAddresses(Rig rig, String ns, String name) {
    JsonNode[] out = new JsonNode[1];
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(250))
        .ignoreExceptions()
        .until(
            () -> {
              out[0] = status(rig, ns, name);
              return !out[0].path("loadBalancer").path("ingress").isEmpty();
            });
    return out[0];
  }

  @Test
  void oursServesIngressesAndWritesTheStatusIstiodWrites(Rig rig, TestNamespace home)
      throws Exception {
    rig.installIstioCrds();
    String ns = home.name();
    rig.kubectl("label", "namespace", ns, LABEL + "=" + ns, "--overwrite");
    rig.apply(objects(ns));
    // a load balancer's host name beside the external IP: istiod lists host names first
    rig.kubectl(
        "patch",
        "service",
        "istio-ingressgateway",
        "-n",
        ns,
        "--subresource=status",
        "--type=merge",
        "-p",
        "{\"status\":{\"loadBalancer\":{\"ingress\":[{\"hostname\":\"lb.example.com\"}]}}}");
    Map<String, String> env = Map.of("K8S_INGRESS_NS", ns);

    Path mesh = tmp.resolve("mesh.yaml");
    Files.writeString(mesh, "");
    JsonNode reference;
    try (ReferenceIstiod ref =
        ReferenceIstiod.start("ingress-" + ns, List.of(ns), mesh, null, env)) {
      reference = awaitAddresses(rig, ns, "served");
    }
    assertThat(reference.toString())
        .as("what pilot-discovery wrote")
        .contains("198.51.100.7")
        .contains("lb.example.com");
    assertThat(status(rig, ns, "not-ours").path("loadBalancer").path("ingress")).isEmpty();

    rig.kubectl(
        "patch",
        "ingress",
        "served",
        "-n",
        ns,
        "--subresource=status",
        "--type=merge",
        "-p",
        "{\"status\":{\"loadBalancer\":{\"ingress\":null}}}");
    assertThat(status(rig, ns, "served").path("loadBalancer").path("ingress")).isEmpty();

    try (Istiod ours =
        new Istiod(
            IstiodOptions.defaults(null)
                .withKubernetes(new KubernetesAccess(rig.istiodKubeconfig(ns)))
                .withAddresses("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
                .withSecurity(SecurityOptions.disabled().withNamespace(ns))
                .withEnv(env))) {
      ours.start();
      assertThat(awaitAddresses(rig, ns, "served")).isEqualTo(reference);
      assertThat(status(rig, ns, "not-ours").path("loadBalancer").path("ingress")).isEmpty();

      // an Ingress created now is watched and served (its status is written from the push)
      rig.apply(
          """
          apiVersion: networking.k8s.io/v1
          kind: Ingress
          metadata:
            name: added
            namespace: %1$s
            annotations: {kubernetes.io/ingress.class: istio}
          spec:
            rules:
            - host: added.example.com
              http:
                paths:
                - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 8080}}}}
          """
              .formatted(ns));
      assertThat(awaitAddresses(rig, ns, "added")).isEqualTo(reference);
    }
  }
}

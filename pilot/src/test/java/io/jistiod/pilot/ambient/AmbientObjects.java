package io.jistiod.pilot.ambient;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import java.util.Map;

/** Kubernetes objects as the API server returns them (defaults filled in), for ambient tests. */
final class AmbientObjects {
  private AmbientObjects() {}

  /** A running, ready Deployment pod {@code app=NAME} of ReplicaSet {@code NAME-5d9f7c}. */
  static PodBuilder pod(String ns, String name, String ip) {
    String app = name.replaceAll("-[a-z0-9]+$", "");
    return new PodBuilder()
        .withNewMetadata()
        .withNamespace(ns)
        .withName(name)
        .withGenerateName(app + "-5d9f7c-")
        .addToLabels(Map.of("app", app, "pod-template-hash", "5d9f7c"))
        .addNewOwnerReference()
        .withKind("ReplicaSet")
        .withName(app + "-5d9f7c")
        .withController(true)
        .withApiVersion("apps/v1")
        .withUid("rs-uid")
        .endOwnerReference()
        .endMetadata()
        .withNewSpec()
        .withServiceAccountName("sa-" + app)
        .withNodeName("node-1")
        .addNewContainer()
        .withName("app")
        .addNewPort()
        .withName("http-web")
        .withContainerPort(8080)
        .withProtocol("TCP")
        .endPort()
        .endContainer()
        .endSpec()
        .withNewStatus()
        .withPhase("Running")
        .withPodIP(ip)
        .addNewPodIP(ip)
        .addNewCondition()
        .withType("Ready")
        .withStatus("True")
        .endCondition()
        .endStatus();
  }

  static Pod ambientPod(String ns, String name, String ip) {
    return pod(ns, name, ip)
        .editMetadata()
        .addToAnnotations(PodWorkloads.REDIRECTION_ANNOTATION, "enabled")
        .endMetadata()
        .build();
  }

  /**
   * A ClusterIP Service selecting {@code app=APP}: port 80 to the named port http-web, 9090 to
   * 9091.
   */
  static ServiceBuilder service(String ns, String name, String app, String vip) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withNamespace(ns)
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .withType("ClusterIP")
        .withClusterIP(vip)
        .withClusterIPs(vip)
        .withIpFamilies("IPv4")
        .withSelector(Map.of("app", app))
        .addNewPort()
        .withName("http")
        .withPort(80)
        .withProtocol("TCP")
        .withTargetPort(new IntOrString("http-web"))
        .endPort()
        .addNewPort()
        .withName("metrics")
        .withPort(9090)
        .withProtocol("TCP")
        .withTargetPort(new IntOrString(9091))
        .endPort()
        .endSpec();
  }

  static Service svc(String ns, String name, String app, String vip) {
    return service(ns, name, app, vip).build();
  }

  static Node node(String name, String region, String zone) {
    return new NodeBuilder()
        .withNewMetadata()
        .withName(name)
        .addToLabels(
            Map.of("topology.kubernetes.io/region", region, "topology.kubernetes.io/zone", zone))
        .endMetadata()
        .build();
  }
}

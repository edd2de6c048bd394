package io.jistiod.injector;

import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.api.mesh.v1alpha1.ProxyConfig;
import io.jistiod.injector.template.GoStruct;
import io.jistiod.injector.template.GoValues;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What {@code .} is when istiod renders a gateway deployment template ({@code kube-gateway}) for a
 * Gateway of the Kubernetes Gateway API: the Gateway itself, embedded (so {@code .Name}, {@code
 * .Namespace}, {@code .UID}, {@code .ObjectMeta}, {@code .Spec} read from it), and the fields
 * istiod's deployment controller works out. Field names are those templates use.
 *
 * @param gateway the Gateway being deployed
 * @param deploymentName the Deployment's (and Service's) name
 * @param serviceAccount the ServiceAccount's name
 * @param ports the Service's ports (the status port, then one per listener port)
 * @param serviceType the Service's type (LoadBalancer unless annotated otherwise)
 * @param clusterId the cluster's id
 * @param kubeVersion the API server's version as major and minor digits (1.30 is 130), -1 unknown
 * @param revision istiod's revision ("" for the default)
 * @param nativeSidecars whether native sidecars are on
 * @param proxyUid the proxy's user id
 * @param proxyGid the proxy's group id
 * @param compliancePolicy the compliance policy ("" or e.g. fips-140-2)
 * @param infrastructureLabels labels for the generated objects
 * @param infrastructureAnnotations annotations for the generated objects
 * @param gatewayNameLabel the label selecting the gateway's pods
 * @param eastWestGateway whether this is an ambient east-west gateway
 * @param controllerLabel the label value naming the controller
 */
public record GatewayTemplateInput(
    Gateway gateway,
    String deploymentName,
    String serviceAccount,
    List<ServicePort> ports,
    String serviceType,
    String clusterId,
    int kubeVersion,
    String revision,
    boolean nativeSidecars,
    long proxyUid,
    long proxyGid,
    String compliancePolicy,
    Map<String, String> infrastructureLabels,
    Map<String, String> infrastructureAnnotations,
    String gatewayNameLabel,
    boolean eastWestGateway,
    String controllerLabel) {

  public GatewayTemplateInput {
    Objects.requireNonNull(gateway, "gateway");
    ports = List.copyOf(ports);
    infrastructureLabels = Map.copyOf(infrastructureLabels);
    infrastructureAnnotations = Map.copyOf(infrastructureAnnotations);
  }

  /**
   * The template's data: these fields with the Gateway embedded, and what istiod derives from the
   * injection config: the proxy image, the ProxyConfig, the MeshConfig and the chart values.
   */
  public GoStruct data(InjectorConfig injector, MeshConfig mesh) {
    return data(injector, mesh, ProxyConfigResources.NONE);
  }

  /**
   * As {@link #data(InjectorConfig, MeshConfig)}, the ProxyConfig with the mesh's ProxyConfig
   * resources merged in for the Gateway's pods: istiod matches workload selectors against the
   * gateway-name label only, and reads no annotation.
   */
  public GoStruct data(InjectorConfig injector, MeshConfig mesh, ProxyConfigResources resources) {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("Gateway", gateway);
    f.put("DeploymentName", deploymentName);
    f.put("ServiceAccount", serviceAccount);
    f.put("Ports", ports);
    f.put("ServiceType", serviceType);
    f.put("ClusterID", clusterId);
    f.put("KubeVersion", kubeVersion);
    f.put("Revision", revision);
    f.put("NativeSidecars", nativeSidecars);
    f.put("ProxyUID", proxyUid);
    f.put("ProxyGID", proxyGid);
    f.put("CompliancePolicy", compliancePolicy);
    f.put("InfrastructureLabels", new LinkedHashMap<>(infrastructureLabels));
    f.put("InfrastructureAnnotations", new LinkedHashMap<>(infrastructureAnnotations));
    f.put("GatewayNameLabel", gatewayNameLabel);
    f.put("IsEastWestGateway", eastWestGateway);
    f.put("ControllerLabel", controllerLabel);
    GoStruct input = new GoStruct("gateway.TemplateInput", f, gateway);

    MeshConfig complete = ProxyConfigs.completeMesh(mesh);
    ProxyConfig proxyConfig =
        resources.effective(
            complete,
            gateway.getMetadata() == null ? "" : gateway.getMetadata().getNamespace(),
            Map.of(
                "gateway.networking.k8s.io/gateway-name",
                gateway.getMetadata() == null ? "" : gateway.getMetadata().getName()),
            null,
            bad -> {});
    Map<String, String> annotations =
        gateway.getMetadata() == null || gateway.getMetadata().getAnnotations() == null
            ? Map.of()
            : gateway.getMetadata().getAnnotations();
    Map<String, Object> derived = new LinkedHashMap<>();
    derived.put("TemplateInput", input);
    derived.put("ProxyImage", ProxyImages.image(injector.values(), proxyConfig, annotations));
    derived.put("ProxyConfig", proxyConfig);
    derived.put("MeshConfig", complete);
    derived.put("Values", GoValues.fromJson(injector.values().json()));
    return new GoStruct("gateway.derivedInput", derived, input);
  }
}

package io.jistiod.pilot.ingress;

import io.jistiod.galley.api.ingress.v1.IngressSpec;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.config.Config;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns Kubernetes Ingresses into the Istio Gateways and VirtualServices istiod serves for them. A
 * pure function: the same Ingresses, classes, mesh config and Service ports give the same result.
 */
public final class IngressConverter {
  private IngressConverter() {}

  /**
   * @param ingresses every Ingress (of the watched namespaces)
   * @param ingressClasses every IngressClass
   * @param mesh the mesh config: ingress class, controller mode and gateway selector
   * @param services the ports of Kubernetes Services, for backends that name a port
   */
  public static IngressResult convert(
      List<Config> ingresses,
      List<Config> ingressClasses,
      MeshConfig mesh,
      ServicePorts services,
      IngressOptions options) {
    if (ingresses.isEmpty()) {
      return IngressResult.EMPTY;
    }
    Map<String, Config> classes = new HashMap<>();
    for (Config c : ingressClasses) {
      classes.put(c.name(), c);
    }
    List<Config> selected = new ArrayList<>();
    for (Config ingress : ingresses) {
      IngressSpec spec = ingress.spec(IngressSpec.class);
      Config ingressClass =
          spec.hasIngressClassName() ? classes.get(spec.getIngressClassName()) : null;
      if (IngressSelection.selected(mesh, ingress, ingressClass)) {
        selected.add(ingress);
      }
    }
    selected.sort(Comparator.comparing(Config::key));
    List<IngressProblem> problems = new ArrayList<>();
    List<Config> gateways = new ArrayList<>();
    for (Config ingress : selected) {
      if (ingress.spec(IngressSpec.class).hasDefaultBackend()) {
        // it would match every host and path, over any explicit VirtualService
        problems.add(
            new IngressProblem(
                ingress.key(),
                "spec.defaultBackend",
                "not supported (use a VirtualService): ignored"));
      }
      gateways.add(IngressGateways.gateway(ingress, mesh, options, problems));
    }
    gateways.sort(Comparator.comparing(Config::key));
    List<Config> virtualServices =
        IngressVirtualServices.build(selected, services, options, problems);
    return new IngressResult(gateways, virtualServices, selected, problems);
  }
}

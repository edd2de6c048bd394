package io.jistiod.pilot.push;

import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.push.PushContext.ResolvedDestinationRule;
import io.jistiod.pilot.push.PushContext.ResolvedVirtualService;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;

/**
 * The per-push index generators ask instead of scanning config: which services, VirtualServices,
 * DestinationRules and Sidecar scope apply to a proxy. Made of independent immutable parts, one per
 * kind family, each declaring its {@code INPUTS}; built in this one place, so a push that changed
 * some kinds only rebuilds the parts that read them ({@link #update}).
 *
 * @param services {@link ServiceIndex#INPUTS}
 * @param virtualServices {@link VirtualServiceIndex#INPUTS}
 * @param destinationRules {@link DestinationRuleIndex#INPUTS}
 * @param sidecars {@link SidecarIndex#INPUTS}
 * @param inputs what the parts were built from: the next push reuses the inputs of kinds that did
 *     not change
 */
public record PushIndex(
    ServiceIndex services,
    VirtualServiceIndex virtualServices,
    DestinationRuleIndex destinationRules,
    SidecarIndex sidecars,
    Inputs inputs) {

  public PushIndex {
    Objects.requireNonNull(services, "services");
    Objects.requireNonNull(virtualServices, "virtualServices");
    Objects.requireNonNull(destinationRules, "destinationRules");
    Objects.requireNonNull(sidecars, "sidecars");
    Objects.requireNonNull(inputs, "inputs");
  }

  /**
   * What the parts are built from, each list in namespace/name order (services in hostname order),
   * hosts already resolved to fully qualified names.
   */
  public record Inputs(
      String domainSuffix,
      MeshConfig mesh,
      SortedMap<String, Service> services,
      Map<String, List<Service>> sharedHosts,
      List<ResolvedVirtualService> virtualServices,
      List<ResolvedDestinationRule> destinationRules,
      List<Config> sidecars) {
    public Inputs {
      Objects.requireNonNull(domainSuffix, "domainSuffix");
      Objects.requireNonNull(mesh, "mesh");
      Objects.requireNonNull(services, "services");
      sharedHosts = Map.copyOf(sharedHosts);
      virtualServices = List.copyOf(virtualServices);
      destinationRules = List.copyOf(destinationRules);
      sidecars = List.copyOf(sidecars);
    }

    /** Inputs where no two services define one hostname. */
    public Inputs(
        String domainSuffix,
        MeshConfig mesh,
        SortedMap<String, Service> services,
        List<ResolvedVirtualService> virtualServices,
        List<ResolvedDestinationRule> destinationRules,
        List<Config> sidecars) {
      this(domainSuffix, mesh, services, Map.of(), virtualServices, destinationRules, sidecars);
    }
  }

  /** Every part built from {@code in}. */
  public static PushIndex build(Inputs in) {
    return update(null, EnumSet.allOf(IndexInput.class), in);
  }

  /**
   * The index of {@code in}, reusing each part of {@code previous} none of whose inputs is in
   * {@code changed}; everything is built when there is no previous index.
   */
  public static PushIndex update(PushIndex previous, Set<IndexInput> changed, Inputs in) {
    boolean all = previous == null;
    ServiceIndex services =
        all || touches(changed, ServiceIndex.INPUTS)
            ? ServiceIndex.of(
                in.services(), in.sharedHosts(), in.mesh().getDefaultServiceExportToList())
            : previous.services();
    VirtualServiceIndex virtualServices =
        all || touches(changed, VirtualServiceIndex.INPUTS)
            ? VirtualServiceIndex.of(
                in.virtualServices(),
                in.domainSuffix(),
                in.mesh().getDefaultVirtualServiceExportToList())
            : previous.virtualServices();
    DestinationRuleIndex destinationRules =
        all || touches(changed, DestinationRuleIndex.INPUTS)
            ? DestinationRuleIndex.of(
                in.destinationRules(),
                in.mesh().getRootNamespace(),
                in.mesh().getDefaultDestinationRuleExportToList())
            : previous.destinationRules();
    // a scope holds services (and VirtualService destinations): new ones mean new scopes even
    // with the same Sidecars
    SidecarIndex sidecars =
        all
                || touches(changed, SidecarIndex.INPUTS)
                || services != previous.services()
                || virtualServices != previous.virtualServices()
            ? SidecarIndex.of(
                in.sidecars(),
                in.mesh().getRootNamespace(),
                services,
                virtualServices,
                in.domainSuffix())
            : previous.sidecars();
    return new PushIndex(services, virtualServices, destinationRules, sidecars, in);
  }

  private static boolean touches(Set<IndexInput> changed, Set<IndexInput> inputs) {
    for (IndexInput i : inputs) {
      if (changed.contains(i)) {
        return true;
      }
    }
    return false;
  }
}

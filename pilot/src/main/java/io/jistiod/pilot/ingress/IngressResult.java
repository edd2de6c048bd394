package io.jistiod.pilot.ingress;

import io.jistiod.galley.config.Config;
import java.util.List;

/**
 * What one conversion of the Ingresses produces.
 *
 * @param gateways one Istio Gateway per selected Ingress, in namespace/name order
 * @param virtualServices one VirtualService per host of the selected Ingresses' rules, in
 *     namespace/name order
 * @param selected the Ingresses istiod serves (whose status it writes), in namespace/name order
 * @param problems the parts of selected Ingresses left out, in the order met
 */
public record IngressResult(
    List<Config> gateways,
    List<Config> virtualServices,
    List<Config> selected,
    List<IngressProblem> problems) {

  /** No Ingress served. */
  public static final IngressResult EMPTY =
      new IngressResult(List.of(), List.of(), List.of(), List.of());

  public IngressResult {
    gateways = List.copyOf(gateways);
    virtualServices = List.copyOf(virtualServices);
    selected = List.copyOf(selected);
    problems = List.copyOf(problems);
  }
}

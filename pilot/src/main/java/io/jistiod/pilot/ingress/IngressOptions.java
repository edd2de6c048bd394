package io.jistiod.pilot.ingress;

import java.util.Objects;

/**
 * The istiod settings the Ingress conversion depends on.
 *
 * @param domainSuffix the cluster domain ({@code cluster.local}): backends become {@code
 *     svc.ns.svc.DOMAIN}
 * @param ingressNamespace {@code K8S_INGRESS_NS}: where the generated Gateways live and where the
 *     ingress Service whose addresses go into Ingress status is looked up; {@code istio-system}
 *     unless set, whatever istiod's own namespace is
 */
public record IngressOptions(String domainSuffix, String ingressNamespace) {
  /** istiod's default for {@code K8S_INGRESS_NS}. */
  public static final String DEFAULT_INGRESS_NAMESPACE = "istio-system";

  public IngressOptions {
    Objects.requireNonNull(domainSuffix, "domainSuffix");
    Objects.requireNonNull(ingressNamespace, "ingressNamespace");
  }

  /** istiod's defaults for {@code domainSuffix}. */
  public static IngressOptions defaults(String domainSuffix) {
    return new IngressOptions(domainSuffix, DEFAULT_INGRESS_NAMESPACE);
  }
}

/**
 * Kubernetes Ingress (networking.k8s.io/v1) as istiod 1.27 serves it: the Ingresses its ingress
 * class settings select are turned into one Istio Gateway per Ingress (for the ingress gateway
 * workload) and one VirtualService per host, merging the rules of every selected Ingress for that
 * host. {@link io.jistiod.pilot.ingress.IngressConverter} is the entry point; it is a pure function
 * of the Ingress objects, the mesh config and the Service ports it is given.
 *
 * <p>Behaviour follows istiod 1.27's {@code pilot/pkg/config/kube/ingress}: generated names, the
 * gateway namespace ({@code K8S_INGRESS_NS}) and route order are istiod's, because they show in the
 * xDS config proxies receive.
 */
package io.jistiod.pilot.ingress;

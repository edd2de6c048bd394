package io.jistiod.pilot.model;

/** How a service's endpoints are found. */
public enum Resolution {
  /** Endpoints are known addresses, served over EDS. */
  STATIC,
  /** Endpoints are DNS names resolved by the proxy, every address used. */
  DNS,
  /**
   * Endpoints are DNS names resolved by the proxy, one address used at a time (ServiceEntry {@code
   * DNS_ROUND_ROBIN}); treat like {@link #DNS} unless the difference matters.
   */
  DNS_ROUND_ROBIN,
  /** Traffic goes to the address the client asked for. */
  PASSTHROUGH,
  /**
   * A Kubernetes ExternalName Service: another name for the host in {@link
   * ServiceAttributes#externalName()}. It has no listeners, clusters or virtual hosts of its own;
   * the service it names answers its hostnames too, and routes to it go to that service.
   */
  ALIAS
}

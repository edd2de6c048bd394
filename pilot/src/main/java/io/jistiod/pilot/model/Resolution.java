package io.jistiod.pilot.model;

/** How a service's endpoints are found. */
public enum Resolution {
  /** Endpoints are known addresses, served over EDS. */
  STATIC,
  /** Endpoints are DNS names resolved by the proxy. */
  DNS,
  /** Traffic goes to the address the client asked for. */
  PASSTHROUGH
}

package io.jistiod.pilot.security;

/** How a workload's inbound port accepts connections, once PeerAuthentication is resolved. */
public enum MtlsMode {
  /** Istio mutual TLS only: a client certificate is required, plaintext is refused. */
  STRICT,
  /** Istio mutual TLS or plaintext, told apart by the connection's first bytes. */
  PERMISSIVE,
  /** Plaintext only. */
  DISABLE
}

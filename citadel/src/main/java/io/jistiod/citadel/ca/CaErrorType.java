package io.jistiod.citadel.ca;

/**
 * Why signing failed; the names are Istio's ({@code security/pkg/pki/error}), used as the {@code
 * error} label of {@code citadel_server_csr_sign_err_count}.
 */
public enum CaErrorType {
  /** No signing key loaded. The server answers INTERNAL. */
  CA_NOT_READY,
  /** The CSR does not parse or its signature does not verify. INVALID_ARGUMENT. */
  CSR_ERROR,
  /** The requested lifetime exceeds the maximum. INVALID_ARGUMENT. */
  TTL_ERROR,
  /** The certificate could not be built or signed (including an expired CA). INTERNAL. */
  CERT_GEN_ERROR
}

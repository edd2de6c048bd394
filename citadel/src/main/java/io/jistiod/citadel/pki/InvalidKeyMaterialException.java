package io.jistiod.citadel.pki;

/**
 * Key material that cannot be used by the CA: unparsable PEM, a key that does not match its
 * certificate, a signing certificate that is not a CA, a chain that does not reach the roots.
 *
 * <p>Messages name certificates by subject and never include key bytes, so they are safe to log.
 */
public final class InvalidKeyMaterialException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public InvalidKeyMaterialException(String message) {
    super(message);
  }

  public InvalidKeyMaterialException(String message, Throwable cause) {
    super(message, cause);
  }
}

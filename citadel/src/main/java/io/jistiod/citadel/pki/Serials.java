package io.jistiod.citadel.pki;

import java.math.BigInteger;
import java.security.SecureRandom;

/** Certificate serial numbers. */
public final class Serials {
  private Serials() {}

  /**
   * A random positive 128-bit serial, as Istio issues. Random serials keep two certificates from
   * ever sharing issuer+serial, even across CA restarts and replicas; zero is redrawn because RFC
   * 5280 requires a positive serial.
   */
  public static BigInteger random128(SecureRandom random) {
    BigInteger serial;
    do {
      serial = new BigInteger(128, random);
    } while (serial.signum() == 0);
    return serial;
  }
}

package io.jistiod.citadel.ca;

import java.util.List;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.util.IPAddress;

/**
 * Turns identities into SAN entries the way Istio does: {@code spiffe://} URIs as URI names, IP
 * literals as IP addresses, anything else as a DNS name.
 */
final class SubjectAltNames {
  static final String SPIFFE_PREFIX = "spiffe://";

  private SubjectAltNames() {}

  static GeneralNames of(List<String> identities) {
    GeneralName[] names = new GeneralName[identities.size()];
    for (int i = 0; i < names.length; i++) {
      names[i] = nameOf(identities.get(i));
    }
    return new GeneralNames(names);
  }

  private static GeneralName nameOf(String identity) {
    if (identity.isEmpty()) {
      throw new IllegalArgumentException("empty identity");
    }
    if (identity.startsWith(SPIFFE_PREFIX)) {
      return new GeneralName(GeneralName.uniformResourceIdentifier, identity);
    }
    if (IPAddress.isValid(identity)) {
      return new GeneralName(GeneralName.iPAddress, identity);
    }
    return new GeneralName(GeneralName.dNSName, identity);
  }
}

package io.jistiod.citadel.server;

import java.util.List;
import java.util.Objects;

/**
 * An authenticated caller.
 *
 * @param authenticator the name of the authenticator that vouched for it, for logs
 * @param identities what the issued certificate will certify, usually one SPIFFE ID
 */
public record Caller(String authenticator, List<String> identities) {
  public Caller {
    Objects.requireNonNull(authenticator, "authenticator");
    identities = List.copyOf(Objects.requireNonNull(identities, "identities"));
    if (identities.isEmpty()) {
      throw new IllegalArgumentException("identities: empty (expected: at least one)");
    }
  }
}

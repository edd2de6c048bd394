package io.jistiod.citadel.server.node;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * {@code CA_TRUSTED_NODE_ACCOUNTS}: the service accounts allowed to request certificates on behalf
 * of the pods on their node, written {@code ns/sa,ns/sa} (Istio's chart sets {@code <ztunnel
 * namespace>/ztunnel}). Parsed as istiod does: each comma-separated entry is cut at its first
 * {@code /}; an entry without one is ignored (and reported in {@link #invalid()}), nothing is
 * trimmed. Empty means node authorization is off and every impersonation is refused.
 *
 * @param accounts the valid entries
 * @param invalid the entries ignored, for a warning
 */
public record TrustedNodeAccounts(Set<ServiceAccountName> accounts, List<String> invalid) {
  public static final TrustedNodeAccounts NONE = new TrustedNodeAccounts(Set.of(), List.of());

  public TrustedNodeAccounts {
    accounts = Set.copyOf(Objects.requireNonNull(accounts, "accounts"));
    invalid = List.copyOf(Objects.requireNonNull(invalid, "invalid"));
  }

  /** Parses the variable's value; null or empty gives {@link #NONE}. */
  public static TrustedNodeAccounts parse(String value) {
    if (value == null || value.isEmpty()) {
      return NONE;
    }
    Set<ServiceAccountName> accounts = new LinkedHashSet<>();
    List<String> invalid = new ArrayList<>();
    for (String entry : value.split(",", -1)) {
      int slash = entry.indexOf('/');
      if (slash < 0) {
        invalid.add(entry);
        continue;
      }
      accounts.add(new ServiceAccountName(entry.substring(0, slash), entry.substring(slash + 1)));
    }
    return new TrustedNodeAccounts(accounts, invalid);
  }

  public boolean isEmpty() {
    return accounts.isEmpty();
  }

  public boolean contains(ServiceAccountName account) {
    return accounts.contains(account);
  }
}

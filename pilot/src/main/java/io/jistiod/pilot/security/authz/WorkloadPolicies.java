package io.jistiod.pilot.security.authz;

import io.jistiod.galley.config.Config;
import java.util.ArrayList;
import java.util.List;

/** The AuthorizationPolicies applying to one workload, split by action. */
public record WorkloadPolicies(
    List<Config> custom, List<Config> deny, List<Config> allow, List<Config> audit) {

  public WorkloadPolicies {
    custom = List.copyOf(custom);
    deny = List.copyOf(deny);
    allow = List.copyOf(allow);
    audit = List.copyOf(audit);
  }

  static final class Builder {
    final List<Config> custom = new ArrayList<>();
    final List<Config> deny = new ArrayList<>();
    final List<Config> allow = new ArrayList<>();
    final List<Config> audit = new ArrayList<>();

    WorkloadPolicies build() {
      return new WorkloadPolicies(custom, deny, allow, audit);
    }
  }
}

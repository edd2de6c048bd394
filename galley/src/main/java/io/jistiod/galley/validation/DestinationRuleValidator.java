package io.jistiod.galley.validation;

import io.jistiod.galley.api.networking.v1alpha3.DestinationRule;
import io.jistiod.galley.api.networking.v1alpha3.Subset;
import io.jistiod.galley.config.Config;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Istio's rules for DestinationRule. */
final class DestinationRuleValidator implements ConfigValidator {
  @Override
  public List<ValidationMessage> validate(Config config) {
    DestinationRule dr = config.spec(DestinationRule.class);
    Findings f = new Findings();
    f.errorIf("spec.host", Hosts.wildcardDomainProblem(dr.getHost()));
    if (dr.hasTrafficPolicy()) {
      TrafficPolicies.trafficPolicy(
          config.namespace(), dr.getTrafficPolicy(), "spec.trafficPolicy", f);
    }
    Set<String> names = new HashSet<>();
    for (int i = 0; i < dr.getSubsetsCount(); i++) {
      Deadline.check();
      Subset s = dr.getSubsets(i);
      String path = "spec.subsets[" + i + "]";
      if (!names.add(s.getName())) {
        f.error(path + ".name", "duplicate subset name \"" + s.getName() + "\"");
      }
      Common.subsetName(s.getName(), path + ".name", f);
      Labels.check(s.getLabelsMap(), path + ".labels", f);
      if (s.hasTrafficPolicy()) {
        TrafficPolicies.trafficPolicy(
            config.namespace(), s.getTrafficPolicy(), path + ".trafficPolicy", f);
      }
    }
    Common.exportTo(
        config.namespace(),
        dr.getExportToList(),
        false,
        dr.hasWorkloadSelector(),
        "spec.exportTo",
        f);
    Common.workloadSelector(
        dr.hasWorkloadSelector(), dr.getWorkloadSelector(), "spec.workloadSelector", f);
    return f.messages();
  }
}

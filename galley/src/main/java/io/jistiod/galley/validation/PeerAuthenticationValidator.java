package io.jistiod.galley.validation;

import io.jistiod.galley.api.security.v1beta1.PeerAuthentication;
import io.jistiod.galley.config.Config;
import java.util.List;

/** Istio's rules for PeerAuthentication. */
final class PeerAuthenticationValidator implements ConfigValidator {
  @Override
  public List<ValidationMessage> validate(Config config) {
    PeerAuthentication pa = config.spec(PeerAuthentication.class);
    Findings f = new Findings();
    boolean emptySelector = !pa.hasSelector() || pa.getSelector().getMatchLabelsCount() == 0;
    if (emptySelector && pa.getPortLevelMtlsCount() > 0) {
      f.error(
          "spec.portLevelMtls",
          "port-level mTLS needs a workload selector: mesh- and namespace-wide policies cannot"
              + " have it");
    }
    for (int port : pa.getPortLevelMtlsMap().keySet()) {
      Deadline.check();
      long p = Integer.toUnsignedLong(port);
      if (p < 1 || p > 65535) {
        f.error(Findings.key("spec.portLevelMtls", p), "port must be between 1 and 65535");
      }
    }
    Common.workloadSelector(pa.hasSelector(), pa.getSelector(), "spec.selector", f);
    return f.messages();
  }
}

package io.jistiod.galley.analysis;

import io.jistiod.galley.api.networking.v1alpha3.Destination;
import io.jistiod.galley.api.networking.v1alpha3.VirtualService;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.validation.Deadline;
import java.util.ArrayList;
import java.util.List;

/**
 * A VirtualService destination naming a subset that no DestinationRule for its host defines: the
 * proxy has no cluster for it, so those requests fail with 503 (gRPC: UNAVAILABLE) instead of being
 * routed. Istio reports it as IST0101 with reference type {@code host+subset in destinationrule}.
 */
public final class SubsetAnalyzer implements Analyzer {

  @Override
  public String name() {
    return "virtualservice.SubsetAnalyzer";
  }

  @Override
  public List<AnalysisMessage> analyze(Config object, AnalysisContext context) {
    if (!(object.spec() instanceof VirtualService vs)) {
      return List.of();
    }
    List<AnalysisMessage> out = new ArrayList<>();
    SubsetIndex rules = null;
    for (Destinations.At at : Destinations.of(vs)) {
      Destination d = at.destination();
      if (d.getSubset().isEmpty() || d.getHost().isEmpty()) {
        continue;
      }
      if (rules == null) {
        rules =
            new SubsetIndex(
                context.config().list(IstioKinds.DESTINATION_RULE, null), context.domainSuffix());
      }
      String host = HostNames.resolve(d.getHost(), object.namespace(), context.domainSuffix());
      Deadline.check();
      if (!rules.defined(host, d.getSubset())) {
        out.add(
            new AnalysisMessage(
                MessageType.REFERENCED_RESOURCE_NOT_FOUND,
                object.key(),
                at.field() + ".subset",
                "Referenced host+subset in destinationrule not found: \""
                    + d.getHost()
                    + "+"
                    + d.getSubset()
                    + "\""));
      }
    }
    return out;
  }
}

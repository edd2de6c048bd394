package io.jistiod.galley.analysis;

import io.jistiod.galley.api.networking.v1alpha3.DestinationRule;
import io.jistiod.galley.api.networking.v1alpha3.ServiceEntry;
import io.jistiod.galley.api.networking.v1alpha3.VirtualService;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.IstioKinds;
import java.util.ArrayList;
import java.util.List;

/**
 * A VirtualService destination, or a DestinationRule's host, that names no known service (no
 * Kubernetes Service, no ServiceEntry host): traffic to it has nowhere to go, or the rule applies
 * to nothing. Usually a typo or a wrong namespace. Istio reports it as IST0101 with reference type
 * {@code host}. Needs the registries' view; without it nothing is reported.
 */
public final class ServiceHostAnalyzer implements Analyzer {

  @Override
  public String name() {
    return "destination.ServiceHostAnalyzer";
  }

  @Override
  public List<AnalysisMessage> analyze(Config object, AnalysisContext context) {
    if (context.mesh().isEmpty()) {
      return List.of();
    }
    List<Target> targets = new ArrayList<>();
    if (object.spec() instanceof VirtualService vs) {
      for (Destinations.At at : Destinations.of(vs)) {
        targets.add(new Target(at.field() + ".host", at.destination().getHost()));
      }
    } else if (object.spec() instanceof DestinationRule dr) {
      targets.add(new Target("spec.host", dr.getHost()));
    }
    if (targets.isEmpty()) {
      return List.of();
    }
    List<String> known = new ArrayList<>(context.mesh().get().serviceHosts());
    for (Config c : context.config().list(IstioKinds.SERVICE_ENTRY, null)) {
      for (String h : c.spec(ServiceEntry.class).getHostsList()) {
        known.add(HostNames.resolve(h, c.namespace(), context.domainSuffix()));
      }
    }
    List<AnalysisMessage> out = new ArrayList<>();
    for (Target t : targets) {
      if (t.host().isEmpty()) {
        continue;
      }
      String host = HostNames.resolve(t.host(), object.namespace(), context.domainSuffix());
      if (!HostNames.anyOverlaps(host, known)) {
        out.add(
            new AnalysisMessage(
                MessageType.REFERENCED_RESOURCE_NOT_FOUND,
                object.key(),
                t.field(),
                "Referenced host not found: \"" + t.host() + "\""));
      }
    }
    return out;
  }

  private record Target(String field, String host) {}
}

package io.jistiod.galley.analysis;

import io.jistiod.galley.api.networking.v1alpha3.DestinationRule;
import io.jistiod.galley.api.networking.v1alpha3.ServiceEntry;
import io.jistiod.galley.api.networking.v1alpha3.VirtualService;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.validation.Deadline;
import io.jistiod.galley.validation.HostOverlapIndex;
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
    // Indexed once: each target is then one lookup per dot, not a pass over every known host.
    HostOverlapIndex known = new HostOverlapIndex();
    for (String h : context.mesh().get().serviceHosts()) {
      Deadline.check();
      known.add(h, 0);
    }
    for (Config c : context.config().list(IstioKinds.SERVICE_ENTRY, null)) {
      for (String h : c.spec(ServiceEntry.class).getHostsList()) {
        Deadline.check();
        known.add(HostNames.resolve(h, c.namespace(), context.domainSuffix()), 0);
      }
    }
    List<AnalysisMessage> out = new ArrayList<>();
    for (Target t : targets) {
      if (t.host().isEmpty()) {
        continue;
      }
      String host = HostNames.resolve(t.host(), object.namespace(), context.domainSuffix());
      Deadline.check();
      if (!known.anyOverlap(host)) {
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

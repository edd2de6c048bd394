package io.jistiod.galley.analysis;

import io.jistiod.galley.api.security.v1beta1.PeerAuthentication;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.IstioKinds;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Two PeerAuthentications without a selector in one namespace: both claim every workload of the
 * namespace (in the root namespace: of the whole mesh), and only one of them (the oldest, in Istio)
 * takes effect, so the other's mTLS mode is silently ignored. Istio has no message code for this;
 * it carries ours.
 */
public final class PeerAuthenticationConflictAnalyzer implements Analyzer {

  @Override
  public String name() {
    return "peerauthentication.ConflictAnalyzer";
  }

  @Override
  public List<AnalysisMessage> analyze(Config object, AnalysisContext context) {
    if (!(object.spec() instanceof PeerAuthentication pa) || hasSelector(pa)) {
      return List.of();
    }
    List<String> others =
        context.config().list(IstioKinds.PEER_AUTHENTICATION, object.namespace()).stream()
            .filter(c -> !c.name().equals(object.name()))
            .filter(c -> !hasSelector(c.spec(PeerAuthentication.class)))
            .map(c -> c.namespace() + "/" + c.name())
            .sorted()
            .collect(Collectors.toList());
    if (others.isEmpty()) {
      return List.of();
    }
    boolean meshWide = object.namespace().equals(context.rootNamespace());
    String scope =
        meshWide
            ? "mesh-wide (no selector in the root namespace " + object.namespace() + ")"
            : "namespace-wide (no selector) in namespace " + object.namespace();
    return List.of(
        new AnalysisMessage(
            MessageType.CONFLICTING_PEER_AUTHENTICATIONS,
            object.key(),
            "spec.selector",
            "conflicts with PeerAuthentication "
                + String.join(", ", others)
                + ": each is "
                + scope
                + ", and only one "
                + (meshWide ? "mesh-wide" : "namespace-wide")
                + " PeerAuthentication takes effect; give all but one a selector, or merge them"));
  }

  private static boolean hasSelector(PeerAuthentication pa) {
    return pa.hasSelector() && pa.getSelector().getMatchLabelsCount() > 0;
  }
}

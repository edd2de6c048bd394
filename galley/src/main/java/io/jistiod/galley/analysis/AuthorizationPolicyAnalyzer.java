package io.jistiod.galley.analysis;

import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig.ExtensionProvider;
import io.jistiod.galley.api.security.v1beta1.AuthorizationPolicy;
import io.jistiod.galley.api.security.v1beta1.Rule;
import io.jistiod.galley.api.security.v1beta1.Source;
import io.jistiod.galley.config.Config;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * AuthorizationPolicies that istiod accepts but cannot enforce as written, said at admission
 * instead of only in istiod's log:
 *
 * <ul>
 *   <li>a CUSTOM policy naming an extension provider that MeshConfig does not define as {@code
 *       envoyExtAuthzHttp}/{@code envoyExtAuthzGrpc}: istiod fails closed and denies every request
 *       the policy's rules match, until the provider exists;
 *   <li>{@code source.trustDomains}/{@code notTrustDomains} (istio.io/api 1.32 fields that istiod
 *       1.27 does not implement): we drop such an ALLOW rule and ignore the field in other actions,
 *       so the policy never opens more than it says.
 * </ul>
 *
 * Istio has no message codes for these; they carry ours.
 */
public final class AuthorizationPolicyAnalyzer implements Analyzer {
  private final Supplier<MeshConfig> mesh;

  public AuthorizationPolicyAnalyzer(Supplier<MeshConfig> mesh) {
    this.mesh = mesh;
  }

  @Override
  public String name() {
    return "authz.AuthorizationPolicyAnalyzer";
  }

  @Override
  public List<AnalysisMessage> analyze(Config object, AnalysisContext context) {
    if (!(object.spec() instanceof AuthorizationPolicy ap)) {
      return List.of();
    }
    List<AnalysisMessage> out = new ArrayList<>();
    if (ap.getAction() == AuthorizationPolicy.Action.CUSTOM && ap.hasProvider()) {
      String name = ap.getProvider().getName();
      List<String> known = new ArrayList<>();
      boolean found = false;
      for (ExtensionProvider p : mesh.get().getExtensionProvidersList()) {
        boolean extAuthz =
            p.getProviderCase() == ExtensionProvider.ProviderCase.ENVOY_EXT_AUTHZ_HTTP
                || p.getProviderCase() == ExtensionProvider.ProviderCase.ENVOY_EXT_AUTHZ_GRPC;
        if (extAuthz) {
          known.add(p.getName());
          found |= p.getName().equals(name);
        }
      }
      if (!found) {
        out.add(
            new AnalysisMessage(
                MessageType.UNKNOWN_AUTHORIZATION_PROVIDER,
                object.key(),
                "spec.provider.name",
                "extension provider \""
                    + name
                    + "\" is not an envoyExtAuthzHttp or envoyExtAuthzGrpc provider in MeshConfig"
                    + " extensionProviders (defined: "
                    + known
                    + "); until it is, every request this policy's rules match is denied"));
      }
    }
    for (int i = 0; i < ap.getRulesCount(); i++) {
      Rule r = ap.getRules(i);
      for (int j = 0; j < r.getFromCount(); j++) {
        Source s = r.getFrom(j).getSource();
        if (s.getTrustDomainsCount() > 0 || s.getNotTrustDomainsCount() > 0) {
          String effect =
              ap.getAction() == AuthorizationPolicy.Action.ALLOW
                  ? "this ALLOW rule is dropped, so it allows nothing"
                  : "the field is ignored, so the rule matches regardless of trust domain";
          out.add(
              new AnalysisMessage(
                  MessageType.UNSUPPORTED_AUTHORIZATION_FIELD,
                  object.key(),
                  "spec.rules[" + i + "].from[" + j + "].source.trustDomains",
                  "trustDomains/notTrustDomains are not supported by istiod 1.27; " + effect));
        }
      }
    }
    return out;
  }
}

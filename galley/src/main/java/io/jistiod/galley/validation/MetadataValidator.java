package io.jistiod.galley.validation;

import io.jistiod.galley.api.security.v1beta1.AuthorizationPolicy;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.IstioKinds;
import java.util.List;
import java.util.Set;

/** Rules on metadata that Istio applies to every kind: reserved and dry-run annotations. */
final class MetadataValidator implements ConfigValidator {
  static final String DRY_RUN = "istio.io/dry-run";
  static final String ALWAYS_REJECT = "internal.istio.io/webhook-always-reject";
  static final String PARENT_NAMESPACE = "internal.istio.io/parent-namespace";
  static final String PARENTS = "internal.istio.io/parents";
  private static final Set<String> GO_BOOLS =
      Set.of("1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False");

  @Override
  public List<ValidationMessage> validate(Config config) {
    Findings f = new Findings();
    var annotations = config.meta().annotations();
    String dryRun = annotations.get(DRY_RUN);
    String where = "metadata.annotations[" + DRY_RUN + "]";
    if (dryRun != null) {
      if (config.meta().kind() != IstioKinds.AUTHORIZATION_POLICY) {
        f.error(where, "only AuthorizationPolicy supports this annotation; remove it");
      } else {
        var action = config.spec(AuthorizationPolicy.class).getAction();
        if (action != AuthorizationPolicy.Action.ALLOW
            && action != AuthorizationPolicy.Action.DENY) {
          f.error(where, "dry-run supports only actions ALLOW and DENY, not " + action);
        } else if (!GO_BOOLS.contains(dryRun)) {
          f.error(where, "invalid value \"" + dryRun + "\": expected true or false");
        }
      }
    }
    if (annotations.containsKey(ALWAYS_REJECT)) {
      f.error(
          "metadata.annotations[" + ALWAYS_REJECT + "]",
          "this annotation always rejects the object");
    }
    for (String internal : List.of(PARENT_NAMESPACE, PARENTS)) {
      Deadline.check();
      if (annotations.containsKey(internal)) {
        f.error(
            "metadata.annotations[" + internal + "]",
            "this internal annotation may not be set by users");
      }
    }
    return f.messages();
  }
}

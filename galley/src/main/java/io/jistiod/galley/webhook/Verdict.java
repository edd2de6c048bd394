package io.jistiod.galley.webhook;

import java.util.List;
import java.util.Objects;

/**
 * What the validation webhook decides about one object.
 *
 * @param allowed whether the API server may store the object
 * @param message why it was denied (Istio's wording, e.g. {@code configuration is invalid: ...});
 *     empty when allowed
 * @param warnings shown to the user (kubectl prints them) when the object is allowed
 * @param reason the {@code reason} label of {@code galley_validation_failed}; empty when allowed
 */
public record Verdict(boolean allowed, String message, List<String> warnings, String reason) {

  /** An operation other than CREATE or UPDATE. */
  public static final String UNSUPPORTED_OPERATION = "unsupported_operation";

  /** The object is not a Kubernetes object (not a JSON object, mistyped apiVersion/kind). */
  public static final String YAML_DECODE_ERROR = "yaml_decode_error";

  /** Group and kind name no Istio kind. */
  public static final String UNKNOWN_TYPE = "unknown_type";

  /** The spec does not convert to the kind's proto message. */
  public static final String CRD_CONVERSION_ERROR = "crd_conversion_error";

  /** Validation did not finish before the request's deadline (jistiod's own reason). */
  public static final String TIMEOUT = "timeout";

  /** Validation rules failed, or an unknown top-level field. */
  public static final String INVALID_RESOURCE = "invalid_resource";

  public Verdict {
    Objects.requireNonNull(message, "message");
    warnings = List.copyOf(warnings);
    Objects.requireNonNull(reason, "reason");
  }

  public static Verdict allow(List<String> warnings) {
    return new Verdict(true, "", warnings, "");
  }

  public static Verdict deny(String reason, String message) {
    return new Verdict(false, message, List.of(), reason);
  }
}

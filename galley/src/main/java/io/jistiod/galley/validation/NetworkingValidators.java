package io.jistiod.galley.validation;

/**
 * The validator entry point from before every kind had rules; kept for its callers. New code should
 * use {@link Validators#forKinds()}, which this delegates to.
 */
public final class NetworkingValidators {
  private NetworkingValidators() {}

  /**
   * A validator that dispatches on the object's kind; the same as {@link Validators#forKinds()}.
   */
  public static ConfigValidator forKinds() {
    return Validators.forKinds();
  }
}

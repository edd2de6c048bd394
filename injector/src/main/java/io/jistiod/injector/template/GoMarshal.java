package io.jistiod.injector.template;

/**
 * Go's encoders for callers outside the engine: sigs.k8s.io/yaml's Marshal (what {@code istioctl
 * kube-inject} prints) and encoding/json's Marshal, over {@link GoValues} Java values.
 */
public final class GoMarshal {
  private GoMarshal() {}

  /** sigs.k8s.io/yaml.Marshal of {@code v}. */
  public static String yaml(Object v) {
    return GoYaml.marshal(v);
  }

  /** encoding/json.Marshal of {@code v} (HTML characters escaped, as Go does). */
  public static String json(Object v) {
    return GoJson.marshal(v);
  }
}

package io.jistiod.injector.template;

/**
 * A typed nil pointer, e.g. an unset {@code *ProxyConfig} or {@code *int64}: prints {@code <nil>},
 * is false, fails field access, but still answers nil-safe getters ({@code GetX}) of its type.
 *
 * @param type the Go type for messages, e.g. {@code *v1alpha1.Tracing}
 * @param elem the pointed-to type's descriptor (protobuf Descriptor or model Class), or null
 */
record GoNil(String type, Object elem) {
  @Override
  public String toString() {
    return "<nil>";
  }
}

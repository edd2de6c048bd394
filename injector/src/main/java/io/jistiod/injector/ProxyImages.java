package io.jistiod.injector;

import io.jistiod.galley.api.mesh.v1alpha1.ProxyConfig;
import java.util.List;
import java.util.Map;

/** The proxy image reference, as istiod builds it from the values, ProxyConfig and annotation. */
final class ProxyImages {
  static final String IMAGE_TYPE_ANNOTATION = "sidecar.istio.io/proxyImageType";
  private static final List<String> KNOWN_TYPES = List.of("distroless", "debug");

  private ProxyImages() {}

  static String image(ValuesConfig values, ProxyConfig proxy, Map<String, String> annotations) {
    String name = values.proxyImage().isEmpty() ? "proxyv2" : values.proxyImage();
    String type = proxy.hasImage() ? proxy.getImage().getImageType() : values.variant();
    if (annotations.containsKey(IMAGE_TYPE_ANNOTATION)) {
      type = annotations.get(IMAGE_TYPE_ANNOTATION);
    }
    return values.hub() + "/" + name + ":" + withType(values.tag(), type);
  }

  /** Replaces a known image-type suffix of {@code tag} by {@code type} ("default": none). */
  static String withType(String tag, String type) {
    if (type.isEmpty()) {
      return tag;
    }
    for (String known : KNOWN_TYPES) {
      if (tag.endsWith("-" + known)) {
        tag = tag.substring(0, tag.length() - known.length() - 1);
        break;
      }
    }
    return type.equals("default") ? tag : tag + "-" + type;
  }
}

package io.jistiod.galley.config;

import io.jistiod.galley.api.ingress.v1.IngressClassSpec;
import io.jistiod.galley.api.ingress.v1.IngressSpec;
import io.jistiod.galley.api.ingress.v1.IngressStatus;
import java.util.List;

/**
 * The Kubernetes Ingress kinds (networking.k8s.io/v1, built into the API server) istiod reads to
 * derive ingress gateway config. Ingress has a status message because istiod writes it (the ingress
 * gateway's addresses) and compares against what is there.
 */
public final class IngressKinds {
  public static final String GROUP = "networking.k8s.io";

  public static final ConfigKind INGRESS =
      new ConfigKind(
          GROUP,
          "Ingress",
          "ingresses",
          List.of("v1"),
          "v1",
          List.of("ing"),
          IngressSpec.getDefaultInstance(),
          IngressStatus.getDefaultInstance(),
          false);

  public static final ConfigKind INGRESS_CLASS =
      new ConfigKind(
          GROUP,
          "IngressClass",
          "ingressclasses",
          List.of("v1"),
          "v1",
          List.of(),
          IngressClassSpec.getDefaultInstance(),
          null,
          true);

  /** Both kinds, Ingress first. */
  public static final List<ConfigKind> ALL = List.of(INGRESS, INGRESS_CLASS);

  private IngressKinds() {}
}

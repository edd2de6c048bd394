package io.jistiod.pilot.ingress;

import io.jistiod.galley.api.ingress.v1.IngressClassSpec;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig.IngressControllerMode;
import io.jistiod.galley.config.Config;

/**
 * Which Ingresses istiod serves. The deprecated {@code kubernetes.io/ingress.class} annotation wins
 * when present (it must equal MeshConfig {@code ingressClass}, unless the mode is OFF); else an
 * IngressClass named by {@code spec.ingressClassName} decides by its controller; an Ingress with
 * neither (or naming a class that does not exist) is served only in DEFAULT mode.
 */
public final class IngressSelection {
  /** The deprecated annotation that names an Ingress's class. */
  public static final String CLASS_ANNOTATION = "kubernetes.io/ingress.class";

  /** The controller of IngressClasses whose Ingresses istiod serves. */
  public static final String ISTIO_CONTROLLER = "istio.io/ingress-controller";

  private IngressSelection() {}

  /**
   * @param ingressClass the IngressClass named by the Ingress's {@code spec.ingressClassName}, or
   *     null if it names none or one that does not exist
   */
  public static boolean selected(MeshConfig mesh, Config ingress, Config ingressClass) {
    IngressControllerMode mode = mesh.getIngressControllerMode();
    String annotated = ingress.meta().annotations().get(CLASS_ANNOTATION);
    if (annotated != null) {
      return (mode == IngressControllerMode.STRICT || mode == IngressControllerMode.DEFAULT)
          && annotated.equals(mesh.getIngressClass());
    }
    if (ingressClass != null) {
      // the class decides on its own; mode OFF at startup means no Ingress support at all (the
      // wiring's choice), but a mesh switched to OFF later still serves these, as istiod does
      return ISTIO_CONTROLLER.equals(ingressClass.spec(IngressClassSpec.class).getController());
    }
    return mode == IngressControllerMode.DEFAULT;
  }
}

package io.jistiod.pilot.push;

import io.jistiod.pilot.model.ExportTo;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServiceAttributes;
import io.jistiod.pilot.model.ServicePort;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Which service a hostname means when several define it, as istiod decides: ServiceEntries in
 * several namespaces may name one host (each namespace keeping its own, with its own endpoints),
 * two entries of one namespace may split a host's ports between them, and an entry may name a
 * Kubernetes Service's host.
 *
 * <p>For a viewer's namespace, the services it may see are taken in istiod's order: those private
 * to its namespace, then those other namespaces export to it by name, then public ones, each group
 * oldest first. A sidecar first keeps those of one namespace: its own if it defines the host, else
 * the first with a Kubernetes Service, else the first (a gateway keeps them all). Of what is left,
 * the first is kept; a Kubernetes Service replaces any other kind and is never replaced; a later
 * one with other ports from the same namespace, registry, resolution, labels, selector and exportTo
 * adds its ports; any other is ignored.
 */
final class ServiceChoice {
  private ServiceChoice() {}

  /** istiod's order of services: oldest first, then by name, then by namespace. */
  static final Comparator<Service> ISTIO_ORDER =
      Comparator.comparing((Service s) -> created(s))
          .thenComparing(ServiceChoice::name)
          .thenComparing(Service::namespace);

  /**
   * The service a viewer with no namespace of its own sees (gateway conversions, inbound lookups):
   * a Kubernetes Service if one defines the host, else the oldest.
   *
   * @param candidates in {@link #ISTIO_ORDER}
   */
  static Service global(List<Service> candidates) {
    for (Service s : candidates) {
      if (isKubernetes(s)) {
        return s;
      }
    }
    return candidates.get(0);
  }

  /**
   * The service a proxy in {@code namespace} sees among {@code candidates} (one hostname's, in
   * {@link #ISTIO_ORDER}), or none when it may see none of them.
   */
  static Optional<Service> forViewer(
      List<Service> candidates,
      String namespace,
      boolean sidecar,
      Function<Service, ExportTo> exportTo) {
    List<Service> ordered = new ArrayList<>(candidates.size());
    for (Group g : Group.values()) {
      for (Service s : candidates) {
        if (group(s, exportTo.apply(s), namespace) == g) {
          ordered.add(s);
        }
      }
    }
    if (sidecar && !ordered.isEmpty()) {
      String from = sidecarNamespace(ordered, namespace);
      ordered.removeIf(s -> !s.namespace().equals(from));
    }
    Service chosen = null;
    for (Service s : ordered) {
      if (chosen == null) {
        chosen = s;
      } else if (isKubernetes(chosen)) {
        continue;
      } else if (isKubernetes(s)) {
        chosen = s;
      } else if (!chosen.ports().equals(s.ports()) && canMerge(chosen, s)) {
        chosen = withPortsOf(chosen, s);
      }
    }
    return Optional.ofNullable(chosen);
  }

  /**
   * The one namespace a sidecar takes a hostname from: its own if it defines the host, else the
   * first to offer a Kubernetes Service, else the first.
   */
  private static String sidecarNamespace(List<Service> ordered, String viewer) {
    Service taken = null;
    for (Service s : ordered) {
      if (taken == null || s.namespace().equals(viewer)) {
        taken = s;
      } else if (!isKubernetes(taken)
          && isKubernetes(s)
          && (s.namespace().equals(viewer) || !taken.namespace().equals(viewer))) {
        taken = s;
      }
    }
    return taken.namespace();
  }

  private enum Group {
    PRIVATE,
    EXPORTED_BY_NAME,
    PUBLIC
  }

  private static Group group(Service s, ExportTo e, String viewer) {
    if (e.isPublic()) {
      return Group.PUBLIC;
    }
    if (s.namespace().equals(viewer)) {
      return e.includesOwnNamespace(viewer) ? Group.PRIVATE : null;
    }
    return e.namespaces().contains(viewer) ? Group.EXPORTED_BY_NAME : null;
  }

  private static boolean canMerge(Service a, Service b) {
    return a.namespace().equals(b.namespace())
        && a.resolution() == b.resolution()
        && a.attributes().registry().equals(b.attributes().registry())
        && a.attributes().labels().equals(b.attributes().labels())
        && a.attributes().selector().equals(b.attributes().selector())
        && a.exportTo().equals(b.exportTo());
  }

  /** {@code first} with the ports of {@code other} it lacks (by number) after its own. */
  private static Service withPortsOf(Service first, Service other) {
    List<ServicePort> ports = new ArrayList<>(first.ports());
    for (ServicePort p : other.ports()) {
      if (first.port(p.port()).isEmpty()) {
        ports.add(p);
      }
    }
    return new Service(
        first.hostname(),
        first.namespace(),
        ports,
        first.addresses(),
        first.resolution(),
        first.exportTo(),
        first.attributes());
  }

  private static boolean isKubernetes(Service s) {
    return ServiceAttributes.KUBERNETES.equals(s.attributes().registry());
  }

  /** istiod names a ServiceEntry's services by their host. */
  private static String name(Service s) {
    return isKubernetes(s) ? s.attributes().name() : s.hostname();
  }

  private static Instant created(Service s) {
    String t = s.attributes().creationTime();
    if (t.isEmpty()) {
      return Instant.MIN;
    }
    try {
      return Instant.parse(t);
    } catch (DateTimeParseException e) {
      return Instant.MIN;
    }
  }
}

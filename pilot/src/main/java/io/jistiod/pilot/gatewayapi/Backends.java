package io.jistiod.pilot.gatewayapi;

import io.jistiod.galley.api.networking.v1alpha3.Destination;
import io.jistiod.galley.api.networking.v1alpha3.PortSelector;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * A route's backendRef as the Istio destination istiod generates ({@code buildDestination}), with
 * istiod's distinction between a bad backend, which is dropped softly (not found, not permitted,
 * unsupported kind: the route stays, the status says why) and a bad reference, which fails the
 * whole route.
 */
final class Backends {
  static final String BACKEND_NOT_FOUND = "BackendNotFound";
  static final String REF_NOT_PERMITTED = "RefNotPermitted";
  static final String INVALID_KIND = "InvalidKind";
  static final String INVALID_DESTINATION = "InvalidDestination";
  static final String EXTENSION_SERVICE = "istio.io/inferencepool-extension-service";
  static final String EXTENSION_PORT = "istio.io/inferencepool-extension-port";
  static final String EXTENSION_FAILURE_MODE = "istio.io/inferencepool-extension-failure-mode";

  /** A backendRef's fields, whatever route kind holds it. */
  record Ref(
      boolean hasGroup,
      String group,
      boolean hasKind,
      String kind,
      String name,
      boolean hasNamespace,
      String namespace,
      boolean hasPort,
      int port) {

    /**
     * The reference of any backend message (HTTPBackendRef, GRPCBackendRef, BackendRef, a mirror's
     * BackendObjectReference): they share the fields {@code group}, {@code kind}, {@code name},
     * {@code namespace} and {@code port}, as the Go types embed one another.
     */
    static Ref of(com.google.protobuf.MessageOrBuilder m) {
      var d = m.getDescriptorForType();
      var port = d.findFieldByName("port");
      return new Ref(
          m.hasField(d.findFieldByName("group")),
          (String) m.getField(d.findFieldByName("group")),
          m.hasField(d.findFieldByName("kind")),
          (String) m.getField(d.findFieldByName("kind")),
          (String) m.getField(d.findFieldByName("name")),
          m.hasField(d.findFieldByName("namespace")),
          (String) m.getField(d.findFieldByName("namespace")),
          m.hasField(port),
          ((Number) m.getField(port)).intValue());
    }
  }

  /**
   * The destination and the problem with it. A hard problem ({@link #hard}) has no destination: the
   * route cannot be built. A soft one keeps a destination (possibly empty) and the route.
   */
  record Built(Destination destination, StatusError error, boolean hard) {
    static Built hard(StatusError e) {
      return new Built(null, e, true);
    }
  }

  private final GatewayApiInputs in;
  private final ReferenceGrants grants;

  Backends(GatewayApiInputs in, ReferenceGrants grants) {
    this.in = in;
    this.grants = grants;
  }

  /**
   * @param routeKind the kind of the route holding the reference, for ReferenceGrants
   * @param enforceGrants true for Gateway parents; mesh routes need no grant
   */
  Built build(Ref to, GroupKind routeKind, String routeNamespace, boolean enforceGrants) {
    GroupKind kind = GroupKind.of(to.hasGroup, to.group, to.hasKind, to.kind, GroupKind.SERVICE);
    if (enforceGrants
        && to.hasNamespace
        && !to.namespace.equals(routeNamespace)
        && !grants.allows(routeKind, routeNamespace, kind, to.namespace, to.name)) {
      return new Built(
          Destination.getDefaultInstance(),
          new StatusError(
              REF_NOT_PERMITTED,
              "backendRef %s/%s not accessible to a %s in namespace \"%s\" (missing a ReferenceGrant?)"
                  .formatted(to.name, to.namespace, routeKind.kind(), routeNamespace)),
          false);
    }
    String namespace = to.hasNamespace ? to.namespace : routeNamespace;
    String suffix = in.options().domainSuffix();
    String host;
    StatusError notFound = null;
    if (kind.equals(GroupKind.SERVICE)) {
      if (to.name.contains(".")) {
        return Built.hard(
            new StatusError(
                INVALID_DESTINATION,
                "service name invalid; the name of the Service must be used, not the hostname."));
      }
      host = to.name + "." + namespace + ".svc." + suffix;
      if (!in.kubernetesServices().contains(namespace + "/" + to.name)) {
        notFound = notFound(host);
      }
    } else if (kind.equals(GroupKind.HOSTNAME)) {
      if (to.hasNamespace) {
        return Built.hard(
            new StatusError(INVALID_DESTINATION, "namespace may not be set with Hostname type"));
      }
      host = to.name;
      if (in.registry().service(host, namespace).isEmpty()) {
        notFound = notFound(host);
      }
    } else if (kind.equals(GroupKind.SERVICE_IMPORT)) {
      // Without ENABLE_MCS_HOST a ServiceImport is its Service, already multi-cluster.
      host =
          to.name
              + "."
              + namespace
              + ".svc."
              + (in.options().mcsHost() ? "clusterset.local" : suffix);
      if (!in.kubernetesServices().contains(namespace + "/" + to.name)) {
        notFound = notFound(host);
      }
    } else if (kind.equals(GroupKind.INFERENCE_POOL)) {
      return inferencePool(to, namespace);
    } else {
      return new Built(
          Destination.getDefaultInstance(),
          new StatusError(
              INVALID_KIND,
              "referencing unsupported backendRef: group \"%s\" kind \"%s\""
                  .formatted(to.group, to.kind)),
          false);
    }
    if (!to.hasPort) {
      return Built.hard(new StatusError(INVALID_DESTINATION, "port is required in backendRef"));
    }
    return new Built(
        Destination.newBuilder()
            .setHost(host)
            .setPort(PortSelector.newBuilder().setNumber(to.port))
            .build(),
        notFound,
        false);
  }

  private static StatusError notFound(String host) {
    return new StatusError(BACKEND_NOT_FOUND, "backend(" + host + ") not found");
  }

  /**
   * An InferencePool: the Service istiod shadows it with, which carries the endpoint picker in its
   * labels. The pool object itself is not read: its shadow Service stands for it.
   */
  private Built inferencePool(Ref to, String namespace) {
    if (!in.options().inferencePools()) {
      return new Built(
          Destination.getDefaultInstance(),
          new StatusError(
              INVALID_KIND,
              "InferencePool is not enabled. To enable, set ENABLE_GATEWAY_API_INFERENCE_EXTENSION"
                  + " to true in istiod"),
          false);
    }
    if (to.name.contains(".")) {
      return Built.hard(
          new StatusError(
              INVALID_DESTINATION,
              "InferencePool.Name invalid; the name of the InferencePool must be used, not the"
                  + " hostname."));
    }
    String host =
        shadowServiceName(to.name) + "." + namespace + ".svc." + in.options().domainSuffix();
    Optional<RegistryService> shadow = in.registry().service(host, namespace);
    if (shadow.isEmpty()) {
      return new Built(Destination.getDefaultInstance(), notFound(host), false);
    }
    Map<String, String> labels = shadow.get().labels();
    if (labels.getOrDefault(EXTENSION_SERVICE, "").isEmpty()
        || labels.getOrDefault(EXTENSION_PORT, "").isEmpty()
        || labels.getOrDefault(EXTENSION_FAILURE_MODE, "").isEmpty()) {
      // Not one of the soft kinds of problem: istiod fails the route.
      return Built.hard(
          new StatusError(
              INVALID_DESTINATION, "InferencePool service invalid, extensionRef labels not found"));
    }
    // No port: the endpoint picker chooses the endpoint.
    return new Built(Destination.newBuilder().setHost(host).build(), null, false);
  }

  /** {@code <pool>-ip-<8 hex of sha256(pool)>}, the pool cut to fit 63 characters. */
  static String shadowServiceName(String pool) {
    String hash;
    try {
      hash =
          HexFormat.of()
              .formatHex(
                  MessageDigest.getInstance("SHA-256")
                      .digest(pool.getBytes(StandardCharsets.UTF_8)))
              .substring(0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    String name = pool + "-ip-" + hash;
    return name.length() <= 63 ? name : pool.substring(0, 63 - 4 - 8) + "-ip-" + hash;
  }
}

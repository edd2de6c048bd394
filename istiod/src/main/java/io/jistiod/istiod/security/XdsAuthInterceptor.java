package io.jistiod.istiod.security;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.Attributes;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.jistiod.citadel.server.AuthenticationResult;
import io.jistiod.citadel.server.Authenticator;
import io.jistiod.citadel.server.CallInfo;
import io.jistiod.citadel.server.Caller;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.NodeParseException;
import io.jistiod.pilot.model.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authentication and authorization of xDS streams on the TLS port (XDS-02), in front of Pilot's
 * unchanged ADS service, as Istio's {@code pilot/pkg/xds/auth.go}:
 *
 * <ol>
 *   <li>When the stream opens, the caller must be authenticated by one of the CA's authenticators
 *       (a client certificate with a SPIFFE URI, or a bearer token the API server vouches for), or
 *       the stream fails with UNAUTHENTICATED. The identity goes into the gRPC {@link Context}
 *       under {@link #CALLER}.
 *   <li>The first request names the node. With the identity check on ({@code
 *       PILOT_ENABLE_XDS_IDENTITY_CHECK}), one of the caller's SPIFFE identities must be in the
 *       node's config namespace (metadata NAMESPACE, else the node id's domain) and, if the node
 *       states a SERVICE_ACCOUNT, be that account; otherwise PERMISSION_DENIED and the request
 *       never reaches Pilot. Requests whose node Pilot cannot parse pass on, for Pilot to refuse
 *       with its own INVALID_ARGUMENT.
 * </ol>
 *
 * <p>Authentication may block on a TokenReview; it runs on the server's executor, not on the
 * transport threads.
 */
public final class XdsAuthInterceptor implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger(XdsAuthInterceptor.class);

  /** The authenticated caller of the current xDS stream. */
  public static final Context.Key<Caller> CALLER = Context.key("jistiod-xds-caller");

  private final List<Authenticator> authenticators;
  private final boolean identityCheck;

  public XdsAuthInterceptor(List<Authenticator> authenticators, boolean identityCheck) {
    this.authenticators = List.copyOf(Objects.requireNonNull(authenticators, "authenticators"));
    this.identityCheck = identityCheck;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    Attributes attributes = call.getAttributes();
    CallInfo info =
        new CallInfo(
            headers,
            attributes.get(Grpc.TRANSPORT_ATTR_SSL_SESSION),
            attributes.get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
    Caller caller = authenticate(info);
    if (caller == null) {
      call.close(Status.UNAUTHENTICATED.withDescription("authentication failure"), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    // Pilot reads the identities for debug requests, which need a verified caller
    Context context =
        Context.current()
            .withValue(CALLER, caller)
            .withValue(io.jistiod.pilot.xds.XdsCaller.IDENTITIES, List.copyOf(caller.identities()));
    ServerCall.Listener<ReqT> listener = Contexts.interceptCall(context, call, headers, next);
    return identityCheck ? new NodeCheck<>(listener, call, caller, info.peer()) : listener;
  }

  private Caller authenticate(CallInfo info) {
    List<String> reasons = new ArrayList<>(authenticators.size());
    for (Authenticator authenticator : authenticators) {
      AuthenticationResult result;
      try {
        result = authenticator.authenticate(info);
      } catch (RuntimeException e) {
        result = AuthenticationResult.failure("error " + e.getClass().getSimpleName());
      }
      if (result.caller().isPresent()) {
        return result.caller().get();
      }
      reasons.add(authenticator.name() + ": " + result.failure().orElse("unknown"));
    }
    log.warn("xDS authentication failed from {}: {}", info.peer(), reasons);
    return null;
  }

  /**
   * Why {@code caller} may not receive config for {@code node}, or empty if it may. Nodes that do
   * not parse are allowed here: Pilot refuses them itself.
   */
  static Optional<String> authorize(Caller caller, Node node) {
    if (node == null || node.getId().isEmpty()) {
      return Optional.empty();
    }
    Proxy proxy;
    try {
      proxy =
          Proxy.fromNode(
              node.getId(),
              node.getMetadata(),
              new Locality(
                  node.getLocality().getRegion(),
                  node.getLocality().getZone(),
                  node.getLocality().getSubZone()));
    } catch (NodeParseException e) {
      return Optional.empty();
    }
    if (io.jistiod.pilot.xds.XdsCaller.verify(caller.identities(), proxy).isPresent()) {
      return Optional.empty();
    }
    String namespace = proxy.configNamespace();
    String serviceAccount = proxy.metadata().serviceAccount();
    return Optional.of(
        "no identities (" + caller.identities() + ") matched " + namespace + "/" + serviceAccount);
  }

  private static Node nodeOf(Object request) {
    if (request instanceof DiscoveryRequest sotw) {
      return sotw.hasNode() ? sotw.getNode() : null;
    }
    if (request instanceof DeltaDiscoveryRequest delta) {
      return delta.hasNode() ? delta.getNode() : null;
    }
    return null;
  }

  /** Holds the first request back until its node has been matched against the caller. */
  private static final class NodeCheck<ReqT>
      extends ForwardingServerCallListener.SimpleForwardingServerCallListener<ReqT> {
    private final ServerCall<ReqT, ?> call;
    private final Caller caller;
    private final String peer;
    private boolean checked;
    private boolean denied;

    NodeCheck(
        ServerCall.Listener<ReqT> delegate, ServerCall<ReqT, ?> call, Caller caller, String peer) {
      super(delegate);
      this.call = call;
      this.caller = caller;
      this.peer = peer;
    }

    @Override
    public void onMessage(ReqT message) {
      if (denied) {
        return;
      }
      if (!checked) {
        checked = true;
        Optional<String> denial = authorize(caller, nodeOf(message));
        if (denial.isPresent()) {
          denied = true;
          log.warn(
              "xDS authorization failed for {} from {}: {}",
              caller.identities(),
              peer,
              denial.get());
          // Nothing has been sent on this call yet: Pilot has not seen it.
          call.close(
              Status.PERMISSION_DENIED.withDescription("authorization failed: " + denial.get()),
              new Metadata());
          return;
        }
      }
      super.onMessage(message);
    }

    @Override
    public void onHalfClose() {
      if (!denied) {
        super.onHalfClose();
      }
    }
  }
}

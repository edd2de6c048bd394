package io.jistiod.istiod.security;

import io.grpc.Metadata;
import io.jistiod.citadel.server.AuthenticationResult;
import io.jistiod.citadel.server.Authenticator;
import io.jistiod.citadel.server.CallInfo;
import io.jistiod.istiod.http.HttpEndpoints;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may read istiod's debug endpoints over HTTP, as istiod decides: any caller on loopback (a
 * {@code kubectl port-forward}, istioctl on the node), else a caller the xDS authenticators accept
 * (a Kubernetes token in {@code Authorization: Bearer}); everyone else gets a 401. Without the CA
 * there is no authenticator, so only loopback callers get in.
 */
public final class DebugAccess implements HttpEndpoints.CallerCheck {
  private static final Logger log = LoggerFactory.getLogger(DebugAccess.class);

  private final Supplier<List<Authenticator>> authenticators;

  public DebugAccess(Supplier<List<Authenticator>> authenticators) {
    this.authenticators = authenticators;
  }

  @Override
  public boolean allowed(InetSocketAddress peer, String authorization) {
    if (peer != null && peer.getAddress() != null && peer.getAddress().isLoopbackAddress()) {
      return true;
    }
    if (authorization == null || authorization.isEmpty()) {
      log.warn("debug request from {} refused: not local, no credentials", peer);
      return false;
    }
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), authorization);
    CallInfo call = new CallInfo(headers, null, peer);
    for (Authenticator a : authenticators.get()) {
      AuthenticationResult r;
      try {
        r = a.authenticate(call);
      } catch (RuntimeException e) {
        continue;
      }
      if (r.caller().isPresent()) {
        return true;
      }
    }
    log.warn("debug request from {} refused: authentication failed", peer);
    return false;
  }
}

package io.jistiod.citadel.server;

/**
 * One way of establishing who is calling. The service tries its authenticators in order and the
 * first success wins, as Istio does (client certificate, then Kubernetes JWT).
 *
 * <p>Implementations are called concurrently from gRPC threads and may block (a TokenReview is an
 * HTTP call); they must not throw for bad credentials but return a failure.
 */
public interface Authenticator {
  /** A short name for logs, such as "ClientCertAuthenticator". */
  String name();

  AuthenticationResult authenticate(CallInfo call);
}

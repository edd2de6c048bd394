package io.jistiod.citadel.server;

import com.google.protobuf.Value;
import io.grpc.BindableService;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.StreamObserver;
import io.jistiod.citadel.api.IstioCertificateRequest;
import io.jistiod.citadel.api.IstioCertificateResponse;
import io.jistiod.citadel.api.IstioCertificateServiceGrpc;
import io.jistiod.citadel.ca.CaErrorType;
import io.jistiod.citadel.ca.CaException;
import io.jistiod.citadel.ca.IssuedCertificate;
import io.jistiod.citadel.ca.WorkloadCertificateSigner;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code istio.v1.auth.IstioCertificateService/CreateCertificate}, as istiod serves it on 15012.
 *
 * <p>Authenticates the caller, then signs the CSR for the caller's identities: the SANs the CSR
 * asks for are ignored, so a workload can only ever obtain its own identity. The one exception is a
 * node proxy asking for a pod's identity in request metadata {@code ImpersonatedIdentity}: only an
 * {@link ImpersonationAuthorizer} ({@code CA_TRUSTED_NODE_ACCOUNTS}) can allow that, and without
 * one it is always refused. Failures map to Istio's status codes; authentication failures get an
 * opaque message and the reason goes to the log only.
 *
 * <p>Register it with {@code serverBuilder.addService(service)}: {@link #bindService()} installs
 * the {@link CallInfoInterceptor} that authenticators depend on. Calls run on gRPC's executor and
 * may block on a TokenReview.
 */
public final class IstioCertificateService
    implements IstioCertificateServiceGrpc.AsyncService, BindableService {
  private static final Logger log = LoggerFactory.getLogger(IstioCertificateService.class);

  /** Request metadata key with which a node agent (ztunnel) asks for another identity. */
  static final String IMPERSONATED_IDENTITY = "ImpersonatedIdentity";

  /** Header naming the caller's cluster; node authorization needs it to name this cluster. */
  static final String CLUSTER_ID_HEADER = "clusterid";

  private final IssuedCertificateLog issuedLog = new IssuedCertificateLog(1000);
  private final List<Authenticator> authenticators;
  private final WorkloadCertificateSigner signer;
  private final CitadelServerMetrics metrics;
  private final ImpersonationAuthorizer impersonation;

  /** Without node authorization: every impersonation is refused. */
  public IstioCertificateService(
      List<Authenticator> authenticators,
      WorkloadCertificateSigner signer,
      MeterRegistry registry) {
    this(authenticators, signer, registry, null);
  }

  /**
   * @param impersonation decides impersonation requests; null refuses them all
   */
  public IstioCertificateService(
      List<Authenticator> authenticators,
      WorkloadCertificateSigner signer,
      MeterRegistry registry,
      ImpersonationAuthorizer impersonation) {
    this.authenticators = List.copyOf(Objects.requireNonNull(authenticators, "authenticators"));
    this.signer = Objects.requireNonNull(signer, "signer");
    this.metrics = new CitadelServerMetrics(registry);
    this.impersonation = impersonation;
  }

  @Override
  public ServerServiceDefinition bindService() {
    return ServerInterceptors.intercept(
        IstioCertificateServiceGrpc.bindService(this), new CallInfoInterceptor());
  }

  /** The latest certificate issued per identity. */
  public IssuedCertificateLog issued() {
    return issuedLog;
  }

  @Override
  public void createCertificate(
      IstioCertificateRequest request, StreamObserver<IstioCertificateResponse> response) {
    try {
      response.onNext(create(request));
      response.onCompleted();
    } catch (StatusException e) {
      response.onError(e);
    } catch (RuntimeException e) {
      log.error("CreateCertificate failed unexpectedly", e);
      response.onError(Status.INTERNAL.withDescription("internal error").asException());
    }
  }

  private IstioCertificateResponse create(IstioCertificateRequest request) throws StatusException {
    metrics.csr.increment();
    CallInfo call = CallInfo.current().orElse(null);
    Caller caller = authenticate(call);
    if (caller == null) {
      metrics.authenticationFailure.increment();
      throw Status.UNAUTHENTICATED.withDescription("request authenticate failure").asException();
    }
    List<String> sans = caller.identities();
    String impersonated =
        request
            .getMetadata()
            .getFieldsOrDefault(IMPERSONATED_IDENTITY, Value.getDefaultInstance())
            .getStringValue();
    if (!impersonated.isEmpty()) {
      authorizeImpersonation(call, caller, impersonated);
      sans = List.of(impersonated);
    }
    IssuedCertificate issued;
    try {
      issued =
          signer.sign(request.getCsr(), sans, Duration.ofSeconds(request.getValidityDuration()));
    } catch (CaException e) {
      metrics.signError(e.type()).increment();
      if (e.type() == CaErrorType.CSR_ERROR) {
        metrics.csrParsingError.increment();
      }
      log.warn("CSR signing error for {}: {}", sans, e.toString());
      throw statusOf(e.type()).withDescription("CSR signing error (" + e + ")").asException();
    }
    metrics.success.increment();
    issuedLog.record(sans, java.time.Instant.now(), issued.leaf().getNotAfter().toInstant());
    log.debug("issued certificate for {} until {}", sans, issued.leaf().getNotAfter());
    return IstioCertificateResponse.newBuilder().addAllCertChain(issued.pemChain()).build();
  }

  /**
   * Lets {@code caller} obtain {@code identity} or throws UNAUTHENTICATED with istiod's opaque
   * message; the reason goes to the log only, so a caller cannot probe which pods run where.
   */
  private void authorizeImpersonation(CallInfo call, Caller caller, String identity)
      throws StatusException {
    String refusal;
    if (impersonation == null) {
      refusal = "node authorizer (CA_TRUSTED_NODE_ACCOUNTS) is not configured";
    } else {
      refusal =
          impersonation
              .refusal(call.header(CLUSTER_ID_HEADER).orElse(""), caller, identity)
              .orElse(null);
    }
    if (refusal != null) {
      metrics.authenticationFailure.increment();
      log.warn(
          "impersonation of {} by {} ({}) from {} refused: {}",
          identity,
          caller.identities(),
          caller.kubernetes(),
          call.peer(),
          refusal);
      throw Status.UNAUTHENTICATED
          .withDescription("request impersonation authentication failure")
          .asException();
    }
    log.debug("node caller {} impersonated {}", caller.kubernetes(), identity);
  }

  /** The first caller any authenticator vouches for, or null; every failure reason is logged. */
  private Caller authenticate(CallInfo call) {
    if (call == null) {
      log.warn("CSR authentication failed: no call info (is CallInfoInterceptor installed?)");
      return null;
    }
    List<String> reasons = new ArrayList<>(authenticators.size());
    for (Authenticator authenticator : authenticators) {
      AuthenticationResult result;
      try {
        result = authenticator.authenticate(call);
      } catch (RuntimeException e) {
        result = AuthenticationResult.failure("error " + e.getClass().getSimpleName());
        log.debug("authenticator {} threw", authenticator.name(), e);
      }
      if (result.caller().isPresent()) {
        return result.caller().get();
      }
      reasons.add(authenticator.name() + ": " + result.failure().orElse("unknown"));
    }
    log.warn("CSR authentication failed from {}: {}", call.peer(), reasons);
    return null;
  }

  static Status statusOf(CaErrorType type) {
    return switch (type) {
      case CSR_ERROR, TTL_ERROR -> Status.INVALID_ARGUMENT;
      case CA_NOT_READY, CERT_GEN_ERROR -> Status.INTERNAL;
    };
  }
}

package io.jistiod.citadel.server;

import io.jistiod.citadel.ca.CaErrorType;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * The CA server counters under Istio's names ({@code security/pkg/server/ca/monitoring.go}), so
 * existing dashboards and alerts keep working. Registered once; each call only increments.
 */
final class CitadelServerMetrics {
  final Counter csr;
  final Counter authenticationFailure;
  final Counter csrParsingError;
  final Counter success;
  private final Map<CaErrorType, Counter> signErrors = new EnumMap<>(CaErrorType.class);

  CitadelServerMetrics(MeterRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    csr = counter(registry, "citadel_server_csr_count", "The number of CSRs received by Citadel.");
    authenticationFailure =
        counter(
            registry,
            "citadel_server_authentication_failure_count",
            "The number of authentication failures.");
    csrParsingError =
        counter(
            registry,
            "citadel_server_csr_parsing_err_count",
            "The number of errors occurred when parsing the CSR.");
    success =
        counter(
            registry,
            "citadel_server_success_cert_issuance_count",
            "The number of certificates issuances that have succeeded.");
    for (CaErrorType type : CaErrorType.values()) {
      signErrors.put(
          type,
          Counter.builder("citadel_server_csr_sign_err_count")
              .description("The number of errors occurred when signing the CSR.")
              .tag("error", type.name())
              .register(registry));
    }
  }

  Counter signError(CaErrorType type) {
    return signErrors.get(type);
  }

  private static Counter counter(MeterRegistry registry, String name, String help) {
    return Counter.builder(name).description(help).register(registry);
  }
}

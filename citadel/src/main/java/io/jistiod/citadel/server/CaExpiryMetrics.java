package io.jistiod.citadel.server;

import io.jistiod.citadel.pki.CaKeyMaterial;
import io.jistiod.citadel.pki.CaKeyMaterialHolder;
import io.jistiod.citadel.pki.CaKeyMaterialSource;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Istio's CA expiry gauges ({@code security/pkg/server/ca/monitoring.go}), read from the current
 * key material at scrape time, so they follow loads and rotations without being told:
 *
 * <ul>
 *   <li>{@code citadel_server_root_cert_expiry_timestamp}: when the first root of the bundle
 *       expires, in Unix seconds;
 *   <li>{@code citadel_server_root_cert_expiry_seconds}: seconds until then, negative once expired;
 *   <li>{@code citadel_server_cert_chain_expiry_timestamp} and {@code _seconds}: the same for the
 *       first certificate of the chain of a plug-in CA; registered only once some material has a
 *       chain, as Istio records them only then (a self-signed CA has none).
 * </ul>
 *
 * Without key material the gauges read NaN.
 */
public final class CaExpiryMetrics {
  private CaExpiryMetrics() {}

  public static void register(MeterRegistry registry, CaKeyMaterialHolder source, Clock clock) {
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(clock, "clock");
    Gauge.builder("citadel_server_root_cert_expiry_timestamp", () -> rootExpiry(source))
        .description("The unix timestamp, in seconds, when the root cert will expire.")
        .register(registry);
    Gauge.builder(
            "citadel_server_root_cert_expiry_seconds",
            () -> rootExpiry(source) - clock.millis() / 1000.0)
        .description(
            "The time remaining, in seconds, before the root cert will expire. "
                + "A negative value indicates the cert is expired.")
        .register(registry);
    AtomicBoolean chainGauges = new AtomicBoolean();
    source.addListener(
        material -> {
          if (!material.certChain().isEmpty() && chainGauges.compareAndSet(false, true)) {
            registerChainGauges(registry, source, clock);
          }
        });
  }

  private static void registerChainGauges(
      MeterRegistry registry, CaKeyMaterialSource source, Clock clock) {
    Gauge.builder("citadel_server_cert_chain_expiry_timestamp", () -> chainExpiry(source))
        .description("The unix timestamp, in seconds, when Istio generated cert chain will expire.")
        .register(registry);
    Gauge.builder(
            "citadel_server_cert_chain_expiry_seconds",
            () -> chainExpiry(source) - clock.millis() / 1000.0)
        .description(
            "The time remaining, in seconds, before the Istio Generated cert chain will expire. "
                + "A negative value indicates the cert is expired.")
        .register(registry);
  }

  private static double rootExpiry(CaKeyMaterialSource source) {
    return source.current().map(m -> firstExpiry(m.rootBundle())).orElse(Double.NaN);
  }

  private static double chainExpiry(CaKeyMaterialSource source) {
    return source
        .current()
        .map(CaKeyMaterial::certChain)
        .map(CaExpiryMetrics::firstExpiry)
        .orElse(Double.NaN);
  }

  private static double firstExpiry(List<X509Certificate> certs) {
    return certs.isEmpty() ? Double.NaN : certs.get(0).getNotAfter().getTime() / 1000.0;
  }
}

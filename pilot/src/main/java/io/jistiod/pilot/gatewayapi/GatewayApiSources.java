package io.jistiod.pilot.gatewayapi;

import io.jistiod.pilot.envoy.secret.CredentialSource;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * What the Gateway API conversion reads besides the config store and the service registry, as
 * istiod's wiring supplies it.
 *
 * @param namespaces the labels of every namespace (allowedRoutes selectors), read at each push
 * @param secrets the certificate Secrets listeners refer to
 * @param configMaps the CA certificate ConfigMaps BackendTLSPolicies refer to
 * @param options istiod's settings for the conversion
 * @param clock stamps conditions that change
 */
public record GatewayApiSources(
    Supplier<Map<String, Map<String, String>>> namespaces,
    CredentialSource secrets,
    ConfigMapSource configMaps,
    GatewayApiOptions options,
    Clock clock) {
  public GatewayApiSources {
    Objects.requireNonNull(namespaces, "namespaces");
    Objects.requireNonNull(secrets, "secrets");
    Objects.requireNonNull(configMaps, "configMaps");
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(clock, "clock");
  }

  /** Sources without ConfigMaps. */
  public GatewayApiSources(
      Supplier<Map<String, Map<String, String>>> namespaces,
      CredentialSource secrets,
      GatewayApiOptions options,
      Clock clock) {
    this(namespaces, secrets, ConfigMapSource.NONE, options, clock);
  }
}

package io.jistiod.pilot.envoy;

import io.jistiod.pilot.envoy.cluster.EnvoyClusterGenerator;
import io.jistiod.pilot.envoy.listener.EnvoyListenerGenerator;
import io.jistiod.pilot.envoy.patch.PatchingGenerator;
import io.jistiod.pilot.envoy.route.EnvoyRouteGenerator;
import io.jistiod.pilot.envoy.secret.CredentialSource;
import io.jistiod.pilot.envoy.secret.SecretGenerator;
import io.jistiod.pilot.networking.EndpointGenerator;
import io.jistiod.pilot.xds.GeneratorRegistry;
import io.jistiod.pilot.xds.TypeUrls;

/**
 * The generators for Envoy proxies (sidecars, gateways): the default for every type, used by any
 * proxy that does not ask for another generator in its metadata (proxyless gRPC asks for {@code
 * grpc}). Each generator dispatches on the proxy's node type itself, since a sidecar and a router
 * share the resource types but not their shape.
 */
public final class EnvoyGenerators {
  private EnvoyGenerators() {}

  /** Registers the Envoy generators as the defaults of {@code registry}, without credentials. */
  public static GeneratorRegistry registerDefaults(GeneratorRegistry registry) {
    return registerDefaults(registry, CredentialSource.NONE);
  }

  /**
   * Registers the Envoy generators as the defaults of {@code registry}; gateways get their
   * credentials over SDS from {@code credentials}.
   */
  public static GeneratorRegistry registerDefaults(
      GeneratorRegistry registry, CredentialSource credentials) {
    return registry
        .register(TypeUrls.SECRET, new SecretGenerator(credentials))
        .register(TypeUrls.ENDPOINT, new EndpointGenerator())
        // EnvoyFilters patch what the generators built (and cached) for each proxy they select
        .register(
            TypeUrls.ROUTE,
            new PatchingGenerator(PatchingGenerator.Type.ROUTE, new EnvoyRouteGenerator()))
        .register(
            TypeUrls.CLUSTER,
            new PatchingGenerator(PatchingGenerator.Type.CLUSTER, new EnvoyClusterGenerator()))
        .register(
            TypeUrls.LISTENER,
            new PatchingGenerator(PatchingGenerator.Type.LISTENER, new EnvoyListenerGenerator()));
  }
}

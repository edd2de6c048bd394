package io.jistiod.pilot.xds;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.admin.v3.BootstrapConfigDump;
import io.envoyproxy.envoy.admin.v3.ClustersConfigDump;
import io.envoyproxy.envoy.admin.v3.ConfigDump;
import io.envoyproxy.envoy.admin.v3.EcdsConfigDump;
import io.envoyproxy.envoy.admin.v3.EndpointsConfigDump;
import io.envoyproxy.envoy.admin.v3.ListenersConfigDump;
import io.envoyproxy.envoy.admin.v3.RoutesConfigDump;
import io.envoyproxy.envoy.admin.v3.ScopedRoutesConfigDump;
import io.envoyproxy.envoy.admin.v3.SecretsConfigDump;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.jistiod.pilot.push.PushContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a connected proxy should hold, in the shape of Envoy's admin {@code /config_dump}: istiod's
 * {@code /debug/config_dump?proxyID=} and {@code istio.io/debug/config_dump}, which {@code istioctl
 * proxy-status <pod>} compares with the proxy's own dump. Built as istiod builds it: each watched
 * type generated again for the proxy from the current push context, with the names it subscribed
 * to; only dynamic resources, private keys redacted, endpoints only when asked for.
 */
final class ConfigDumps {
  private static final Logger log = LoggerFactory.getLogger(ConfigDumps.class);
  static final String ECDS = "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig";
  private static final ByteString REDACTED = ByteString.copyFromUtf8("[redacted]");

  private ConfigDumps() {}

  /** The dump of {@code connection} at {@code push}. */
  static ConfigDump of(
      ProxyConnection connection,
      PushContext push,
      GeneratorRegistry generators,
      boolean includeEndpoints) {
    Map<String, Set<String>> watched = connection.watchedNames();
    String version = push.version();
    List<XdsResource> clusters = generate(connection, push, generators, watched, TypeUrls.CLUSTER);
    List<XdsResource> listeners =
        generate(connection, push, generators, watched, TypeUrls.LISTENER);
    List<XdsResource> routes = generate(connection, push, generators, watched, TypeUrls.ROUTE);
    List<XdsResource> secrets = generate(connection, push, generators, watched, TypeUrls.SECRET);
    List<XdsResource> extensions = generate(connection, push, generators, watched, ECDS);

    ClustersConfigDump.Builder c = ClustersConfigDump.newBuilder().setVersionInfo(version);
    clusters.forEach(
        r ->
            c.addDynamicActiveClusters(
                ClustersConfigDump.DynamicCluster.newBuilder().setCluster(r.body())));
    ListenersConfigDump.Builder l = ListenersConfigDump.newBuilder().setVersionInfo(version);
    listeners.forEach(
        r ->
            l.addDynamicListeners(
                ListenersConfigDump.DynamicListener.newBuilder()
                    .setName(r.name())
                    .setActiveState(
                        ListenersConfigDump.DynamicListenerState.newBuilder()
                            .setListener(r.body())
                            .setVersionInfo(version))));
    RoutesConfigDump.Builder rt = RoutesConfigDump.newBuilder();
    routes.forEach(
        r ->
            rt.addDynamicRouteConfigs(
                RoutesConfigDump.DynamicRouteConfig.newBuilder()
                    .setVersionInfo(version)
                    .setRouteConfig(r.body())));
    SecretsConfigDump.Builder s = SecretsConfigDump.newBuilder();
    secrets.forEach(
        r ->
            s.addDynamicActiveSecrets(
                SecretsConfigDump.DynamicSecret.newBuilder()
                    .setName(r.name())
                    .setVersionInfo(version)
                    .setSecret(redact(r.body()))));
    EcdsConfigDump.Builder e = EcdsConfigDump.newBuilder();
    extensions.forEach(
        r ->
            e.addEcdsFilters(
                EcdsConfigDump.EcdsFilterConfig.newBuilder()
                    .setVersionInfo(version)
                    .setEcdsFilter(r.body())));

    // Envoy's order of config types in a dump
    ConfigDump.Builder dump =
        ConfigDump.newBuilder()
            .addConfigs(Any.pack(BootstrapConfigDump.getDefaultInstance()))
            .addConfigs(Any.pack(c.build()));
    if (includeEndpoints) {
      EndpointsConfigDump.Builder ep = EndpointsConfigDump.newBuilder();
      generate(connection, push, generators, watched, TypeUrls.ENDPOINT)
          .forEach(
              r ->
                  ep.addDynamicEndpointConfigs(
                      EndpointsConfigDump.DynamicEndpointConfig.newBuilder()
                          .setVersionInfo(version)
                          .setEndpointConfig(r.body())));
      dump.addConfigs(Any.pack(ep.build()));
    }
    return dump.addConfigs(Any.pack(l.build()))
        .addConfigs(Any.pack(ScopedRoutesConfigDump.getDefaultInstance()))
        .addConfigs(Any.pack(rt.build()))
        .addConfigs(Any.pack(s.build()))
        .addConfigs(Any.pack(e.build()))
        .build();
  }

  /**
   * istiod's typed dump ({@code config_dump?types=cds,eds}, {@code edsz}): the raw resources of
   * each watched type asked for, in the order asked, secrets redacted.
   */
  static ConfigDump ofTypes(
      ProxyConnection connection,
      PushContext push,
      GeneratorRegistry generators,
      List<String> types) {
    Map<String, Set<String>> watched = connection.watchedNames();
    ConfigDump.Builder dump = ConfigDump.newBuilder();
    for (String type : types) {
      for (XdsResource r : generate(connection, push, generators, watched, type)) {
        dump.addConfigs(TypeUrls.SECRET.equals(type) ? redact(r.body()) : r.body());
      }
    }
    return dump.build();
  }

  /** The resources of one watched type, by name; none if the type is not watched. */
  private static List<XdsResource> generate(
      ProxyConnection connection,
      PushContext push,
      GeneratorRegistry generators,
      Map<String, Set<String>> watched,
      String type) {
    Set<String> names = watched.get(type);
    if (names == null) {
      return List.of();
    }
    Optional<XdsGenerator> generator = generators.find(connection.proxy(), type);
    if (generator.isEmpty()) {
      return List.of();
    }
    // a wildcard subscription is held as no names (state of the world) or "*" (delta)
    Set<String> asked = names.contains("*") ? Set.of() : names;
    List<XdsResource> out;
    try {
      out = new ArrayList<>(generator.get().generate(connection.proxy(), push, asked));
    } catch (RuntimeException ex) {
      log.warn("config dump of {}: generating {} failed", connection.id(), type, ex);
      return List.of();
    }
    out.sort(Comparator.comparing(XdsResource::name));
    return out;
  }

  /** A secret with its private key replaced, as istiod's dump has it. */
  private static Any redact(Any body) {
    try {
      Secret secret = body.unpack(Secret.class);
      if (!secret.hasTlsCertificate()) {
        return body;
      }
      return Any.pack(
          secret.toBuilder()
              .setTlsCertificate(
                  secret.getTlsCertificate().toBuilder()
                      .setPrivateKey(DataSource.newBuilder().setInlineBytes(REDACTED)))
              .build());
    } catch (InvalidProtocolBufferException e) {
      return body;
    }
  }
}

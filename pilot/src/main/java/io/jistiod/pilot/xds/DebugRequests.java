package io.jistiod.pilot.xds;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The debug types istiod answers over ADS, each request answered once and never watched:
 *
 * <ul>
 *   <li>{@code istio.io/debug/syncz}: every proxy's sync state (istioctl proxy-status, x version);
 *   <li>{@code istio.io/debug/config_dump}, one name, a proxy id: the Envoy config dump of that
 *       proxy (istioctl proxy-status &lt;pod&gt;);
 *   <li>{@code istio.io/debug}, one name, a debug path with its query ({@code
 *       config_dump?proxyID=...}): the body of {@code /debug/<name>} (istioctl x internal-debug).
 *       Only for a caller with a verified identity, and outside istiod's own namespace only for the
 *       paths that show one proxy (config_dump, ndsz, edsz), as istiod.
 * </ul>
 */
final class DebugRequests {
  private static final Logger log = LoggerFactory.getLogger(DebugRequests.class);

  static final String DEBUG = "istio.io/debug";
  static final String CONFIG_DUMP = DEBUG + "/config_dump";

  /** What a caller outside istiod's namespace may ask of {@code istio.io/debug}. */
  private static final Set<String> PER_PROXY_PATHS = Set.of("config_dump", "ndsz", "edsz");

  private final DiscoveryServer server;
  private volatile String systemNamespace = "istio-system";
  private volatile Function<String, String> httpDebug = path -> "404 page not found\n";

  DebugRequests(DiscoveryServer server) {
    this.server = server;
  }

  static boolean isDebugType(String type) {
    return type.equals(DEBUG) || type.startsWith(SyncStatus.DEBUG_PREFIX);
  }

  /**
   * Serves {@code istio.io/debug} from {@code handler}: a path under {@code /debug/} with its query
   * to the body istiod's HTTP debug endpoint writes for it ({@code "404 page not found\n"} for an
   * unknown path, which istioctl recognises).
   */
  void serveHttpDebug(String systemNamespace, Function<String, String> handler) {
    this.systemNamespace = systemNamespace;
    this.httpDebug = handler;
  }

  /**
   * The answer to a debug request of {@code type} for {@code names}, by resource name.
   *
   * @throws StatusRuntimeException when the caller may not have it (the stream then ends with that
   *     status, as istiod's does)
   */
  List<Resource> answer(String type, List<String> names, Optional<XdsCaller.Identity> caller) {
    if (SyncStatus.SYNCZ.equals(type)) {
      List<Resource> out = new ArrayList<>();
      new TreeMap<>(server.connectionsById())
          .values()
          .forEach(
              c ->
                  SyncStatus.of(c.proxy(), c.syncStates())
                      .ifPresent(a -> out.add(resource(c.proxy().id(), a))));
      return out;
    }
    if (CONFIG_DUMP.equals(type)) {
      if (names.size() != 1) {
        log.info("{} with {} resource names", CONFIG_DUMP, names.size());
        return List.of();
      }
      Optional<ProxyConnection> c = server.connectionFor(names.get(0));
      if (c.isEmpty()) {
        // like a 404; another istiod instance may hold the proxy
        log.info("{}: no connection for proxyID {}", CONFIG_DUMP, names.get(0));
        return List.of();
      }
      List<Resource> out = new ArrayList<>();
      for (Any config :
          ConfigDumps.of(c.get(), server.current(), server.generators(), false).getConfigsList()) {
        out.add(resource("", config));
      }
      return out;
    }
    if (DEBUG.equals(type)) {
      if (caller.isEmpty()) {
        log.warn(
            "a debug request without a verified identity was refused; connect to the TLS port"
                + " with a token or certificate");
        throw Status.UNAUTHENTICATED
            .withDescription("authentication required")
            .asRuntimeException();
      }
      if (names.size() != 1) {
        throw Status.INVALID_ARGUMENT
            .withDescription("exactly one debug request is required")
            .asRuntimeException();
      }
      String name = names.get(0);
      if (!caller.get().namespace().equals(systemNamespace)
          && !PER_PROXY_PATHS.contains(path(name))) {
        throw Status.PERMISSION_DENIED
            .withDescription(
                "the debug info is not available for current identity: \"" + caller.get() + "\"")
            .asRuntimeException();
      }
      String body = httpDebug.apply(name);
      return List.of(
          resource(
              name,
              Any.newBuilder()
                  .setTypeUrl(DEBUG)
                  .setValue(ByteString.copyFrom(body, StandardCharsets.UTF_8))
                  .build()));
    }
    return List.of(); // other debug types: nothing, as istiod
  }

  /** The path of a debug name ({@code config_dump?proxyID=x} is {@code config_dump}). */
  private static String path(String name) {
    int q = name.indexOf('?');
    return q < 0 ? name : name.substring(0, q);
  }

  private static Resource resource(String name, Any body) {
    return Resource.newBuilder().setName(name).setResource(body).build();
  }
}

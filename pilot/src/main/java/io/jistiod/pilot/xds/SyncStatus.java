package io.jistiod.pilot.xds;

import com.google.protobuf.Any;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.admin.v3.UpdateFailureState;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.status.v3.ClientConfig;
import io.envoyproxy.envoy.service.status.v3.ConfigStatus;
import io.jistiod.pilot.model.Proxy;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * istiod's {@code istio.io/debug/syncz}: for each connected proxy, one CSDS {@code ClientConfig}
 * naming it and, per type it watches, whether what was last sent is acknowledged (SYNCED), not yet
 * (STALE), rejected (ERROR) or nothing was sent (NOT_SENT). {@code istioctl proxy-status} reads it
 * over ADS.
 */
public final class SyncStatus {
  /** The debug types istiod answers without starting a watch. */
  static final String DEBUG_PREFIX = "istio.io/debug/";

  static final String SYNCZ = DEBUG_PREFIX + "syncz";

  private SyncStatus() {}

  /** What a connection knows of one watched type. */
  public record TypeState(
      String typeUrl, String nonceSent, String nonceAcked, String lastError, long lastSentMillis) {
    public ConfigStatus status() {
      if (lastError != null && !lastError.isEmpty()) {
        return ConfigStatus.ERROR;
      }
      if (nonceSent == null || nonceSent.isEmpty()) {
        return ConfigStatus.NOT_SENT;
      }
      return nonceSent.equals(nonceAcked) ? ConfigStatus.SYNCED : ConfigStatus.STALE;
    }
  }

  /**
   * The status of one connection, or empty for a client that is not a proxy: as istiod, only nodes
   * that send a {@code PROXY_CONFIG} (pilot-agent's, and the gRPC bootstraps it writes) or are
   * ztunnels are listed, so istioctl's own debug connections are left out.
   */
  static Optional<Any> of(Proxy proxy, List<TypeState> types) {
    Struct raw = proxy.metadata().raw();
    if (!raw.containsFields("PROXY_CONFIG") && proxy.type() != Proxy.NodeType.ZTUNNEL) {
      return Optional.empty();
    }
    List<TypeState> sorted = new ArrayList<>(types);
    sorted.sort(Comparator.comparing(TypeState::typeUrl));
    ClientConfig.Builder config =
        ClientConfig.newBuilder()
            .setNode(
                Node.newBuilder()
                    .setId(proxy.id())
                    .setMetadata(
                        Struct.newBuilder()
                            .putFields("CLUSTER_ID", text(proxy.metadata().clusterId()))
                            .putFields("NAMESPACE", text(proxy.metadata().namespace()))
                            .putFields("ISTIO_VERSION", text(proxy.metadata().istioVersion()))));
    for (TypeState t : sorted) {
      Timestamp sent = timestamp(t.lastSentMillis());
      ClientConfig.GenericXdsConfig.Builder g =
          ClientConfig.GenericXdsConfig.newBuilder()
              .setTypeUrl(t.typeUrl())
              .setConfigStatus(t.status())
              .setLastUpdated(sent);
      if (t.lastError() != null && !t.lastError().isEmpty()) {
        g.setErrorState(
            UpdateFailureState.newBuilder().setLastUpdateAttempt(sent).setDetails(t.lastError()));
      }
      config.addGenericXdsConfigs(g);
    }
    return Optional.of(Any.pack(config.build()));
  }

  private static Value text(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }

  /** Go's zero time when nothing was sent, as istiod's timestamppb.New(time.Time{}). */
  private static Timestamp timestamp(long millis) {
    if (millis == 0) {
      return Timestamp.newBuilder().setSeconds(-62135596800L).build();
    }
    return Timestamp.newBuilder()
        .setSeconds(Math.floorDiv(millis, 1000))
        .setNanos((int) Math.floorMod(millis, 1000) * 1_000_000)
        .build();
  }
}

package io.jistiod.pilot.xds;

import io.jistiod.pilot.model.Proxy;
import java.time.Instant;
import java.util.Optional;

/**
 * What happens around a proxy's ADS stream besides serving config: istiod's WorkloadEntry
 * controller registers a VM when its stream opens, marks it disconnected when the stream ends and
 * records the health its agent reports. The discovery server calls these; by default nothing
 * happens.
 */
public interface StreamLifecycle {

  /**
   * A stream's identity as the lifecycle sees it.
   *
   * @param connectionId unique per stream ({@code NODE-N}); the key of the other calls
   * @param proxy the proxy as its node describes it (the node's locality, not the registry's)
   * @param nodeHasLocality whether the node carried a locality at all (istiod copies even an empty
   *     one onto an auto-registered entry)
   * @param connectedAt when the stream was accepted
   * @param identity the caller's verified identity matching the node, if any
   */
  record Stream(
      String connectionId,
      Proxy proxy,
      boolean nodeHasLocality,
      Instant connectedAt,
      Optional<XdsCaller.Identity> identity) {}

  /**
   * The stream's first request was admitted, before anything is served to it. Throwing a {@link
   * io.grpc.StatusRuntimeException} refuses the stream with that status (istiod ends a VM's stream
   * whose registration failed, and the agent reconnects).
   */
  void connected(Stream stream);

  /** The stream ended; called once per stream {@link #connected} accepted. */
  void disconnected(String connectionId);

  /**
   * The agent reported its application's health (type {@link TypeUrls#HEALTH}): healthy when the
   * request carried no error detail, else the detail's message.
   */
  void healthReported(String connectionId, boolean healthy, String message);

  /** Does nothing: no WorkloadEntry controller. */
  StreamLifecycle NONE =
      new StreamLifecycle() {
        @Override
        public void connected(Stream stream) {}

        @Override
        public void disconnected(String connectionId) {}

        @Override
        public void healthReported(String connectionId, boolean healthy, String message) {}
      };
}

package io.jistiod.pilot.xds;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.NodeParseException;
import io.jistiod.pilot.model.Proxy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gRPC service {@code envoy.service.discovery.v3.AggregatedDiscoveryService}: turns streams
 * into {@link Connection}s of the {@link DiscoveryServer}.
 */
public final class AdsService
    extends AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase {
  private static final Logger log = LoggerFactory.getLogger(AdsService.class);

  /** How long a new stream may wait for admission before it is refused (istiod: 1 s). */
  private static final long MAX_ADMISSION_WAIT_NANOS = 1_000_000_000L;

  private final DiscoveryServer server;
  private final StreamRateLimiter admission;

  public AdsService(DiscoveryServer server) {
    this(server, StreamRateLimiter.defaultRate());
  }

  /**
   * @param streamsPerSecond new streams admitted per second (PILOT_MAX_REQUESTS_PER_SECOND)
   */
  public AdsService(DiscoveryServer server, double streamsPerSecond) {
    this.server = server;
    this.admission = new StreamRateLimiter(streamsPerSecond, System::nanoTime);
  }

  @Override
  public StreamObserver<DiscoveryRequest> streamAggregatedResources(
      StreamObserver<DiscoveryResponse> responses) {
    return new StreamObserver<>() {
      private Connection connection;
      private boolean failed;

      @Override
      public void onNext(DiscoveryRequest request) {
        if (failed) {
          return;
        }
        if (connection == null) {
          Status refusal = admit(request.hasNode() ? request.getNode() : null);
          if (refusal != null) {
            fail(refusal);
            return;
          }
          try {
            connection = server.connect(proxy(request.getNode()), responses);
          } catch (NodeParseException e) {
            log.warn("ADS: refused node {}: {}", request.getNode().getId(), e.getMessage());
            fail(Status.INVALID_ARGUMENT.withDescription(e.getMessage()));
            return;
          }
        }
        connection.onRequest(request);
      }

      @Override
      public void onError(Throwable t) {
        if (connection != null) {
          server.disconnect(connection);
        }
      }

      @Override
      public void onCompleted() {
        if (connection != null) {
          server.disconnect(connection);
        }
        if (!failed) {
          responses.onCompleted();
        }
      }

      private void fail(Status status) {
        failed = true;
        responses.onError(status.asRuntimeException());
      }
    };
  }

  @Override
  public StreamObserver<DeltaDiscoveryRequest> deltaAggregatedResources(
      StreamObserver<DeltaDiscoveryResponse> responses) {
    return new StreamObserver<>() {
      private DeltaConnection connection;
      private boolean failed;

      @Override
      public void onNext(DeltaDiscoveryRequest request) {
        if (failed) {
          return;
        }
        if (connection == null) {
          Status refusal = admit(request.hasNode() ? request.getNode() : null);
          if (refusal != null) {
            fail(refusal);
            return;
          }
          try {
            connection = server.connectDelta(proxy(request.getNode()), responses);
          } catch (NodeParseException e) {
            log.warn("ADS: refused node {}: {}", request.getNode().getId(), e.getMessage());
            fail(Status.INVALID_ARGUMENT.withDescription(e.getMessage()));
            return;
          }
        }
        connection.onRequest(request);
      }

      @Override
      public void onError(Throwable t) {
        if (connection != null) {
          server.disconnect(connection);
        }
      }

      @Override
      public void onCompleted() {
        if (connection != null) {
          server.disconnect(connection);
        }
        if (!failed) {
          responses.onCompleted();
        }
      }

      private void fail(Status status) {
        failed = true;
        responses.onError(status.asRuntimeException());
      }
    };
  }

  /** Why a stream's first request cannot be served, or null if it can. */
  private Status admit(Node node) {
    if (!server.isReady()) {
      return Status.UNAVAILABLE.withDescription(
          "server is not ready to serve discovery information");
    }
    if (node == null || node.getId().isEmpty()) {
      return Status.INVALID_ARGUMENT.withDescription("missing node information");
    }
    return null;
  }

  private static Proxy proxy(Node node) throws NodeParseException {
    Locality locality =
        new Locality(
            node.getLocality().getRegion(),
            node.getLocality().getZone(),
            node.getLocality().getSubZone());
    return Proxy.fromNode(node.getId(), node.getMetadata(), locality);
  }
}

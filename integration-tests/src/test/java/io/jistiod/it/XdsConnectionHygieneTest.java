package io.jistiod.it;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.jistiod.istiod.Istiod;
import io.jistiod.istiod.IstiodOptions;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The plaintext xDS port (15010) against connections that are not proxies: garbage and TLS are
 * closed with at most one log line each (no stack trace), a connection that sends only the HTTP/2
 * preface is closed once idle past the limit (1 s here), and a real ADS stream stays open well past
 * that limit.
 */
class XdsConnectionHygieneTest {
  private static final Duration IDLE = Duration.ofSeconds(1);
  private static final String CDS = "type.googleapis.com/envoy.config.cluster.v3.Cluster";

  private static Istiod istiod;
  private static ListAppender<ILoggingEvent> ourLines;
  private static final List<LogRecord> julRecords = new CopyOnWriteArrayList<>();
  private static final Handler julRoot =
      new Handler() {
        @Override
        public void publish(LogRecord r) {
          if (r.getLoggerName() != null && r.getLoggerName().startsWith("io.grpc")) {
            julRecords.add(r);
          }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };

  @BeforeAll
  static void start() throws Exception {
    istiod =
        new Istiod(
                IstiodOptions.defaults(Path.of("../samples/mesh"))
                    .withAddresses("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"))
            .withXdsMaxConnectionIdle(IDLE);
    istiod.start();
    ourLines = new ListAppender<>();
    ourLines.start();
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("xds-connections"))
        .addAppender(ourLines);
    // What would reach java.util.logging's console (the stack traces that flooded the log).
    java.util.logging.Logger.getLogger("").addHandler(julRoot);
  }

  @AfterAll
  static void stop() {
    java.util.logging.Logger.getLogger("").removeHandler(julRoot);
    if (istiod != null) {
      istiod.close();
    }
  }

  @BeforeEach
  void clear() {
    ourLines.list.clear();
    julRecords.clear();
  }

  @Test
  void garbageIsClosedWithOneLogLineAndNoStackTrace() throws Exception {
    byte[] http1 = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    // A TLS ClientHello's first bytes on the plaintext port.
    byte[] tls = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, (byte) 0xfc, 0x03, 0x03};
    byte[] noise = new byte[4096];
    new java.util.Random(7).nextBytes(noise);
    for (byte[] garbage : List.of(http1, tls, noise)) {
      ourLines.list.clear();
      try (Socket s = new Socket("127.0.0.1", istiod.grpcPort())) {
        s.setSoTimeout(10_000);
        s.getOutputStream().write(garbage);
        s.getOutputStream().flush();
        assertThat(readsToEnd(s.getInputStream())).as("closed by istiod").isTrue();
      }
      Thread.sleep(200); // the log line is written as the connection closes
      assertThat(ourLines.list).hasSizeLessThanOrEqualTo(1);
      for (ILoggingEvent e : ourLines.list) {
        assertThat(e.getThrowableProxy()).isNull();
        assertThat(e.getFormattedMessage()).doesNotContain("\n");
      }
    }
    assertThat(julRecords).as("records left to java.util.logging's console").isEmpty();
  }

  @Test
  void aConnectionThatSendsOnlyThePrefaceIsClosedOnceIdle() throws Exception {
    byte[] preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    byte[] emptySettings = {0, 0, 0, 4, 0, 0, 0, 0, 0};
    // The preface alone: the handshake never completes, cut at the limit. With SETTINGS but no
    // stream: idle, sent GOAWAY at the limit, closed after gRPC's graceful shutdown, which waits
    // up to 10 s for the PING ack this client never sends.
    for (boolean settings : new boolean[] {false, true}) {
      try (Socket s = new Socket("127.0.0.1", istiod.grpcPort())) {
        s.setSoTimeout(20_000);
        long started = System.nanoTime();
        OutputStream out = s.getOutputStream();
        out.write(preface);
        if (settings) {
          out.write(emptySettings);
        }
        out.flush();
        assertThat(readsToEnd(s.getInputStream())).as("closed by istiod").isTrue();
        long millis = (System.nanoTime() - started) / 1_000_000;
        System.out.printf("preface%s: closed after %d ms%n", settings ? "+SETTINGS" : "", millis);
        assertThat(millis)
            .isGreaterThanOrEqualTo(IDLE.toMillis() / 2)
            .isLessThan(IDLE.toMillis() + (settings ? 14_000 : 4_000));
      }
    }
  }

  @Test
  void anAdsStreamOutlivesTheIdleLimit() throws Exception {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", istiod.grpcPort()).usePlaintext().build();
    try {
      BlockingQueue<Object> events = new LinkedBlockingQueue<>();
      StreamObserver<DiscoveryRequest> requests =
          AggregatedDiscoveryServiceGrpc.newStub(channel)
              .streamAggregatedResources(
                  new StreamObserver<>() {
                    @Override
                    public void onNext(DiscoveryResponse r) {
                      events.add(r);
                    }

                    @Override
                    public void onError(Throwable t) {
                      events.add(t);
                    }

                    @Override
                    public void onCompleted() {
                      events.add("completed");
                    }
                  });
      Node node =
          Node.newBuilder()
              .setId("sidecar~127.0.0.1~idle-test.default~default.svc.cluster.local")
              .build();
      requests.onNext(DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(CDS).build());
      Object first = events.poll(30, TimeUnit.SECONDS);
      assertThat(first).isInstanceOf(DiscoveryResponse.class);
      DiscoveryResponse cds = (DiscoveryResponse) first;
      requests.onNext(
          DiscoveryRequest.newBuilder()
              .setTypeUrl(CDS)
              .setVersionInfo(cds.getVersionInfo())
              .setResponseNonce(cds.getNonce())
              .build());

      Thread.sleep(IDLE.toMillis() * 4);
      assertThat(events.poll()).as("nothing closed the stream").isNull();
      assertThat(istiod.discovery().connectionsSnapshot()).isNotEmpty();
      requests.onCompleted();
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** True when the peer closes (EOF or reset) before the socket's read timeout. */
  private static boolean readsToEnd(InputStream in) throws Exception {
    byte[] buf = new byte[4096];
    try {
      while (in.read(buf) >= 0) {
        // GOAWAY or an error answer; read on until the close
      }
      return true;
    } catch (SocketException e) {
      return true; // reset
    } catch (java.net.SocketTimeoutException e) {
      return false;
    }
  }
}

package io.jistiod.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.jistiod.it.support.DeltaAdsClient;
import io.jistiod.it.support.FreePorts;
import io.jistiod.it.support.Rig;
import io.jistiod.it.support.RigExtension;
import io.jistiod.it.support.TestNamespace;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two replicas of our istiod (the built launcher, as separate processes) on one API server: the
 * singletons run on the replica holding the Lease; killing it (SIGKILL, no goodbye) hands them to
 * the other within the lease duration, and a proxy that reconnects to the survivor gets the same
 * config it had.
 */
@Tag("e2e")
@ExtendWith(RigExtension.class)
class HighAvailabilityE2ETest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final String ELECTION = "istio-namespace-controller-election";
  private static final String ROOT_CERT = "istio-ca-root-cert";

  /** The lease the replicas are given (istiod's is 30 s), to keep the test short. */
  private static final Duration TTL = Duration.ofSeconds(6);

  @TempDir Path tmp;
  private final List<AutoCloseable> cleanup = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (int i = cleanup.size() - 1; i >= 0; i--) {
      cleanup.get(i).close();
    }
  }

  @Test
  void theSurvivorTakesOverWhenTheLeaderIsKilledAndServesTheSameConfig(Rig rig, TestNamespace ns)
      throws Exception {
    String n = ns.name();
    rig.apply(
        """
        apiVersion: v1
        kind: Service
        metadata: {name: alpha, namespace: %s}
        spec:
          ports: [{name: http, port: 80}]
        """
            .formatted(n));
    Replica a = Replica.start(rig, n, "istiod-a", tmp.resolve("a"));
    cleanup.add(a);
    Replica b = Replica.start(rig, n, "istiod-b", tmp.resolve("b"));
    cleanup.add(b);

    // one of them leads
    String holder =
        Awaitility.await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> holder(rig, n), h -> h.equals("istiod-a") || h.equals("istiod-b"));
    Replica leader = holder.equals("istiod-a") ? a : b;
    Replica survivor = leader == a ? b : a;

    // the leader publishes the roots: a new namespace gets them
    String first = created(rig, n + "-ha1");
    awaitRootCert(rig, first);

    // a proxy on each replica: the same config from both
    String alpha = "outbound|80||alpha." + n + ".svc.cluster.local";
    Node node =
        Node.newBuilder()
            .setId("sidecar~10.1.2.3~app-1." + n + "~" + n + ".svc.cluster.local")
            .build();
    DeltaAdsClient onLeader = connect(leader, node);
    DeltaAdsClient onSurvivor = connect(survivor, node);
    awaitCluster(onLeader, alpha);
    awaitCluster(onSurvivor, alpha);
    Map<String, Any> clusters = onLeader.resources(DeltaAdsClient.CDS);
    Map<String, Any> listeners = onLeader.resources(DeltaAdsClient.LDS);
    assertThat(onSurvivor.resources(DeltaAdsClient.CDS)).isEqualTo(clusters);
    assertThat(onSurvivor.resources(DeltaAdsClient.LDS)).isEqualTo(listeners);

    // the leader dies without releasing its lease
    long killed = System.nanoTime();
    leader.kill();
    Awaitility.await()
        .atMost(TTL.multipliedBy(3))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> holder(rig, n), h -> h.equals(survivor.name));
    Duration failover = Duration.ofNanos(System.nanoTime() - killed);
    // the lease runs out after TTL, and the survivor retries every TTL/4
    assertThat(failover).isLessThan(TTL.plus(TTL.dividedBy(2)).plusSeconds(2));

    // the survivor publishes now: to a new namespace, and again where the ConfigMap was deleted
    String second = created(rig, n + "-ha2");
    awaitRootCert(rig, second);
    rig.kubectl("delete", "configmap", ROOT_CERT, "-n", first);
    awaitRootCert(rig, first);

    // the proxy of the dead replica reconnects to the survivor: the same config
    DeltaAdsClient moved = connect(survivor, node);
    awaitCluster(moved, alpha);
    assertThat(moved.resources(DeltaAdsClient.CDS)).isEqualTo(clusters);
    assertThat(moved.resources(DeltaAdsClient.LDS)).isEqualTo(listeners);
    System.out.printf(
        "HA failover: lease taken over %d ms after the leader was killed%n", failover.toMillis());
  }

  @Test
  void aReplicaThatStopsReleasesTheLeaseAtOnce(Rig rig, TestNamespace ns) throws Exception {
    String n = ns.name();
    Replica a = Replica.start(rig, n, "istiod-a", tmp.resolve("a"));
    cleanup.add(a);
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> holder(rig, n), h -> h.equals("istiod-a"));
    Replica b = Replica.start(rig, n, "istiod-b", tmp.resolve("b"));
    cleanup.add(b);
    // SIGTERM: a graceful stop releases the lease, so b need not wait for it to run out
    long stopped = System.nanoTime();
    a.close();
    Awaitility.await()
        .atMost(TTL.multipliedBy(3))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> holder(rig, n), h -> h.equals("istiod-b"));
    assertThat(Duration.ofNanos(System.nanoTime() - stopped))
        .as("taken over well before the lease (%s) ran out", TTL)
        .isLessThan(TTL);
  }

  private String created(Rig rig, String name) throws Exception {
    rig.kubectl("create", "namespace", name);
    cleanup.add(() -> rig.kubectl("delete", "namespace", name, "--wait=false"));
    return name;
  }

  private static String holder(Rig rig, String n) {
    Lease lease = rig.client().leases().inNamespace(n).withName(ELECTION).get();
    return lease == null || lease.getSpec() == null || lease.getSpec().getHolderIdentity() == null
        ? ""
        : lease.getSpec().getHolderIdentity();
  }

  private static void awaitRootCert(Rig rig, String namespace) {
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              ConfigMap cm =
                  rig.client().configMaps().inNamespace(namespace).withName(ROOT_CERT).get();
              return cm != null
                  && cm.getData() != null
                  && cm.getData().getOrDefault("root-cert.pem", "").contains("BEGIN CERTIFICATE");
            });
  }

  private DeltaAdsClient connect(Replica r, Node node) {
    ManagedChannel channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", r.grpc).usePlaintext().build();
    cleanup.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    DeltaAdsClient c = new DeltaAdsClient(channel, node);
    cleanup.add(c);
    return c;
  }

  private static void awaitCluster(DeltaAdsClient c, String cluster) {
    Awaitility.await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              assertThat(c.error()).isNull();
              assertThat(c.resources(DeltaAdsClient.CDS)).containsKey(cluster);
              assertThat(c.resources(DeltaAdsClient.LDS)).containsKey("virtualOutbound");
            });
  }

  /** One replica: bin/istiod discovery in Kubernetes mode with the CA on, webhook off. */
  private static final class Replica implements AutoCloseable {
    final String name;
    final int grpc;
    final Process process;
    final Path log;

    private Replica(String name, int grpc, Process process, Path log) {
      this.name = name;
      this.grpc = grpc;
      this.process = process;
      this.log = log;
    }

    static Replica start(Rig rig, String namespace, String name, Path dir) throws Exception {
      Files.createDirectories(dir);
      int grpc = FreePorts.loopback();
      int http = FreePorts.loopback();
      Path log = dir.resolve("istiod.log");
      List<String> cmd =
          List.of(
              ROOT.resolve("bin/istiod").toString(),
              "discovery",
              "--kubeconfig",
              rig.istiodKubeconfig(namespace).toString(),
              "--grpcAddr",
              "127.0.0.1:" + grpc,
              "--httpAddr",
              "127.0.0.1:" + http,
              "--monitoringAddr",
              "127.0.0.1:0",
              "--secureGRPCAddr",
              "127.0.0.1:0",
              "--httpsAddr",
              "",
              "-n",
              namespace);
      ProcessBuilder pb =
          new ProcessBuilder(cmd)
              .directory(dir.toFile()) // no ./etc/cacerts: the self-signed CA of istio-ca-secret
              .redirectErrorStream(true)
              .redirectOutput(log.toFile());
      pb.environment().put("POD_NAME", name);
      pb.environment().put("POD_NAMESPACE", namespace);
      pb.environment().put("JISTIOD_LEADER_ELECTION_TTL", TTL.toSeconds() + "s");
      Process p = pb.start();
      Replica r = new Replica(name, grpc, p, log);
      HttpClient http1 = HttpClient.newHttpClient();
      try {
        Awaitility.await()
            .atMost(Duration.ofSeconds(90))
            .pollInterval(Duration.ofMillis(100))
            .ignoreExceptions()
            .until(
                () ->
                    !p.isAlive()
                        || http1
                                .send(
                                    HttpRequest.newBuilder(
                                            URI.create("http://127.0.0.1:" + http + "/ready"))
                                        .build(),
                                    HttpResponse.BodyHandlers.discarding())
                                .statusCode()
                            == 200);
      } catch (RuntimeException e) {
        r.close();
        throw new AssertionError(name + " not ready:\n" + Files.readString(log), e);
      }
      assertThat(p.isAlive()).as("%s exited:\n%s", name, Files.readString(log)).isTrue();
      return r;
    }

    void kill() throws InterruptedException {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
      if (process.isAlive()) {
        process.destroy(); // SIGTERM: istiod's graceful stop
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      }
    }
  }
}

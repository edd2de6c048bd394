package io.jistiod.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.jistiod.istiod.Istiod;
import io.jistiod.istiod.IstiodOptions;
import io.jistiod.istiod.KubernetesAccess;
import io.jistiod.istiod.security.SecurityOptions;
import io.jistiod.it.support.Rig;
import io.jistiod.it.support.RigExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults at start, against a real kube-apiserver: istiod started before its own namespace exists
 * (creating {@code istio-ca-secret} fails with 404) keeps running, answers {@code /ready} with 503
 * and the API server's reason, retries with backoff, and becomes ready once the namespace is
 * created.
 */
@Tag("e2e")
@ExtendWith(RigExtension.class)
class StartupFaultsE2ETest {
  @TempDir Path tmp;
  private final ExecutorService starter = Executors.newSingleThreadExecutor();
  private Istiod istiod;
  private Rig rig;
  private String namespace;

  @AfterEach
  void stop() throws Exception {
    starter.shutdownNow();
    starter.awaitTermination(10, TimeUnit.SECONDS);
    if (istiod != null) {
      istiod.close();
    }
    if (rig != null && namespace != null) {
      rig.client().namespaces().withName(namespace).delete();
    }
  }

  @Test
  void aMissingNamespaceDelaysReadinessInsteadOfEndingIstiod(Rig rig) throws Exception {
    this.rig = rig;
    namespace = "late-" + UUID.randomUUID().toString().substring(0, 8);
    // The one e2e istiod on the admin kubeconfig: its scenario, istiod's own namespace missing,
    // cannot happen to istiod on the chart's ServiceAccount, which lives in that namespace (and
    // whose Role there would be missing too: the API server would answer 403, not 404).
    istiod =
        new Istiod(
            IstiodOptions.defaults(null)
                .withKubernetes(new KubernetesAccess(rig.kubeconfig()))
                .withAddresses("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
                .withSecurity(
                    SecurityOptions.fromEnvironment(Map.<String, String>of()::get)
                        .withSecureGrpcAddr("127.0.0.1:0")
                        .withNamespace(namespace)
                        .withRootCaDir(tmp.resolve("no-cacerts"))));
    Future<?> start =
        starter.submit(
            () -> {
              istiod.start();
              return null;
            });

    String ready =
        Awaitility.await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(200))
            .ignoreExceptions()
            .until(
                () -> Http.get("http://127.0.0.1:" + istiod.httpPort() + "/ready"),
                body -> body.contains("not found"));
    assertThat(ready)
        .startsWith("not ready: CA: Secret " + namespace + "/istio-ca-secret: ")
        .contains("namespaces \"" + namespace + "\" not found");
    assertThat(Http.status("http://127.0.0.1:" + istiod.httpPort() + "/ready")).isEqualTo(503);
    Thread.sleep(3_000); // a few retries: istiod is still running, the start still waiting
    assertThat(start.isDone()).isFalse();

    rig.client()
        .namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build())
        .create();

    start.get(90, TimeUnit.SECONDS); // the start completes without an error
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> Http.status("http://127.0.0.1:" + istiod.httpPort() + "/ready") == 200);
    assertThat(rig.client().secrets().inNamespace(namespace).withName("istio-ca-secret").get())
        .isNotNull();
  }
}

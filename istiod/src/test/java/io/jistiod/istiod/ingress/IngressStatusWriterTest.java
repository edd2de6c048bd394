package io.jistiod.istiod.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.IngressKinds;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.pilot.ingress.IngressResult;
import io.jistiod.pilot.ingress.IngressStatuses;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** When the Ingress status writer writes, and what. */
class IngressStatusWriterTest {
  private final List<String> written = new ArrayList<>();
  private final AtomicReference<List<String>> addresses =
      new AtomicReference<>(List.of("203.0.113.9"));
  private final IngressStatusWriter writer =
      new IngressStatusWriter(
          (ns, name, status) ->
              written.add(ns + "/" + name + " " + KubeIngressStatusApi.patch(status)),
          addresses::get,
          false);

  private static IngressResult served(String statusYaml) {
    List<Config> ingresses =
        new ConfigParser(IngressKinds.ALL, "default")
            .parse(
                """
                apiVersion: networking.k8s.io/v1
                kind: Ingress
                metadata: {name: web, namespace: shop}
                spec: {}
                """
                    + statusYaml,
                "t")
            .configs();
    return new IngressResult(List.of(), List.of(), ingresses, List.of());
  }

  @Test
  void writesOnlyWhileLeadingAndOnlyWhatChanged() throws Exception {
    writer.accept(served(""));
    writer.drain();
    assertThat(written).isEmpty(); // not leading

    AutoCloseable leading = writer.lead();
    writer.drain();
    assertThat(written)
        .containsExactly(
            "shop/web {\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"203.0.113.9\"}]}}}");

    writer.accept(served("")); // the informer has not seen the write yet: not written again
    writer.drain();
    assertThat(written).hasSize(1);

    addresses.set(List.of("gw.example.com"));
    writer.accept(served("status: {loadBalancer: {ingress: [{ip: 203.0.113.9}]}}"));
    writer.drain();
    assertThat(written)
        .last()
        .isEqualTo(
            "shop/web {\"status\":{\"loadBalancer\":{\"ingress\":[{\"hostname\":\"gw.example.com\"}]}}}");

    leading.close();
    addresses.set(List.of());
    writer.accept(served(""));
    writer.drain();
    assertThat(written).hasSize(2);
  }

  @Test
  void noAddressesClearsTheList() {
    assertThat(KubeIngressStatusApi.patch(IngressStatuses.status(List.of())))
        .isEqualTo("{\"status\":{\"loadBalancer\":{\"ingress\":[]}}}");
  }

  @Test
  void aFailedWriteIsRetriedWithTheNextResult() throws Exception {
    List<String> attempts = new ArrayList<>();
    boolean[] fail = {true};
    IngressStatusWriter w =
        new IngressStatusWriter(
            (ns, name, status) -> {
              attempts.add(name);
              if (fail[0]) {
                throw new IllegalStateException("forbidden");
              }
            },
            addresses::get,
            false);
    w.lead();
    w.accept(served(""));
    w.drain();
    fail[0] = false;
    w.accept(served(""));
    w.drain();
    assertThat(attempts).containsExactly("web", "web");
  }
}

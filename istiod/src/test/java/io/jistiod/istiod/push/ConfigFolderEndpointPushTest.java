package io.jistiod.istiod.push;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.istiod.Istiod;
import io.jistiod.istiod.IstiodOptions;
import io.jistiod.pilot.model.Endpoint;
import io.micrometer.core.instrument.Counter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * istiod's wiring of config changes: an endpoint edit of a ServiceEntry in the config folder is an
 * endpoints-only push (trigger {@code endpoint}), a VirtualService edit a full one ({@code
 * config}).
 */
class ConfigFolderEndpointPushTest {
  private static final String HOST = "api.shop.svc.cluster.local";
  private Istiod istiod;

  @AfterEach
  void stop() {
    if (istiod != null) {
      istiod.close();
    }
  }

  private static String serviceEntry(String address) {
    return """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: api, namespace: shop}
        spec:
          hosts: [%s]
          resolution: STATIC
          ports: [{name: http, number: 80, protocol: HTTP}]
          endpoints: [{address: %s}]
        """
        .formatted(HOST, address);
  }

  private static void await(java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 10 s");
      }
      Thread.sleep(20);
    }
  }

  private double triggers(String type) {
    Counter c = istiod.metrics().find("pilot_push_triggers").tag("type", type).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void anEndpointEditInTheFolderIsEndpointsOnly(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("api.yaml");
    Files.writeString(file, serviceEntry("10.0.0.1"));
    istiod =
        new Istiod(
            IstiodOptions.defaults(dir).withAddresses("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"));
    istiod.start();
    String before = istiod.discovery().current().version();

    Files.writeString(file, serviceEntry("10.0.0.2"));
    await(
        () ->
            istiod.discovery().current().endpoints(HOST).stream()
                .map(Endpoint::address)
                .toList()
                .equals(java.util.List.of("10.0.0.2")));
    assertThat(istiod.discovery().current().version()).isNotEqualTo(before);
    assertThat(triggers("endpoint")).isEqualTo(1);
    assertThat(triggers("config")).isZero();

    Files.writeString(
        dir.resolve("vs.yaml"),
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: api, namespace: shop}
        spec: {hosts: [api], http: [{route: [{destination: {host: api}}]}]}
        """);
    await(() -> triggers("config") == 1);
    assertThat(triggers("endpoint")).isEqualTo(1);
  }
}

package io.jistiod.istiod;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * What {@code istiod discovery} was asked to do, with istiod's defaults.
 *
 * @param configDir folder of Istio config files (standalone mode)
 * @param domain the cluster DNS suffix
 */
public record IstiodOptions(
    Path configDir,
    String domain,
    String grpcAddr,
    String httpAddr,
    String monitoringAddr,
    Duration debounceAfter,
    Duration debounceMax,
    int pushWorkers) {

  public IstiodOptions {
    Objects.requireNonNull(configDir, "configDir");
    Objects.requireNonNull(domain, "domain");
  }

  /** Defaults as istiod has them, reading config from {@code configDir}. */
  public static IstiodOptions defaults(Path configDir) {
    return new IstiodOptions(
        configDir,
        "cluster.local",
        ":15010",
        ":8080",
        ":15014",
        Duration.ofMillis(100),
        Duration.ofSeconds(10),
        Math.min(15 + 5 * Runtime.getRuntime().availableProcessors(), 100));
  }

  public IstiodOptions withAddresses(String grpc, String http, String monitoring) {
    return new IstiodOptions(
        configDir, domain, grpc, http, monitoring, debounceAfter, debounceMax, pushWorkers);
  }
}

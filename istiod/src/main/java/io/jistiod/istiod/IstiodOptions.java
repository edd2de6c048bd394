package io.jistiod.istiod;

import io.jistiod.istiod.security.SecurityOptions;
import java.nio.file.Path;
import java.time.Duration;

/**
 * What {@code istiod discovery} was asked to do, with istiod's defaults.
 *
 * @param configDir folder of Istio config files, or null
 * @param kubernetes how to reach the API server, or null for no Kubernetes
 * @param domain the cluster DNS suffix
 * @param trustDomain the SPIFFE trust domain of workload identities
 * @param security the CA and the TLS server on 15012; off unless {@link #withSecurity} turns it on
 *     (the command line does, as istiod has it on by default)
 * @param webhook the webhook port (15017) and the validation controller; off unless {@link
 *     #withWebhook} turns it on (the command line does)
 * @param meshConfigFile MeshConfig YAML (istiod's {@code --meshConfig}), or null for the defaults
 * @param injection sidecar injection on the webhook port (off: {@link
 *     io.jistiod.istiod.inject.InjectionOptions#disabled()})
 * @param env environment variables read in place of the process's (istiod's feature flags such as
 *     PILOT_ENABLE_ALPHA_GATEWAY_API): a test runs several istiods in one JVM, each with flags of
 *     its own; a name not in it is read from the process environment
 */
public record IstiodOptions(
    Path configDir,
    KubernetesAccess kubernetes,
    String domain,
    String trustDomain,
    String grpcAddr,
    String httpAddr,
    String monitoringAddr,
    Duration debounceAfter,
    Duration debounceMax,
    int pushWorkers,
    SecurityOptions security,
    io.jistiod.istiod.webhook.WebhookOptions webhook,
    Path meshConfigFile,
    io.jistiod.istiod.inject.InjectionOptions injection,
    java.util.Map<String, String> env) {

  public IstiodOptions {
    env = java.util.Map.copyOf(env);
  }

  /**
   * Without the CA and 15012, the webhook port, a mesh config file, sidecar injection and
   * environment overrides, for programs and tests that only serve plaintext xDS; the {@code with}
   * methods add each.
   */
  public IstiodOptions(
      Path configDir,
      KubernetesAccess kubernetes,
      String domain,
      String trustDomain,
      String grpcAddr,
      String httpAddr,
      String monitoringAddr,
      Duration debounceAfter,
      Duration debounceMax,
      int pushWorkers) {
    this(
        configDir,
        kubernetes,
        domain,
        trustDomain,
        grpcAddr,
        httpAddr,
        monitoringAddr,
        debounceAfter,
        debounceMax,
        pushWorkers,
        SecurityOptions.disabled(),
        io.jistiod.istiod.webhook.WebhookOptions.disabled(),
        null,
        io.jistiod.istiod.inject.InjectionOptions.disabled(),
        java.util.Map.of());
  }

  /** Defaults as istiod has them, reading config from {@code configDir}. */
  public static IstiodOptions defaults(Path configDir) {
    return new IstiodOptions(
        configDir,
        null,
        "cluster.local",
        "cluster.local",
        ":15010",
        ":8080",
        ":15014",
        Duration.ofMillis(100),
        Duration.ofSeconds(10),
        Math.min(15 + 5 * Runtime.getRuntime().availableProcessors(), 100));
  }

  public IstiodOptions withAddresses(String grpc, String http, String monitoring) {
    return copy(
        o -> {
          o.grpcAddr = grpc;
          o.httpAddr = http;
          o.monitoringAddr = monitoring;
        });
  }

  public IstiodOptions withKubernetes(KubernetesAccess access) {
    return copy(o -> o.kubernetes = access);
  }

  public IstiodOptions withSecurity(SecurityOptions security) {
    return copy(o -> o.security = security);
  }

  public IstiodOptions withWebhook(io.jistiod.istiod.webhook.WebhookOptions webhook) {
    return copy(o -> o.webhook = webhook);
  }

  public IstiodOptions withMeshConfigFile(Path file) {
    return copy(o -> o.meshConfigFile = file);
  }

  public IstiodOptions withInjection(io.jistiod.istiod.inject.InjectionOptions injection) {
    return copy(o -> o.injection = injection);
  }

  /**
   * The same options with {@code overrides} read in place of the process environment (on top of
   * those already given).
   */
  public IstiodOptions withEnv(java.util.Map<String, String> overrides) {
    return copy(
        o -> {
          java.util.Map<String, String> merged = new java.util.HashMap<>(env);
          merged.putAll(overrides);
          o.env = merged;
        });
  }

  private IstiodOptions copy(java.util.function.Consumer<Fields> change) {
    Fields f = new Fields(this);
    change.accept(f);
    return f.options();
  }

  /** The fields of an {@link IstiodOptions}, to change some of them in a copy. */
  private static final class Fields {
    Path configDir;
    KubernetesAccess kubernetes;
    String domain;
    String trustDomain;
    String grpcAddr;
    String httpAddr;
    String monitoringAddr;
    Duration debounceAfter;
    Duration debounceMax;
    int pushWorkers;
    SecurityOptions security;
    io.jistiod.istiod.webhook.WebhookOptions webhook;
    Path meshConfigFile;
    io.jistiod.istiod.inject.InjectionOptions injection;
    java.util.Map<String, String> env;

    Fields(IstiodOptions o) {
      configDir = o.configDir;
      kubernetes = o.kubernetes;
      domain = o.domain;
      trustDomain = o.trustDomain;
      grpcAddr = o.grpcAddr;
      httpAddr = o.httpAddr;
      monitoringAddr = o.monitoringAddr;
      debounceAfter = o.debounceAfter;
      debounceMax = o.debounceMax;
      pushWorkers = o.pushWorkers;
      security = o.security;
      webhook = o.webhook;
      meshConfigFile = o.meshConfigFile;
      injection = o.injection;
      env = o.env;
    }

    IstiodOptions options() {
      return new IstiodOptions(
          configDir,
          kubernetes,
          domain,
          trustDomain,
          grpcAddr,
          httpAddr,
          monitoringAddr,
          debounceAfter,
          debounceMax,
          pushWorkers,
          security,
          webhook,
          meshConfigFile,
          injection,
          env);
    }
  }

  /** An environment variable: from {@link #env} if given there, else the process's (or null). */
  public String getenv(String name) {
    return env.containsKey(name) ? env.get(name) : System.getenv(name);
  }

  /**
   * Whether ztunnel is served the workload API (istiod's {@code PILOT_ENABLE_AMBIENT}); off,
   * ztunnel streams are refused.
   */
  public boolean ambient() {
    return Main.envBool(this::getenv, "PILOT_ENABLE_AMBIENT", false);
  }

  /** The same options with {@code PILOT_ENABLE_AMBIENT} set to {@code on}. */
  public IstiodOptions withAmbient(boolean on) {
    return withEnv(java.util.Map.of("PILOT_ENABLE_AMBIENT", String.valueOf(on)));
  }
}

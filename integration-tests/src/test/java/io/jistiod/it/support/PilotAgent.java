package io.jistiod.it.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Istio's real {@code pilot-agent} in proxyless gRPC mode (no Envoy), set up as the {@code
 * grpc-agent} injection template sets it up in a pod, but in a working folder of its own: the
 * projected token at {@code ./var/run/secrets/tokens/istio-token}, the root from ConfigMap {@code
 * istio-ca-root-cert} at {@code ./var/run/secrets/istio/root-cert.pem}, certificates written to
 * {@code ./certs} ({@code OUTPUT_CERTS}, also {@code PROV_CERT}, so once it has one the agent
 * presents it to istiod), the gRPC bootstrap and the xDS socket under {@code ./etc/istio/proxy}.
 *
 * <p>istiod is reached at {@code 127.0.0.1:<port>} as the discovery address, which is also the CA
 * address when {@code CA_ADDR} is unset, with {@code ISTIOD_SAN} naming the DNS name to expect in
 * istiod's certificate. (An explicit {@code CA_ADDR} would ignore {@code ISTIOD_SAN} and check
 * {@code 127.0.0.1} against the certificate, which has no IP SAN.)
 */
public final class PilotAgent implements AutoCloseable {
  /** Where build-istio.sh caches Istio 1.27.0's binaries. */
  public static final Path BINARY =
      Path.of(
          System.getenv()
              .getOrDefault("JISTIOD_CACHE", System.getProperty("user.home") + "/.cache/jistiod"),
          "istio-1.27.0",
          "pilot-agent");

  private final Path dir;
  private final Process process;

  private PilotAgent(Path dir, Process process) {
    this.dir = dir;
    this.process = process;
  }

  /**
   * Fails the calling test when pilot-agent (or the bootstrap template next to it) is not built.
   * The e2e suite proves that Istio's real agent works with us, so a missing agent is a failure,
   * never a skip; {@code integration-tests/e2e.sh} builds it before any test runs.
   */
  public static void requireBuilt() {
    Peers.require(BINARY, "Istio's pilot-agent 1.27.0", "build-istio.sh");
    Peers.require(
        BINARY.resolveSibling("envoy_bootstrap_tmpl.json"),
        "the Envoy bootstrap template of pilot-agent",
        "build-istio.sh");
  }

  /**
   * Starts an agent for pod {@code pod} of {@code namespace} running as {@code serviceAccount}.
   *
   * @param istiodSan the DNS name istiod's certificate must carry, e.g. {@code istiod.NS.svc}
   */
  public static PilotAgent start(
      Path dir,
      int istiodPort,
      String istiodSan,
      String namespace,
      String pod,
      String serviceAccount,
      String token,
      String rootCertPem)
      throws IOException {
    return startProxyless(
        dir,
        istiodPort,
        istiodSan,
        namespace,
        pod,
        serviceAccount,
        token,
        rootCertPem,
        "127.0.0.1",
        Map.of());
  }

  /**
   * The agent of a proxyless gRPC pod with address {@code instanceIp} (istiod finds the pod's
   * services by it), and {@code extraEnv} on top of the grpc-agent template's environment, e.g. the
   * pod's labels as the injector passes them ({@code ISTIO_METAJSON_LABELS}).
   */
  public static PilotAgent startProxyless(
      Path dir,
      int istiodPort,
      String istiodSan,
      String namespace,
      String pod,
      String serviceAccount,
      String token,
      String rootCertPem,
      String instanceIp,
      Map<String, String> extraEnv)
      throws IOException {
    Map<String, String> env = new TreeMap<>();
    env.put("DISABLE_ENVOY", "true");
    env.put("GRPC_XDS_BOOTSTRAP", dir.resolve("etc/istio/proxy/grpc-bootstrap.json").toString());
    env.put("ISTIO_META_GENERATOR", "grpc");
    env.put("INSTANCE_IP", instanceIp);
    env.putAll(extraEnv);
    return start(
        dir, istiodPort, istiodSan, namespace, pod, serviceAccount, token, rootCertPem, env, "");
  }

  /**
   * The agent as the sidecar injection template runs it next to Envoy, with {@code envoyBinary}
   * (ProxyConfig binaryPath) started in Envoy's place. The agent writes Envoy's bootstrap to {@link
   * #envoyBootstrap()} and serves xDS for it on {@link #xdsSocket()}, which it carries to istiod.
   *
   * @param labels the pod's labels, as the injector passes them (ISTIO_METAJSON_LABELS)
   */
  public static PilotAgent startSidecar(
      Path dir,
      int istiodPort,
      String istiodSan,
      String namespace,
      String pod,
      String serviceAccount,
      String token,
      String rootCertPem,
      String instanceIp,
      String labelsJson,
      Path envoyBinary)
      throws IOException {
    // Where the proxyv2 image keeps the bootstrap template (build-istio.sh takes it from the
    // istio.io/istio module it builds the agent from).
    Path template = dir.resolve("var/lib/istio/envoy/envoy_bootstrap_tmpl.json");
    Files.createDirectories(template.getParent());
    Files.copy(BINARY.resolveSibling("envoy_bootstrap_tmpl.json"), template);
    Map<String, String> env = new TreeMap<>();
    env.put("INSTANCE_IP", instanceIp);
    env.put("ISTIO_METAJSON_LABELS", labelsJson);
    env.put("ISTIO_META_WORKLOAD_NAME", pod.replaceFirst("-[^-]+$", ""));
    return start(
        dir,
        istiodPort,
        istiodSan,
        namespace,
        pod,
        serviceAccount,
        token,
        rootCertPem,
        env,
        ",\"binaryPath\":\"" + envoyBinary + "\"");
  }

  private static PilotAgent start(
      Path dir,
      int istiodPort,
      String istiodSan,
      String namespace,
      String pod,
      String serviceAccount,
      String token,
      String rootCertPem,
      Map<String, String> modeEnv,
      String extraProxyConfig)
      throws IOException {
    Path secrets = dir.resolve("var/run/secrets");
    Files.createDirectories(secrets.resolve("istio"));
    Files.createDirectories(secrets.resolve("tokens"));
    Files.createDirectories(dir.resolve("certs"));
    Files.createDirectories(dir.resolve("etc/istio/proxy"));
    Files.writeString(secrets.resolve("tokens/istio-token"), token, StandardCharsets.UTF_8);
    Files.writeString(secrets.resolve("istio/root-cert.pem"), rootCertPem, StandardCharsets.UTF_8);
    // PROV_CERT's folder is also where the agent looks for the CA's root.
    Files.writeString(dir.resolve("certs/root-cert.pem"), rootCertPem, StandardCharsets.UTF_8);

    Map<String, String> env = new TreeMap<>();
    env.put("PATH", "/usr/bin:/bin");
    env.put("HOME", dir.toString());
    env.putAll(modeEnv);
    env.put("ISTIO_META_DNS_CAPTURE", "false");
    env.put("ISTIOD_SAN", istiodSan);
    env.put("PROV_CERT", dir.resolve("certs").toString());
    env.put("OUTPUT_CERTS", dir.resolve("certs").toString());
    env.put("POD_NAME", pod);
    env.put("POD_NAMESPACE", namespace);
    env.put("SERVICE_ACCOUNT", serviceAccount);
    env.put("TRUST_DOMAIN", "cluster.local");
    env.put("PILOT_CERT_PROVIDER", "istiod");
    env.put("PROXY_XDS_DEBUG_VIA_AGENT", "false");
    // Absolute configPath: the bootstrap names the xDS socket as unix:///<configPath>/XDS.
    env.put(
        "PROXY_CONFIG",
        "{\"discoveryAddress\":\"127.0.0.1:"
            + istiodPort
            + "\",\"configPath\":\""
            + dir.resolve("etc/istio/proxy")
            + "\",\"statusPort\":"
            + FreePorts.anyAddress()
            + extraProxyConfig
            + "}");

    List<String> cmd = new ArrayList<>();
    cmd.add(BINARY.toString());
    cmd.addAll(
        List.of(
            "proxy",
            "sidecar",
            "--domain",
            namespace + ".svc.cluster.local",
            "--proxyLogLevel=warning",
            "--log_output_level=default:info"));
    ProcessBuilder builder =
        new ProcessBuilder(cmd)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("agent.log").toFile());
    builder.environment().clear();
    builder.environment().putAll(env);
    return new PilotAgent(dir, builder.start());
  }

  public Path certChain() {
    return dir.resolve("certs/cert-chain.pem");
  }

  public Path key() {
    return dir.resolve("certs/key.pem");
  }

  /** The Envoy bootstrap the agent writes in sidecar mode. */
  public Path envoyBootstrap() {
    return dir.resolve("etc/istio/proxy/envoy-rev.json");
  }

  /** The socket on which the agent serves xDS to Envoy (or a proxyless client). */
  public Path xdsSocket() {
    return dir.resolve("etc/istio/proxy/XDS");
  }

  public Path bootstrap() {
    return dir.resolve("etc/istio/proxy/grpc-bootstrap.json");
  }

  public String log() {
    try {
      return Files.readString(dir.resolve("agent.log"), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  public boolean alive() {
    return process.isAlive();
  }

  /** SIGTERM, then SIGKILL after 10 s: the agent drains for up to 5 s when Envoy is off. */
  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(Duration.ofSeconds(10).toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
  }
}

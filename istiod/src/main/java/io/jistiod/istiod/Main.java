package io.jistiod.istiod;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The istiod command line, with pilot-discovery's subcommands and flag names. */
@Command(
    name = "istiod",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Istio control plane (a Java drop-in for istiod).",
    subcommands = {
      Main.Discovery.class,
      Main.VersionCommand.class,
      io.jistiod.istiod.webhook.ValidateCommand.class,
      io.jistiod.istiod.inject.KubeInjectCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {

  public static void main(String[] args) {
    CommandLine cli = new CommandLine(new Main());
    cli.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          // One line, no stack trace: the reason is all a user needs for a startup failure.
          cmd.getErr().println("istiod: error: " + e.getMessage());
          return 1;
        });
    System.exit(cli.execute(args));
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  /** {@code istiod discovery}: the server. */
  @Command(
      name = "discovery",
      mixinStandardHelpOptions = true,
      versionProvider = Main.Version.class,
      description = "Start Istio proxy discovery service.")
  static final class Discovery implements Callable<Integer> {
    @Option(
        names = "--configDir",
        description = "Directory to watch for updates to config yaml files.")
    Path configDir;

    @Option(
        names = "--kubeconfig",
        description = "Use a Kubernetes configuration file instead of in-cluster configuration.")
    Path kubeconfig;

    @Option(
        names = "--meshConfig",
        description =
            "File name for Istio mesh configuration. If not specified, a default mesh will be used.",
        defaultValue = "./etc/istio/config/mesh")
    Path meshConfig;

    @Option(names = "--domain", description = "DNS domain suffix.", defaultValue = "cluster.local")
    String domain;

    @Option(
        names = "--grpcAddr",
        description = "Discovery service gRPC address.",
        defaultValue = ":15010")
    String grpcAddr;

    @Option(
        names = "--httpAddr",
        description = "Discovery service HTTP address.",
        defaultValue = ":8080")
    String httpAddr;

    @Option(
        names = "--monitoringAddr",
        description = "HTTP address for /metrics.",
        defaultValue = ":15014")
    String monitoringAddr;

    @Option(
        names = "--httpsAddr",
        description = "Webhook HTTPS address (config validation); empty: off.",
        defaultValue = ":15017")
    String httpsAddr;

    @Option(
        names = "--secureGRPCAddr",
        description = "Discovery service secured gRPC address (CSRs and xDS over TLS); empty: off.",
        defaultValue = ":15012")
    String secureGrpcAddr;

    @Option(
        names = {"-n", "--namespace"},
        description = "Select a namespace where the controller resides.",
        defaultValue = "${env:POD_NAMESPACE:-istio-system}")
    String namespace;

    @Option(
        names = "--clusterID",
        description = "The ID of the cluster that this Istiod instance resides.",
        defaultValue = "${env:CLUSTER_ID:-Kubernetes}")
    String clusterId;

    @Option(
        names = "--tlsCertFile",
        description = "File containing the x509 Certificate for HTTPS.")
    Path tlsCertFile;

    @Option(
        names = "--tlsKeyFile",
        description = "File containing the x509 private key matching --tlsCertFile.")
    Path tlsKeyFile;

    @Option(names = "--caCertFile", description = "File containing the x509 Server CA Certificate.")
    Path caCertFile;

    @Option(
        names = "--injectionPath",
        description =
            "Folder with the sidecar injector's config and values files (istiod's fixed path);"
                + " without them, the istio-sidecar-injector ConfigMap. INJECT_ENABLED=false: off.",
        defaultValue = "./var/lib/istio/inject")
    Path injectionPath;

    // Flags Istio's istiod Helm chart passes to pilot-discovery. They are accepted so the chart's
    // Deployment (ours and Istio's) starts this istiod unchanged; what each one does here is said
    // in its description.

    @Option(
        names = "--log_output_level",
        description =
            "Istio's per-scope log levels (scope:level,...); accepted for compatibility, logging"
                + " levels come from logback.")
    String logOutputLevel;

    @Option(
        names = "--log_as_json",
        description = "Istio's JSON log switch; accepted for compatibility, not applied.")
    boolean logAsJson;

    @Option(
        names = "--keepaliveMaxServerConnectionAge",
        description =
            "Istio's maximum xDS connection age (Go duration, e.g. 30m); accepted and checked, not"
                + " applied yet.",
        defaultValue = "30m")
    String keepaliveMaxServerConnectionAge;

    @Option(
        names = "--shutdownDuration",
        description =
            "Duration the discovery server needs to terminate gracefully (Go duration): after a"
                + " SIGTERM it stops reporting ready, sends GOAWAY, asks every xDS stream to"
                + " reconnect elsewhere and waits this long for in-flight calls.",
        defaultValue = "10s")
    String shutdownDuration;

    @Option(
        names = "--cniNamespace",
        description = "Namespace of Istio's CNI node agent; accepted for compatibility, unused.")
    String cniNamespace;

    @Override
    public Integer call() throws Exception {
      if (configDir != null && !Files.isDirectory(configDir)) {
        throw new IllegalArgumentException("--configDir " + configDir + ": no such folder");
      }
      goDuration("--keepaliveMaxServerConnectionAge", keepaliveMaxServerConnectionAge);
      if (kubeconfig != null && !Files.isReadable(kubeconfig)) {
        throw new IllegalArgumentException("--kubeconfig " + kubeconfig + ": cannot read it");
      }
      KubernetesAccess kubernetes = null;
      if (kubeconfig != null) {
        kubernetes = new KubernetesAccess(kubeconfig);
      } else if (KubernetesAccess.runningInCluster()) {
        kubernetes = KubernetesAccess.inCluster();
      }
      IstiodOptions defaults = IstiodOptions.defaults(configDir == null ? Path.of(".") : configDir);
      IstiodOptions options =
          new IstiodOptions(
              configDir,
              kubernetes,
              domain,
              defaults.trustDomain(),
              grpcAddr,
              httpAddr,
              monitoringAddr,
              envDuration("PILOT_DEBOUNCE_AFTER", defaults.debounceAfter()),
              envDuration("PILOT_DEBOUNCE_MAX", defaults.debounceMax()),
              defaults.pushWorkers());
      Istiod istiod =
          new Istiod(
              options
                  .withMeshConfigFile(meshConfig)
                  .withAmbient(envBool("PILOT_ENABLE_AMBIENT", false))
                  .withSecurity(
                      io.jistiod.istiod.security.SecurityOptions.fromEnvironment(System::getenv)
                          .withFlags(
                              secureGrpcAddr,
                              namespace,
                              clusterId,
                              tlsCertFile,
                              tlsKeyFile,
                              caCertFile))
                  .withWebhook(
                      io.jistiod.istiod.webhook.WebhookOptions.fromEnvironment(System::getenv)
                          .withHttpsAddr(httpsAddr)
                          .withNamespace(namespace))
                  .withInjection(
                      io.jistiod.istiod.inject.InjectionOptions.fromEnvironment(System::getenv)
                          .withDirectory(injectionPath)));
      istiod.shutdownDuration(goDuration("--shutdownDuration", shutdownDuration));
      Runtime.getRuntime().addShutdownHook(new Thread(istiod::close, "shutdown"));
      try {
        istiod.start();
      } catch (java.io.IOException e) {
        istiod.close();
        throw e;
      }
      istiod.awaitTermination();
      return 0;
    }
  }

  /**
   * Parses a Go duration as Istio's flags take them ({@code 30m}, {@code 1h30m}, {@code 500ms},
   * {@code 0}); throws naming the flag when it is not one.
   */
  static Duration goDuration(String flag, String value) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)").matcher(value);
    if (value.equals("0")) {
      return Duration.ZERO;
    }
    int at = 0;
    double nanos = 0;
    while (at < value.length() && m.find(at) && m.start() == at) {
      double n = Double.parseDouble(m.group(1));
      nanos +=
          n
              * switch (m.group(2)) {
                case "ns" -> 1d;
                case "us", "µs" -> 1e3;
                case "ms" -> 1e6;
                case "s" -> 1e9;
                case "m" -> 60e9;
                default -> 3600e9;
              };
      at = m.end();
    }
    if (at == 0 || at != value.length()) {
      throw new IllegalArgumentException(
          flag + " " + value + ": not a duration (e.g. 30m, 1h30m, 500ms)");
    }
    return Duration.ofNanos((long) nanos);
  }

  /** {@code istiod version}. */
  @Command(
      name = "version",
      mixinStandardHelpOptions = true,
      versionProvider = Main.Version.class,
      description = "Prints out build version information.")
  static final class VersionCommand implements Runnable {
    @Option(
        names = {"-s", "--short"},
        description = "Use --short=false to generate full version information.")
    boolean shortForm;

    @Override
    public void run() {
      System.out.println(shortForm ? BuildInfo.ISTIO_VERSION : BuildInfo.describe());
    }
  }

  /** What {@code -V}/{@code --version} prints, on every command. */
  public static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {BuildInfo.describe()};
    }
  }

  /** A string from the environment; unset or empty gives {@code fallback}. */
  static String envString(String name, String fallback) {
    return envString(System::getenv, name, fallback);
  }

  /** As {@link #envString(String, String)}, from the environment {@code getenv} reads. */
  static String envString(UnaryOperator<String> getenv, String name, String fallback) {
    String v = getenv.apply(name);
    return v == null || v.isEmpty() ? fallback : v;
  }

  /**
   * Reads a boolean from the environment as istiod does (Go's strconv.ParseBool: 1, t, T, TRUE,
   * true, True and their false forms); unset or unreadable gives {@code fallback}, the latter with
   * a warning, as istiod warns and keeps its default.
   */
  static boolean envBool(String name, boolean fallback) {
    return envBool(System::getenv, name, fallback);
  }

  /** As {@link #envBool(String, boolean)}, from the environment {@code getenv} reads. */
  static boolean envBool(UnaryOperator<String> getenv, String name, boolean fallback) {
    return goBool(name, getenv.apply(name), fallback);
  }

  static boolean goBool(String name, String v, boolean fallback) {
    if (v == null || v.isEmpty()) {
      return fallback;
    }
    switch (v) {
      case "1", "t", "T", "TRUE", "true", "True":
        return true;
      case "0", "f", "F", "FALSE", "false", "False":
        return false;
      default:
        org.slf4j.LoggerFactory.getLogger(Main.class)
            .warn(
                "invalid environment variable value `{}` for \"{}\", expecting bool, defaulting to {}",
                v,
                name,
                fallback);
        return fallback;
    }
  }

  /** Reads a Go-style duration ("100ms", "10s") from the environment, as istiod's env vars are. */
  static Duration envDuration(String name, Duration fallback) {
    return envDuration(System::getenv, name, fallback);
  }

  /** As {@link #envDuration(String, Duration)}, from the environment {@code getenv} reads. */
  static Duration envDuration(UnaryOperator<String> getenv, String name, Duration fallback) {
    String v = getenv.apply(name);
    if (v == null || v.isBlank()) {
      return fallback;
    }
    Duration d = io.jistiod.galley.parse.GoDurations.parse(v.trim());
    if (d == null) {
      throw new IllegalArgumentException(
          name + ": \"" + v + "\" is not a duration (e.g. 100ms, 10s)");
    }
    return d;
  }
}

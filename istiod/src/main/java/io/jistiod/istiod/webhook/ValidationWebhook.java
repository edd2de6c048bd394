package io.jistiod.istiod.webhook;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.jistiod.citadel.pki.CaKeyMaterial;
import io.jistiod.citadel.pki.Pem;
import io.jistiod.galley.analysis.Analysis;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.validation.NetworkingValidators;
import io.jistiod.galley.webhook.AdmissionHandler;
import io.jistiod.galley.webhook.ConfigAdmission;
import io.jistiod.galley.webhook.WebhookMetrics;
import io.jistiod.istiod.security.IstiodDnsNames;
import io.jistiod.istiod.security.IstiodSecurity;
import io.jistiod.istiod.security.ServingKeyManager;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Config validation in istiod: the HTTPS webhook port and, in Kubernetes mode, the controller that
 * keeps the ValidatingWebhookConfigurations pointing at it.
 *
 * <p>The certificate: with istiod's CA on, istiod's serving certificate (the one the CA issues for
 * istiod's DNS names, renewed in place, with the CA's roots as {@code caBundle}; or one from files,
 * {@code --tlsCertFile}, with the {@code --caCertFile} roots as {@code caBundle}). With the CA off,
 * a root and a serving certificate made in memory at start (DNS names of istiod plus {@code
 * localhost}, IP {@code 127.0.0.1} and {@code ::1}), the root as {@code caBundle}.
 */
public final class ValidationWebhook implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ValidationWebhook.class);

  private final List<AutoCloseable> closeables = new ArrayList<>();
  private ValidationWebhookServer server;
  private volatile ValidatingWebhookController controller;
  private WebhookOptions options;
  private InjectionWebhookPatcher injectionPatcher;
  private String certificateSource;
  private Supplier<String> caBundle = () -> null;

  private ValidationWebhook() {}

  /**
   * Opens the webhook port and, with a client, starts the controller.
   *
   * @param address where to listen ({@code options.httpsAddr()} parsed)
   * @param client null in standalone mode (no controller)
   * @param security istiod's CA and serving certificate; null when off
   * @param analysis cross-object analyzers whose findings become warnings; null for none
   * @param ready what {@code /ready} on the webhook port reports
   * @throws IOException when the address cannot be bound
   */
  public static ValidationWebhook start(
      InetSocketAddress address,
      WebhookOptions options,
      KubernetesClient client,
      IstiodSecurity security,
      Analysis analysis,
      BooleanSupplier ready,
      MeterRegistry metrics)
      throws IOException {
    ValidationWebhook webhook = new ValidationWebhook();
    try {
      webhook.doStart(address, options, client, security, analysis, ready, metrics);
      return webhook;
    } catch (IOException | RuntimeException e) {
      webhook.close();
      throw e;
    }
  }

  /** The HTTPS server (15017), where injection is served too. */
  public ValidationWebhookServer server() {
    return server;
  }

  private void doStart(
      InetSocketAddress address,
      WebhookOptions options,
      KubernetesClient client,
      IstiodSecurity security,
      Analysis analysis,
      BooleanSupplier ready,
      MeterRegistry metrics)
      throws IOException {
    ServingKeyManager serving;
    if (security != null && security.servingKeys().isPresent()) {
      serving = security.servingKeys().get();
      caBundle = () -> security.servingRootsPem().orElse(null);
      certificateSource = "istiod's serving certificate from " + security.describe();
    } else {
      List<String> dns =
          new ArrayList<>(IstiodDnsNames.of(options.namespace(), options.revision(), List.of()));
      dns.add("localhost");
      SelfSignedWebhookCertificate self =
          SelfSignedWebhookCertificate.generate(
              dns, List.of("127.0.0.1", "::1"), Clock.systemUTC());
      serving = new ServingKeyManager();
      serving.set(self.serving());
      String pem = Pem.encodeAll(List.of(self.root()));
      caBundle = () -> pem;
      certificateSource = "a self-signed certificate made at start (istiod's CA is off)";
    }

    AdmissionHandler handler =
        new AdmissionHandler(
            new ConfigAdmission(IstioKinds.ALL, NetworkingValidators.forKinds(), analysis),
            new WebhookMetrics(metrics));
    try {
      server =
          ValidationWebhookServer.start(address, serving, handler, ready, options.requestTimeout());
    } catch (IOException e) {
      throw new IOException("--httpsAddr " + options.httpsAddr() + ": " + bindReason(e), e);
    }
    closeables.add(server);

    this.options = options;
    log.info(
        "validation webhook on {} (/validate, /ready), certificate: {}",
        server.port(),
        certificateSource);
  }

  /**
   * Starts the controller that keeps this revision's ValidatingWebhookConfigurations (caBundle,
   * then failurePolicy Fail once the webhook answers); one replica runs it (see {@code
   * LeaderElection}). Closing it stops the controller.
   */
  public AutoCloseable startPatching(
      KubernetesClient client, IstiodSecurity security, MeterRegistry metrics) {
    List<AutoCloseable> parts = new ArrayList<>();
    ScheduledExecutorService worker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "validation-webhook-controller");
              t.setDaemon(true);
              return t;
            });
    parts.add(worker::shutdownNow);
    ValidatingWebhookController c =
        new ValidatingWebhookController(
            client, options.namespace(), options.revision(), caBundle, metrics, worker);
    parts.add(c);
    c.start();
    if (security != null) {
      Consumer<CaKeyMaterial> onRoots = m -> c.rootsChanged();
      security.ca().addListener(onRoots);
      parts.add(() -> security.ca().removeListener(onRoots));
    }
    controller = c;
    log.info(
        "patching ValidatingWebhookConfigurations labelled istio.io/rev={}", options.revision());
    return closeAll(parts);
  }

  /** Closes {@code parts} last first; each failure is logged, none stops the rest. */
  private static AutoCloseable closeAll(List<AutoCloseable> parts) {
    return () -> {
      for (int i = parts.size() - 1; i >= 0; i--) {
        try {
          parts.get(i).close();
        } catch (Exception e) {
          org.slf4j.LoggerFactory.getLogger(ValidationWebhook.class)
              .debug("closing a webhook patcher part", e);
        }
      }
    };
  }

  /**
   * Starts keeping the caBundle of this revision's sidecar injector MutatingWebhookConfigurations:
   * they trust the same roots as the validator, as both webhooks are served on this port with this
   * certificate. Called once injection runs (as istiod, which patches only when it injects).
   */
  public AutoCloseable startInjectionPatcher(
      KubernetesClient client, String revision, IstiodSecurity security, MeterRegistry metrics) {
    List<AutoCloseable> parts = new ArrayList<>();
    ScheduledExecutorService worker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "injection-webhook-patcher");
              t.setDaemon(true);
              return t;
            });
    parts.add(worker::shutdownNow);
    InjectionWebhookPatcher patcher =
        new InjectionWebhookPatcher(client, revision, caBundle, metrics, worker);
    parts.add(patcher);
    patcher.start();
    if (security != null) {
      Consumer<CaKeyMaterial> onRoots = m -> patcher.rootsChanged();
      security.ca().addListener(onRoots);
      parts.add(() -> security.ca().removeListener(onRoots));
    }
    log.info(
        "patching the caBundle of sidecar injector MutatingWebhookConfigurations labelled"
            + " istio.io/rev={}",
        revision);
    injectionPatcher = patcher;
    return closeAll(parts);
  }

  /** The injector's caBundle patcher, or null when it does not run. */
  public InjectionWebhookPatcher injectionPatcher() {
    return injectionPatcher;
  }

  public int port() {
    return server.port();
  }

  /** The webhook port serves and its threads still run requests. */
  public boolean healthy() {
    return server != null && server.healthy();
  }

  /** The controller, or null when it does not run (standalone mode, or turned off). */
  public ValidatingWebhookController controller() {
    return controller;
  }

  /** The PEM roots patched into the configurations' {@code caBundle} now; null when unknown. */
  public String caBundle() {
    return caBundle.get();
  }

  public String certificateSource() {
    return certificateSource;
  }

  private static String bindReason(IOException e) {
    String reason = e.getMessage() == null ? e.toString() : e.getMessage();
    return reason.toLowerCase(Locale.ROOT).contains("in use") ? "address already in use" : reason;
  }

  @Override
  public void close() {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      try {
        closeables.get(i).close();
      } catch (Exception e) {
        log.debug("close: {}", e.getMessage());
      }
    }
    closeables.clear();
  }
}

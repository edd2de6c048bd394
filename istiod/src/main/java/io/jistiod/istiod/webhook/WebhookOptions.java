package io.jistiod.istiod.webhook;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Function;

/**
 * The webhook port and the validation controller, with Istio's flag and environment names.
 *
 * @param httpsAddr {@code --httpsAddr}; empty turns the webhook port off
 * @param namespace {@code --namespace} / {@code POD_NAMESPACE}: where the readiness check's Gateway
 *     is created, and what istiod's DNS names end in
 * @param revision {@code REVISION}: only ValidatingWebhookConfigurations labelled {@code
 *     istio.io/rev=<revision>} are patched
 * @param patchWebhooks whether to run the controller that patches them (Kubernetes mode only);
 *     Istio's {@code VALIDATION_WEBHOOK_CONFIG_NAME} non-empty (it is by default)
 * @param requestTimeout what one webhook request may take in all
 * @param patchInjectionWebhooks whether to keep the caBundle of the revision's sidecar injector
 *     MutatingWebhookConfigurations (Kubernetes mode only): Istio's {@code
 *     INJECTION_WEBHOOK_CONFIG_NAME} non-empty (it is by default) and {@code INJECT_ENABLED} not
 *     false
 */
public record WebhookOptions(
    String httpsAddr,
    String namespace,
    String revision,
    boolean patchWebhooks,
    Duration requestTimeout,
    boolean patchInjectionWebhooks) {

  public WebhookOptions {
    Objects.requireNonNull(httpsAddr, "httpsAddr");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(revision, "revision");
    Objects.requireNonNull(requestTimeout, "requestTimeout");
    if (requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new IllegalArgumentException("requestTimeout: " + requestTimeout + " (expected: > 0)");
    }
  }

  /** Webhook port off: what programmatic users get unless they opt in. */
  public static WebhookOptions disabled() {
    return fromEnvironment(name -> null).withHttpsAddr("");
  }

  /** istiod's defaults ({@code :15017}, namespace {@code istio-system}), then the environment. */
  public static WebhookOptions fromEnvironment(Function<String, String> env) {
    String configName = env.apply("VALIDATION_WEBHOOK_CONFIG_NAME");
    String injectionConfigName = env.apply("INJECTION_WEBHOOK_CONFIG_NAME");
    return new WebhookOptions(
        ":15017",
        text(env, "POD_NAMESPACE", "istio-system"),
        text(env, "REVISION", "default"),
        configName == null || !configName.isEmpty(),
        ValidationWebhookServer.DEFAULT_REQUEST_TIMEOUT,
        (injectionConfigName == null || !injectionConfigName.isEmpty())
            && !"false".equalsIgnoreCase(text(env, "INJECT_ENABLED", "true")));
  }

  public boolean enabled() {
    return !httpsAddr.isEmpty();
  }

  public WebhookOptions withHttpsAddr(String addr) {
    return new WebhookOptions(
        addr, namespace, revision, patchWebhooks, requestTimeout, patchInjectionWebhooks);
  }

  public WebhookOptions withNamespace(String ns) {
    return new WebhookOptions(
        httpsAddr, ns, revision, patchWebhooks, requestTimeout, patchInjectionWebhooks);
  }

  public WebhookOptions withRevision(String rev) {
    return new WebhookOptions(
        httpsAddr, namespace, rev, patchWebhooks, requestTimeout, patchInjectionWebhooks);
  }

  private static String text(Function<String, String> env, String name, String fallback) {
    String v = env.apply(name);
    return v == null || v.isBlank() ? fallback : v.trim();
  }
}

package io.jistiod.istiod;

import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retries a startup step that needs the API server (e.g. creating {@code istio-ca-secret} before
 * istiod's namespace exists) with capped exponential backoff, as istiod does, instead of exiting.
 * While it waits, the reason goes to a log line and to {@code status} (shown on {@code /ready});
 * {@code status} gets null once the step succeeds. Only API server faults are retried; anything
 * else still fails the start.
 */
public final class StartupRetry {
  /** Istio's defaults: the first retry after 1 s, doubling up to 30 s. */
  public static final Duration INITIAL = Duration.ofSeconds(1);

  public static final Duration MAX = Duration.ofSeconds(30);

  private static final Logger log = LoggerFactory.getLogger(StartupRetry.class);

  /** Waits between attempts; tests record instead of sleeping. */
  public interface Sleeper {
    void sleep(Duration d) throws InterruptedException;
  }

  private final Duration initial;
  private final Duration max;
  private final Sleeper sleeper;
  private final Consumer<String> status;

  public StartupRetry(Consumer<String> status) {
    this(INITIAL, MAX, d -> Thread.sleep(d.toMillis()), status);
  }

  public StartupRetry(Duration initial, Duration max, Sleeper sleeper, Consumer<String> status) {
    this.initial = Objects.requireNonNull(initial, "initial");
    this.max = Objects.requireNonNull(max, "max");
    this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
    this.status = Objects.requireNonNull(status, "status");
  }

  /**
   * {@code attempt}'s result, retried until it succeeds.
   *
   * @param step what is being done, for the reason (e.g. {@code CA: Secret ns/istio-ca-secret})
   * @throws IOException if interrupted while waiting
   */
  public <T> T until(String step, Supplier<T> attempt) throws IOException {
    Duration delay = initial;
    for (int n = 1; ; n++) {
      try {
        T result = attempt.get();
        if (n > 1) {
          log.info("{}: succeeded after {} attempts", step, n);
        }
        status.accept(null);
        return result;
      } catch (KubernetesClientException e) {
        String reason =
            step + ": " + reason(e) + " (attempt " + n + ", next in " + seconds(delay) + ")";
        log.warn("not ready: {}", reason);
        status.accept(reason);
      }
      try {
        sleeper.sleep(delay);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(step + ": interrupted while retrying", e);
      }
      delay = delay.multipliedBy(2).compareTo(max) > 0 ? max : delay.multipliedBy(2);
    }
  }

  /** The API server's own message (e.g. {@code namespaces "istio-system" not found}). */
  static String reason(KubernetesClientException e) {
    if (e.getStatus() != null && e.getStatus().getMessage() != null) {
      return e.getStatus().getMessage() + (e.getCode() > 0 ? " (HTTP " + e.getCode() + ")" : "");
    }
    String m = e.getMessage() == null ? e.toString() : e.getMessage();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  private static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }
}

package io.jistiod.pilot.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * One JWKS download over HTTP(S) with the JDK client: from {@code jwksUri}, or from the {@code
 * jwks_uri} of the issuer's OpenID discovery document when the rule names no URI. Counts every GET
 * in istiod's {@code pilot_jwks_resolver_network_fetch_{success,fail}_total}.
 */
public final class JwksFetcher {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String OPENID_DISCOVERY_SUFFIX = "/.well-known/openid-configuration";

  /** The key set as served, or why there is none. */
  record Result(String keys, String error) {
    static Result failed(String error) {
      return new Result(null, error);
    }
  }

  private final HttpClient client;
  private final Counter success;
  private final Counter fail;

  public JwksFetcher(HttpClient client, MeterRegistry metrics) {
    this.client = client;
    this.success =
        Counter.builder("pilot_jwks_resolver_network_fetch_success_total")
            .description("Total number of successfully network fetch by pilot jwks resolver")
            .register(metrics);
    this.fail =
        Counter.builder("pilot_jwks_resolver_network_fetch_fail_total")
            .description("Total number of failed network fetch by pilot jwks resolver")
            .register(metrics);
  }

  /** A client as istiod's: the system's trust store, proxies from the JVM's settings. */
  public static HttpClient defaultClient() {
    return HttpClient.newBuilder()
        .followRedirects(HttpClient.Redirect.NORMAL)
        .connectTimeout(Duration.ofSeconds(5))
        .build();
  }

  Result fetch(String issuer, String jwksUri, Duration timeout) {
    String uri = jwksUri;
    if (uri.isEmpty()) {
      String discovery = stripTrailingSlash(issuer) + OPENID_DISCOVERY_SUFFIX;
      Result doc = get(discovery, timeout);
      if (doc.error() != null) {
        return Result.failed("OpenID discovery " + discovery + ": " + doc.error());
      }
      JsonNode found = parse(doc.keys());
      if (found == null || !found.path("jwks_uri").isTextual()) {
        return Result.failed("OpenID discovery " + discovery + " has no jwks_uri");
      }
      uri = found.get("jwks_uri").asText();
    }
    Result r = get(uri, timeout);
    if (r.error() != null) {
      return r;
    }
    JsonNode keys = parse(r.keys());
    if (keys == null || !keys.isObject()) {
      // Inlined, a body that is no key set would make Envoy reject every token anyway; keeping it
      // out keeps the last good key set (or the rejecting one) and says why.
      return Result.failed("the response is not a JSON Web Key Set");
    }
    return r;
  }

  private Result get(String uri, Duration timeout) {
    if (timeout.isZero() || timeout.isNegative()) {
      timeout = Duration.ofSeconds(5);
    }
    HttpRequest request;
    try {
      request = HttpRequest.newBuilder(URI.create(uri)).timeout(timeout).GET().build();
    } catch (IllegalArgumentException e) {
      return Result.failed("invalid URI: " + e.getMessage());
    }
    try {
      HttpResponse<String> resp =
          client.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      if (resp.statusCode() < 200 || resp.statusCode() >= 300) {
        fail.increment();
        String body = resp.body();
        return Result.failed(
            "status "
                + resp.statusCode()
                + (body.isEmpty() ? "" : ", message " + truncate(body.strip(), 100)));
      }
      success.increment();
      return new Result(resp.body(), null);
    } catch (HttpTimeoutException e) {
      fail.increment();
      return Result.failed("no answer within " + timeout.toMillis() + " ms");
    } catch (IOException e) {
      fail.increment();
      return Result.failed(
          e.getMessage() == null
              ? e.getClass().getSimpleName()
              : e.getClass().getSimpleName() + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      fail.increment();
      return Result.failed("interrupted");
    }
  }

  static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static String stripTrailingSlash(String s) {
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }

  private static String truncate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max) + "...(truncated)";
  }
}

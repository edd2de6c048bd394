package io.jistiod.pilot.networking;

import com.google.protobuf.Any;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate;
import io.envoyproxy.envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRetry;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * VirtualService retries as Envoy retry policies, with istiod's default when a route sets none: 2
 * retries on connection failures, refused streams, gRPC unavailable/cancelled and retriable status
 * codes, preferring hosts not tried yet.
 */
public final class EnvoyRetries {
  private EnvoyRetries() {}

  /** istiod's retry_on when none is given. */
  public static final String DEFAULT_RETRY_ON =
      "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";

  private static final RetryPolicy.RetryHostPredicate PREVIOUS_HOSTS =
      RetryPolicy.RetryHostPredicate.newBuilder()
          .setName("envoy.retry_host_predicates.previous_hosts")
          .setTypedConfig(Any.pack(PreviousHostsPredicate.getDefaultInstance()))
          .build();

  private static final RetryPolicy.RetryPriority PREVIOUS_PRIORITIES =
      RetryPolicy.RetryPriority.newBuilder()
          .setName("envoy.retry_priorities.previous_priorities")
          .setTypedConfig(
              Any.pack(PreviousPrioritiesConfig.newBuilder().setUpdateFrequency(2).build()))
          .build();

  /** Status codes Go's net/http knows: istiod takes only those from retryOn as status codes. */
  private static final Set<Integer> KNOWN_STATUS =
      Set.of(
          100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303,
          304, 305, 307, 308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413,
          414, 415, 416, 417, 418, 421, 422, 423, 424, 425, 426, 428, 429, 431, 451, 500, 501, 502,
          503, 504, 505, 506, 507, 508, 510, 511);

  /**
   * The Envoy retry policy for {@code in} (null = none given: the default); null when {@code in}
   * turns retries off (attempts 0). With a consistent hash the default keeps retrying on the same
   * host choice (no previous-hosts predicate), as istiod does.
   */
  public static RetryPolicy convert(HTTPRetry in, boolean consistentHash) {
    RetryPolicy.Builder out =
        RetryPolicy.newBuilder()
            .setNumRetries(UInt32Value.of(2))
            .setRetryOn(DEFAULT_RETRY_ON)
            .setHostSelectionRetryMaxAttempts(5);
    if (!consistentHash) {
      out.addRetryHostPredicate(PREVIOUS_HOSTS);
    }
    if (in == null) {
      return out.build();
    }
    if (in.getAttempts() <= 0) {
      return null;
    }
    out.setNumRetries(UInt32Value.of(in.getAttempts()));
    if (!in.getRetryOn().isEmpty()) {
      List<String> conditions = new ArrayList<>();
      List<Integer> codes = new ArrayList<>();
      for (String part : in.getRetryOn().split(",", -1)) {
        part = part.strip();
        if (part.isEmpty()) {
          continue;
        }
        Integer code = statusCode(part);
        if (code != null) {
          codes.add(code);
        } else {
          conditions.add(part);
        }
      }
      String retryOn = String.join(",", conditions);
      if (!codes.isEmpty() && !retryOn.contains("retriable-status-codes")) {
        retryOn += ",retriable-status-codes";
      }
      out.setRetryOn(retryOn);
      out.addAllRetriableStatusCodes(codes);
    }
    if (in.hasPerTryTimeout()) {
      out.setPerTryTimeout(in.getPerTryTimeout());
    }
    if (in.hasRetryIgnorePreviousHosts()) {
      out.clearRetryHostPredicate();
      if (in.getRetryIgnorePreviousHosts().getValue()) {
        out.addRetryHostPredicate(PREVIOUS_HOSTS);
      }
    }
    if (in.hasRetryRemoteLocalities() && in.getRetryRemoteLocalities().getValue()) {
      out.setRetryPriority(PREVIOUS_PRIORITIES);
    }
    if (in.hasBackoff()) {
      out.setRetryBackOff(RetryPolicy.RetryBackOff.newBuilder().setBaseInterval(in.getBackoff()));
    }
    return out.build();
  }

  private static Integer statusCode(String s) {
    try {
      int i = Integer.parseInt(s);
      return KNOWN_STATUS.contains(i) ? i : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }
}

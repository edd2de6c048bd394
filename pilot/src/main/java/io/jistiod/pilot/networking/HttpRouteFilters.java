package io.jistiod.pilot.networking;

import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.extensions.filters.common.fault.v3.FaultDelay;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.jistiod.galley.api.networking.v1alpha3.HTTPFaultInjection;
import io.jistiod.galley.api.networking.v1alpha3.HTTPMirrorPolicy;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRoute;
import io.jistiod.galley.api.networking.v1alpha3.Headers;
import io.jistiod.galley.api.networking.v1alpha3.Percent;
import io.jistiod.galley.api.networking.v1alpha3.StringMatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The per-route pieces of a VirtualService HTTP rule besides its destination: header manipulation,
 * CORS, fault injection and mirror percentages, translated as istiod translates them.
 */
public final class HttpRouteFilters {
  private HttpRouteFilters() {}

  /**
   * Header operations of a rule or a destination. {@code set} becomes OVERWRITE_IF_EXISTS_OR_ADD
   * and {@code add} APPEND_IF_EXISTS_OR_ADD, each sorted by name, sets first; pseudo-headers and
   * {@code host} cannot be changed by Envoy that way and are left out, but a new {@code
   * :authority}/{@code host} value is reported as {@link #authority} (a host rewrite).
   */
  public record HeaderOperations(
      List<HeaderValueOption> requestToAdd,
      List<String> requestToRemove,
      List<HeaderValueOption> responseToAdd,
      List<String> responseToRemove,
      String authority) {

    public static HeaderOperations of(Headers headers) {
      var req = headers.getRequest();
      var resp = headers.getResponse();
      List<HeaderValueOption> requestToAdd = new ArrayList<>();
      String setAuthority = append(req.getSetMap(), false, requestToAdd);
      String addAuthority = append(req.getAddMap(), true, requestToAdd);
      List<HeaderValueOption> responseToAdd = new ArrayList<>();
      append(resp.getSetMap(), false, responseToAdd);
      append(resp.getAddMap(), true, responseToAdd);
      return new HeaderOperations(
          requestToAdd,
          dropInternal(req.getRemoveList()),
          responseToAdd,
          dropInternal(resp.getRemoveList()),
          setAuthority.isEmpty() ? addAuthority : setAuthority);
    }
  }

  private static String append(
      Map<String, String> headers, boolean add, List<HeaderValueOption> out) {
    String authority = "";
    List<String> keys = new ArrayList<>(headers.keySet());
    keys.sort(null);
    for (String key : keys) {
      String value = headers.get(key);
      if (key.equalsIgnoreCase(":authority") || key.equalsIgnoreCase("host")) {
        authority = value;
      }
      if (isInternal(key)) {
        continue;
      }
      out.add(
          HeaderValueOption.newBuilder()
              .setHeader(HeaderValue.newBuilder().setKey(key).setValue(value))
              .setAppendAction(
                  add
                      ? HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD
                      : HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD)
              .build());
    }
    return authority;
  }

  private static boolean isInternal(String key) {
    return key.startsWith(":") || key.toLowerCase(Locale.ROOT).equals("host");
  }

  private static List<String> dropInternal(List<String> keys) {
    List<String> out = new ArrayList<>();
    for (String k : keys) {
      if (!isInternal(k)) {
        out.add(k);
      }
    }
    return out;
  }

  /** CORS as the per-route config of Envoy's CORS filter, enabled for every request. */
  public static CorsPolicy cors(io.jistiod.galley.api.networking.v1alpha3.CorsPolicy in) {
    CorsPolicy.Builder out = CorsPolicy.newBuilder();
    out.setForwardNotMatchingPreflights(
        com.google.protobuf.BoolValue.of(
            in.getUnmatchedPreflights()
                != io.jistiod.galley.api.networking.v1alpha3.CorsPolicy.UnmatchedPreflights
                    .IGNORE));
    if (in.getAllowOriginsCount() > 0) {
      for (StringMatch origin : in.getAllowOriginsList()) {
        StringMatcher sm = HttpRouteMatches.stringMatcher(origin);
        if (sm != null) {
          out.addAllowOriginStringMatch(sm);
        }
      }
    } else {
      for (String origin : in.getAllowOriginList()) {
        out.addAllowOriginStringMatch(StringMatcher.newBuilder().setExact(origin));
      }
    }
    out.setFilterEnabled(
        RuntimeFractionalPercent.newBuilder()
            .setDefaultValue(
                FractionalPercent.newBuilder()
                    .setNumerator(100)
                    .setDenominator(FractionalPercent.DenominatorType.HUNDRED)));
    if (in.hasAllowCredentials()) {
      out.setAllowCredentials(in.getAllowCredentials());
    }
    out.setAllowHeaders(String.join(",", in.getAllowHeadersList()));
    out.setAllowMethods(String.join(",", in.getAllowMethodsList()));
    out.setExposeHeaders(String.join(",", in.getExposeHeadersList()));
    if (in.hasMaxAge()) {
      out.setMaxAge(Long.toString(in.getMaxAge().getSeconds()));
    }
    return out.build();
  }

  /**
   * Fault injection for Envoy's fault filter; null when neither a fixed delay nor a known abort is
   * left (exponential delays are not supported, as in Istio).
   */
  public static HTTPFault fault(HTTPFaultInjection in) {
    HTTPFault.Builder out = HTTPFault.newBuilder();
    boolean any = false;
    if (in.hasDelay() && in.getDelay().hasFixedDelay()) {
      var d = in.getDelay();
      out.setDelay(
          FaultDelay.newBuilder()
              .setFixedDelay(d.getFixedDelay())
              .setPercentage(
                  d.hasPercentage() ? percent(d.getPercentage()) : integerPercent(d.getPercent())));
      any = true;
    }
    if (in.hasAbort()) {
      var a = in.getAbort();
      FaultAbort.Builder abort = FaultAbort.newBuilder();
      if (a.hasPercentage()) {
        abort.setPercentage(percent(a.getPercentage()));
      }
      boolean known = true;
      switch (a.getErrorTypeCase()) {
        case HTTP_STATUS -> abort.setHttpStatus(a.getHttpStatus());
        case GRPC_STATUS -> {
          int code = GrpcStatusCodes.code(a.getGrpcStatus());
          if (code < 0) {
            known = false;
          } else {
            abort.setGrpcStatus(code);
          }
        }
        default -> known = false;
      }
      if (known) {
        out.setAbort(abort);
        any = true;
      }
    }
    return any ? out.build() : null;
  }

  /**
   * How much of the traffic the rule's {@code mirror} gets: mirrorPercentage, else the deprecated
   * integer mirrorPercent, else all of it; null when a zero percentage turns mirroring off.
   */
  public static RuntimeFractionalPercent mirrorPercent(HTTPRoute in) {
    if (in.hasMirrorPercentage()) {
      return in.getMirrorPercentage().getValue() > 0
          ? runtime(percent(in.getMirrorPercentage()))
          : null;
    }
    if (in.hasMirrorPercent()) {
      return in.getMirrorPercent().getValue() > 0
          ? runtime(integerPercent(in.getMirrorPercent().getValue()))
          : null;
    }
    return runtime(integerPercent(100));
  }

  /** The share of one {@code mirrors} entry; null when its percentage is zero. */
  public static RuntimeFractionalPercent mirrorPercent(HTTPMirrorPolicy in) {
    if (in.hasPercentage()) {
      return in.getPercentage().getValue() > 0 ? runtime(percent(in.getPercentage())) : null;
    }
    return runtime(integerPercent(100));
  }

  private static RuntimeFractionalPercent runtime(FractionalPercent p) {
    return RuntimeFractionalPercent.newBuilder().setDefaultValue(p).build();
  }

  /** Istio's Percent (a double, 0-100) in millionths, truncated as istiod does. */
  static FractionalPercent percent(Percent p) {
    return FractionalPercent.newBuilder()
        .setNumerator((int) (p.getValue() * 10000))
        .setDenominator(FractionalPercent.DenominatorType.MILLION)
        .build();
  }

  static FractionalPercent integerPercent(int p) {
    return FractionalPercent.newBuilder()
        .setNumerator(p)
        .setDenominator(FractionalPercent.DenominatorType.HUNDRED)
        .build();
  }
}

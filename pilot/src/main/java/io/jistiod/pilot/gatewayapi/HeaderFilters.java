package io.jistiod.pilot.gatewayapi;

import io.jistiod.galley.api.gateway.v1.HTTPHeader;
import io.jistiod.galley.api.gateway.v1.HTTPHeaderFilter;
import io.jistiod.galley.api.networking.v1alpha3.Headers;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Request/ResponseHeaderModifier filters as Istio header operations ({@code createHeadersFilter}).
 */
final class HeaderFilters {
  private HeaderFilters() {}

  static Headers.HeaderOperations operations(HTTPHeaderFilter f) {
    return Headers.HeaderOperations.newBuilder()
        .putAllSet(toMap(f.getSetList()))
        .putAllAdd(toMap(f.getAddList()))
        .addAllRemove(f.getRemoveList())
        .build();
  }

  /** Names lower-cased; of entries with the same name only the first counts, as the API says. */
  private static Map<String, String> toMap(List<HTTPHeader> headers) {
    Map<String, String> out = new LinkedHashMap<>();
    for (HTTPHeader h : headers) {
      out.putIfAbsent(h.getName().toLowerCase(Locale.ROOT), h.getValue());
    }
    return out;
  }
}

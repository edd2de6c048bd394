package io.jistiod.pilot.envoy.patch;

import com.google.protobuf.Message;
import io.jistiod.galley.api.networking.v1alpha3.EnvoyFilter.ApplyTo;
import io.jistiod.galley.api.networking.v1alpha3.EnvoyFilter.EnvoyConfigObjectMatch;
import io.jistiod.galley.api.networking.v1alpha3.EnvoyFilter.Patch.Operation;
import io.jistiod.galley.api.networking.v1alpha3.EnvoyFilter.PatchContext;
import io.jistiod.pilot.model.Proxy;
import java.util.regex.Pattern;

/**
 * One config patch of an EnvoyFilter, its value already turned into the Envoy type it applies to.
 *
 * @param filter {@code namespace/name} of the EnvoyFilter
 * @param index the patch's position in {@code configPatches}, for log lines
 * @param operation as written, except that an insert where only lists take inserts is an ADD (as
 *     istiod reads it)
 * @param match never null: a patch without one matches everything in every context
 * @param value null for REMOVE
 * @param proxyVersion the compiled {@code match.proxy.proxyVersion}, null if none
 */
public record Patch(
    String filter,
    int index,
    ApplyTo applyTo,
    Operation operation,
    EnvoyConfigObjectMatch match,
    Message value,
    Pattern proxyVersion) {

  /** {@code EnvoyFilter ns/name configPatches[i] (HTTP_FILTER INSERT_BEFORE)}, for log lines. */
  public String describe() {
    return "EnvoyFilter "
        + filter
        + " configPatches["
        + index
        + "] ("
        + applyTo
        + " "
        + operation
        + ")";
  }

  /** Whether the patch applies where config of {@code context} is generated. */
  boolean inContext(PatchContext context) {
    return match.getContext() == PatchContext.ANY || match.getContext() == context;
  }

  /** {@code match.proxy}: the proxy's Istio version and node metadata. */
  boolean matchesProxy(Proxy proxy) {
    if (!match.hasProxy()) {
      return true;
    }
    String version = proxy.metadata().istioVersion();
    if (proxyVersion != null
        && (version == null || version.isEmpty() || !proxyVersion.matcher(version).find())) {
      return false;
    }
    var raw = proxy.metadata().raw().getFieldsMap();
    for (var e : match.getProxy().getMetadataMap().entrySet()) {
      var v = raw.get(e.getKey());
      // istiod compares the raw metadata value with the string: only string values can be equal
      if (v == null || !v.hasStringValue() || !v.getStringValue().equals(e.getValue())) {
        return false;
      }
    }
    return true;
  }
}

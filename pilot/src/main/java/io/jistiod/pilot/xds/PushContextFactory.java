package io.jistiod.pilot.xds;

import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.push.PushRequest;
import java.util.Optional;

/** Builds the next push context from the current sources. */
@FunctionalInterface
public interface PushContextFactory {

  /**
   * @param previous the context in use, or null at startup; parts a change cannot affect may be
   *     reused from it
   */
  PushContext build(PushContext previous, PushRequest request);

  /** The locality the service registries know for the proxy's workload, if any. */
  default Optional<Locality> workloadLocality(Proxy proxy) {
    return Optional.empty();
  }
}

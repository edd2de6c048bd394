package io.jistiod.pilot.xds;

import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.push.PushRequest;

/** Builds the next push context from the current sources. */
@FunctionalInterface
public interface PushContextFactory {

  /**
   * @param previous the context in use, or null at startup; parts a change cannot affect may be
   *     reused from it
   */
  PushContext build(PushContext previous, PushRequest request);
}

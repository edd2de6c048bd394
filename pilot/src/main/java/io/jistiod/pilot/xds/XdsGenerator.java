package io.jistiod.pilot.xds;

import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import java.util.List;
import java.util.Set;

/**
 * Builds the resources of one type for one proxy. A pure function of its arguments: no I/O, no
 * clock, no state, so it can run on any thread and be tested on its own.
 */
@FunctionalInterface
public interface XdsGenerator {

  /**
   * @param names the names the proxy subscribed to; empty for a wildcard subscription
   * @return the resources, each at most once; names the generator cannot build are left out
   */
  List<XdsResource> generate(Proxy proxy, PushContext push, Set<String> names);
}

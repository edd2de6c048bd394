package io.jistiod.pilot.xds;

import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import java.util.Map;
import java.util.Set;

/** One ADS stream of a proxy, state-of-the-world or delta, as the push machinery sees it. */
interface ProxyConnection {

  String id();

  Proxy proxy();

  /** Pushes every watched type, in push order, whose content changed. */
  void push(PushContext push);

  void close();

  /** Type URL to subscribed names, for debug endpoints. */
  Map<String, Set<String>> watchedNames();
}

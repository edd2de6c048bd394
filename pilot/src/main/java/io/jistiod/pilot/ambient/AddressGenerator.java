package io.jistiod.pilot.ambient;

import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.xds.XdsGenerator;
import io.jistiod.pilot.xds.XdsResource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code istio.workload.Address} for ztunnel: every workload and service for a wildcard
 * subscription, else what each subscribed name looks up to (a uid, a {@code network/IP}, a service
 * and its workloads: on-demand ztunnel). The same for every proxy: ztunnel sees the whole mesh.
 */
public final class AddressGenerator implements XdsGenerator {
  @Override
  public List<XdsResource> generate(Proxy proxy, PushContext push, Set<String> names) {
    AddressIndex index = push.addresses();
    if (names.isEmpty()) {
      return index.all();
    }
    Map<String, XdsResource> out = new LinkedHashMap<>();
    for (String name : names) {
      for (XdsResource r : index.lookup(name)) {
        out.putIfAbsent(r.name(), r);
      }
    }
    return new ArrayList<>(out.values());
  }
}

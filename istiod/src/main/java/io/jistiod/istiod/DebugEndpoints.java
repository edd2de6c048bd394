package io.jistiod.istiod;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jistiod.galley.config.ConfigKey;
import io.jistiod.galley.config.MemoryConfigStore;
import io.jistiod.istiod.http.HttpEndpoints;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.xds.DiscoveryServer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The {@code /debug/*} endpoints istiod serves on 8080 and 15014. */
final class DebugEndpoints {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final DiscoveryServer discovery;
  private final MemoryConfigStore store;

  DebugEndpoints(DiscoveryServer discovery, MemoryConfigStore store) {
    this.discovery = discovery;
    this.store = store;
  }

  void register(HttpEndpoints server) {
    server
        .text("/debug/connections", "application/json", () -> json(connections()))
        .text("/debug/configz", "application/json", () -> json(configs()))
        .text("/debug/registryz", "application/json", () -> json(services()));
  }

  private Object connections() {
    List<Map<String, Object>> out = new ArrayList<>();
    discovery
        .connectionsSnapshot()
        .forEach(
            (id, watched) -> {
              Map<String, Object> m = new LinkedHashMap<>();
              m.put("connectionId", id);
              m.put("watches", watched);
              out.add(m);
            });
    return out;
  }

  private Object configs() {
    List<String> out = new ArrayList<>();
    for (ConfigKey k : store.keys()) {
      out.add(k.toString());
    }
    return out;
  }

  private Object services() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Service s : discovery.current().services()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("hostname", s.hostname());
      m.put("namespace", s.namespace());
      m.put("ports", s.ports());
      m.put("addresses", s.addresses());
      m.put("resolution", s.resolution());
      out.add(m);
    }
    return out;
  }

  private static HttpEndpoints.Response json(Object o) {
    try {
      return HttpEndpoints.Response.ok(JSON.writeValueAsString(o) + "\n");
    } catch (JsonProcessingException e) {
      return new HttpEndpoints.Response(500, e.getMessage());
    }
  }
}

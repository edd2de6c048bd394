package io.jistiod.injector.template;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Istio's appendMultusNetwork: adds the istio-cni network to a Multus networks annotation. */
final class MultusNetworks {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private MultusNetworks() {}

  static String append(String existing, String istioCni) {
    if (existing.isEmpty()) {
      return istioCni;
    }
    int i = existing.lastIndexOf(']');
    if (i != -1) {
      JsonNode networks;
      try {
        networks = MAPPER.readTree(existing);
      } catch (Exception e) {
        return existing;
      }
      if (networks == null || !networks.isArray()) {
        return existing;
      }
      int slash = istioCni.indexOf('/');
      String ns = slash < 0 ? "" : istioCni.substring(0, slash);
      String name = slash < 0 ? istioCni : istioCni.substring(slash + 1);
      for (JsonNode net : networks) {
        if (!net.isObject()) {
          return existing;
        }
        JsonNode n = net.get("name");
        if (n != null && n.isTextual() && n.asText().equals(name)) {
          JsonNode nsNode = net.get("namespace");
          String netNs =
              nsNode == null || nsNode.isNull() ? "" : nsNode.isTextual() ? nsNode.asText() : null;
          if (ns.equals(netNs)) {
            return existing;
          }
        }
      }
      String add =
          ns.isEmpty()
              ? ", {\"name\": \"" + name + "\"}"
              : ", {\"name\": \"" + name + "\", \"namespace\": \"" + ns + "\"}";
      return existing.substring(0, i) + add + existing.substring(i);
    }
    for (String net : existing.split(",", -1)) {
      if (net.strip().equals(istioCni)) {
        return existing;
      }
    }
    return existing + ", " + istioCni;
  }
}

package io.jistiod.pilot.envoy.golden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.jistiod.pilot.gatewayapi.GatewayApiOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A scenario's istiod feature flags: its optional {@code env.yaml}, a map of environment variable
 * names to string values that both servers of the side-by-side test get. In-process generation can
 * only honour the flags listed in {@link #SUPPORTED}; any other name fails the scenario, so a
 * golden file is never written for a flag that was silently ignored.
 */
record ScenarioEnv(Map<String, String> vars) {
  /** The flags this test knows how to apply to the in-process push context. */
  static final Set<String> SUPPORTED =
      Set.of(
          "PILOT_ENABLE_ALPHA_GATEWAY_API",
          "PILOT_ENABLE_AMBIENT",
          // status writing only: nothing is written in process, so it changes no config
          "PILOT_ENABLE_GATEWAY_API_STATUS");

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  ScenarioEnv {
    vars = Map.copyOf(vars);
  }

  static ScenarioEnv load(Path file) throws IOException {
    if (!Files.exists(file)) {
      return new ScenarioEnv(Map.of());
    }
    JsonNode root = YAML.readTree(Files.readString(file));
    if (root == null || root.isNull() || root.isMissingNode()) {
      return new ScenarioEnv(Map.of());
    }
    if (!root.isObject()) {
      throw new IllegalStateException(file + ": expected a map of environment variables");
    }
    Map<String, String> vars = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isTextual()) {
        throw new IllegalStateException(
            file + ": " + e.getKey() + ": the value must be a quoted string, as in a pod's env");
      }
      if (!SUPPORTED.contains(e.getKey())) {
        throw new IllegalStateException(
            file + ": " + e.getKey() + " is not a flag GoldenScenarioTest can apply " + SUPPORTED);
      }
      vars.put(e.getKey(), e.getValue().asText());
    }
    ScenarioEnv env = new ScenarioEnv(vars);
    // unreadable values fail now, naming the file
    env.alphaGatewayApi();
    env.ambient();
    env.bool("PILOT_ENABLE_GATEWAY_API_STATUS", true);
    return env;
  }

  /** PILOT_ENABLE_ALPHA_GATEWAY_API (default false). */
  boolean alphaGatewayApi() {
    return bool("PILOT_ENABLE_ALPHA_GATEWAY_API", false);
  }

  /** PILOT_ENABLE_AMBIENT (default false): the workload API and sidecar/gateway interop. */
  boolean ambient() {
    return bool("PILOT_ENABLE_AMBIENT", false);
  }

  /** {@code defaults} with the scenario's Gateway API flags. */
  GatewayApiOptions gatewayApiOptions(GatewayApiOptions defaults) {
    return new GatewayApiOptions(
        defaults.domainSuffix(),
        alphaGatewayApi(),
        defaults.inferencePools(),
        defaults.remoteClass(),
        defaults.waypointClass(),
        defaults.eastWestClass(),
        defaults.manualDeployment(),
        defaults.mcsHost());
  }

  /** A boolean as istiod parses one (Go's strconv.ParseBool); anything else is an error here. */
  private boolean bool(String name, boolean fallback) {
    String v = vars.get(name);
    if (v == null || v.isEmpty()) {
      return fallback;
    }
    return switch (v) {
      case "1", "t", "T", "TRUE", "true", "True" -> true;
      case "0", "f", "F", "FALSE", "false", "False" -> false;
      default ->
          throw new IllegalStateException("env.yaml: " + name + ": \"" + v + "\" is not a boolean");
    };
  }
}

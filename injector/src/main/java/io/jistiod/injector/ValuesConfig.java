package io.jistiod.injector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.jistiod.galley.parse.KubeYaml;
import io.jistiod.galley.parse.YamlException;
import java.math.BigDecimal;

/**
 * The {@code values} key of the {@code istio-sidecar-injector} ConfigMap: the Helm values the
 * templates read as {@code .Values}, and the few fields istiod itself reads from them.
 */
public final class ValuesConfig {
  private final String raw;
  private final JsonNode json;

  private ValuesConfig(String raw, JsonNode json) {
    this.raw = raw;
    this.json = json;
  }

  /** Parses {@code text} (JSON or YAML). */
  public static ValuesConfig parse(String text) throws InjectionConfigException {
    JsonNode json;
    try {
      json = KubeYaml.read(text == null ? "" : text);
    } catch (YamlException e) {
      throw new InjectionConfigException("could not parse configuration values: " + e.getMessage());
    }
    if (json == null || json.isNull() || json.isMissingNode()) {
      json = JsonNodeFactory.instance.objectNode();
    }
    if (!json.isObject()) {
      throw new InjectionConfigException(
          "could not parse configuration values: expected a mapping of values");
    }
    return new ValuesConfig(text, json);
  }

  public static ValuesConfig empty() {
    return new ValuesConfig("{}", JsonNodeFactory.instance.objectNode());
  }

  public String raw() {
    return raw;
  }

  public JsonNode json() {
    return json;
  }

  JsonNode global() {
    return json.path("global");
  }

  String hub() {
    return global().path("hub").asText("");
  }

  /** {@code global.tag} as Go prints it with {@code %v} (a number stays a number). */
  String tag() {
    JsonNode t = global().path("tag");
    if (t.isMissingNode() || t.isNull()) {
      return "";
    }
    if (t.isNumber()) {
      BigDecimal d = t.decimalValue().stripTrailingZeros();
      return d.scale() <= 0 ? d.toBigInteger().toString() : d.toPlainString();
    }
    return t.asText();
  }

  String variant() {
    return global().path("variant").asText("");
  }

  String proxyImage() {
    return global().path("proxy").path("image").asText("");
  }

  String clusterName() {
    return global().path("multiCluster").path("clusterName").asText("");
  }

  String network() {
    return global().path("network").asText("");
  }

  boolean holdApplicationUntilProxyStarts() {
    return global().path("proxy").path("holdApplicationUntilProxyStarts").asBoolean(false);
  }

  boolean rewriteAppHttpProbe() {
    return json.path("sidecarInjectorWebhook").path("rewriteAppHTTPProbe").asBoolean(false);
  }
}

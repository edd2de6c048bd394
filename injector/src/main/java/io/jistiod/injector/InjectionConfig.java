package io.jistiod.injector;

import com.fasterxml.jackson.databind.JsonNode;
import io.jistiod.galley.parse.KubeYaml;
import io.jistiod.galley.parse.YamlException;
import io.jistiod.injector.template.GoFunction;
import io.jistiod.injector.template.GoTemplate;
import io.jistiod.injector.template.TemplateException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code config} key of the {@code istio-sidecar-injector} ConfigMap, read as istiod reads it
 * (non-strict YAML into its Config struct: unknown keys ignored, a wrong type is an error), with
 * every template parsed once.
 *
 * @param policy {@code enabled} or {@code disabled}; anything else injects nothing
 * @param defaultTemplates the templates of a pod that names none; {@code [sidecar]} if unset
 * @param rawTemplates template source by name
 * @param templates the parsed templates by name
 */
public record InjectionConfig(
    String policy,
    List<String> defaultTemplates,
    Map<String, String> rawTemplates,
    Map<String, List<String>> aliases,
    List<JsonNode> neverInjectSelector,
    List<JsonNode> alwaysInjectSelector,
    Map<String, String> injectedAnnotations,
    Map<String, InjectionTemplate> templates) {

  private static final Logger log = LoggerFactory.getLogger(InjectionConfig.class);

  public static final String SIDECAR_TEMPLATE = "sidecar";

  /** Parses {@code yaml} with the Go template engine and {@code functions}. */
  public static InjectionConfig parse(String yaml, Map<String, GoFunction> functions)
      throws InjectionConfigException {
    return parse(
        yaml,
        (name, text) -> {
          GoTemplate t = GoTemplate.parse(name, text, functions);
          return t::execute;
        });
  }

  /** How a template's source becomes an {@link InjectionTemplate}. */
  @FunctionalInterface
  public interface TemplateParser {
    InjectionTemplate parse(String name, String text) throws TemplateException;
  }

  public static InjectionConfig parse(String yaml, TemplateParser parser)
      throws InjectionConfigException {
    JsonNode json;
    try {
      json = KubeYaml.read(yaml == null ? "" : yaml);
    } catch (YamlException e) {
      throw new InjectionConfigException(
          "failed to unmarshal injection template: " + e.getMessage());
    }
    if (json == null || json.isNull() || json.isMissingNode()) {
      json = com.fasterxml.jackson.databind.node.NullNode.getInstance();
    } else if (!json.isObject()) {
      throw new InjectionConfigException(
          "failed to unmarshal injection template: expected a mapping, got " + kind(json));
    }
    String policy = string(json, "policy");
    List<String> defaults = strings(json.path("defaultTemplates"), "defaultTemplates");
    if (defaults.isEmpty()) {
      defaults = List.of(SIDECAR_TEMPLATE);
    }
    Map<String, String> raw = stringMap(json.path("templates"), "templates");
    Map<String, List<String>> aliases = new LinkedHashMap<>();
    JsonNode a = json.path("aliases");
    if (!a.isMissingNode() && !a.isNull()) {
      if (!a.isObject()) {
        throw typeError("aliases", "map[string][]string", a);
      }
      for (var it = a.fields(); it.hasNext(); ) {
        var e = it.next();
        aliases.put(e.getKey(), strings(e.getValue(), "aliases." + e.getKey()));
      }
    }
    List<JsonNode> never = selectors(json.path("neverInjectSelector"), "neverInjectSelector");
    List<JsonNode> always = selectors(json.path("alwaysInjectSelector"), "alwaysInjectSelector");
    Map<String, String> injected =
        stringMap(json.path("injectedAnnotations"), "injectedAnnotations");
    if (raw.isEmpty()) {
      log.warn(
          "injection templates are empty. This may be caused by using an injection template from an"
              + " older version of Istio.");
    }
    Map<String, InjectionTemplate> templates = new TreeMap<>();
    for (var e : new TreeMap<>(raw).entrySet()) {
      try {
        templates.put(e.getKey(), parser.parse(e.getKey(), e.getValue()));
      } catch (TemplateException ex) {
        throw new InjectionConfigException(
            "template " + e.getKey() + " does not parse: " + ex.getMessage());
      }
    }
    return new InjectionConfig(
        policy,
        List.copyOf(defaults),
        Collections.unmodifiableMap(raw),
        Collections.unmodifiableMap(aliases),
        never,
        always,
        Collections.unmodifiableMap(injected),
        Collections.unmodifiableMap(templates));
  }

  private static String string(JsonNode json, String field) throws InjectionConfigException {
    JsonNode v = json.path(field);
    if (v.isMissingNode() || v.isNull()) {
      return "";
    }
    if (!v.isTextual()) {
      throw typeError(field, "string", v);
    }
    return v.asText();
  }

  private static List<String> strings(JsonNode v, String field) throws InjectionConfigException {
    List<String> out = new ArrayList<>();
    if (v.isMissingNode() || v.isNull()) {
      return out;
    }
    if (!v.isArray()) {
      throw typeError(field, "[]string", v);
    }
    for (JsonNode e : v) {
      if (!e.isTextual()) {
        throw typeError(field, "string", e);
      }
      out.add(e.asText());
    }
    return out;
  }

  private static Map<String, String> stringMap(JsonNode v, String field)
      throws InjectionConfigException {
    Map<String, String> out = new LinkedHashMap<>();
    if (v.isMissingNode() || v.isNull()) {
      return out;
    }
    if (!v.isObject()) {
      throw typeError(field, "map[string]string", v);
    }
    for (var it = v.fields(); it.hasNext(); ) {
      var e = it.next();
      if (e.getValue().isNull()) {
        out.put(e.getKey(), "");
      } else if (!e.getValue().isTextual()) {
        throw typeError(field + "." + e.getKey(), "string", e.getValue());
      } else {
        out.put(e.getKey(), e.getValue().asText());
      }
    }
    return out;
  }

  private static List<JsonNode> selectors(JsonNode v, String field)
      throws InjectionConfigException {
    List<JsonNode> out = new ArrayList<>();
    if (v.isMissingNode() || v.isNull()) {
      return out;
    }
    if (!v.isArray()) {
      throw typeError(field, "[]LabelSelector", v);
    }
    for (JsonNode e : v) {
      if (!e.isObject() && !e.isNull()) {
        throw typeError(field, "LabelSelector", e);
      }
      out.add(e);
    }
    return List.copyOf(out);
  }

  private static InjectionConfigException typeError(String field, String want, JsonNode got) {
    return new InjectionConfigException(
        "failed to unmarshal injection template: field "
            + field
            + ": cannot unmarshal "
            + kind(got)
            + " into Go value of type "
            + want);
  }

  private static String kind(JsonNode n) {
    if (n.isObject()) {
      return "object";
    }
    if (n.isArray()) {
      return "array";
    }
    if (n.isNumber()) {
      return "number";
    }
    if (n.isBoolean()) {
      return "bool";
    }
    return "string";
  }
}

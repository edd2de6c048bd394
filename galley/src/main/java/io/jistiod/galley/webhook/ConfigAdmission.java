package io.jistiod.galley.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jistiod.galley.analysis.Analysis;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.ConfigKind;
import io.jistiod.galley.parse.ConfigError;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.galley.parse.ParseResult;
import io.jistiod.galley.schema.CrdSchemaValidator;
import io.jistiod.galley.schema.FieldError;
import io.jistiod.galley.validation.ConfigValidator;
import io.jistiod.galley.validation.Deadline;
import io.jistiod.galley.validation.ValidationMessage;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Decides about one Kubernetes object the way Istio's validation webhook does, in Istio's order:
 * decode, find the kind (by group and kind; the version does not matter, so a version this istiod
 * does not know yet is still validated), convert the spec, validate, then refuse unknown top-level
 * fields. An object Istio's validation admits is then checked against the kind's CRD schema, as the
 * API server does before it calls the webhook, so the verdict is a cluster's; what Istio's
 * validation refuses keeps Istio's message and reason. Shared by the webhook and {@code istiod
 * validate}, so both say the same thing.
 *
 * <p>With an {@link Analysis} (the webhook in Kubernetes mode), an admitted object is also analyzed
 * against the current config and the registries, and the findings are added to its warnings; an
 * analysis never denies. Without one ({@code istiod validate}) only the object itself is judged.
 *
 * <p>Thread-safe; no I/O, no clock (an analysis reads only in-memory stores).
 */
public final class ConfigAdmission {
  /** Objects carrying this annotation are always denied: istiod's webhook readiness check. */
  public static final String ALWAYS_REJECT = "internal.istio.io/webhook-always-reject";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> TOP_LEVEL_FIELDS =
      Set.of("apiVersion", "kind", "metadata", "spec", "status");

  private final List<ConfigKind> kinds;
  private final ConfigParser parser;
  private final ConfigValidator validator;
  private final Analysis analysis;
  private final CrdSchemaValidator crdSchema = new CrdSchemaValidator();

  public ConfigAdmission(Collection<ConfigKind> kinds, ConfigValidator validator) {
    this(kinds, validator, null);
  }

  /**
   * @param analysis cross-object analyzers whose findings become warnings; null for none
   */
  public ConfigAdmission(
      Collection<ConfigKind> kinds, ConfigValidator validator, Analysis analysis) {
    this.kinds = List.copyOf(kinds);
    this.parser = new ConfigParser(this.kinds, "default");
    this.validator = Objects.requireNonNull(validator, "validator");
    this.analysis = analysis;
  }

  /**
   * The verdict on {@code object}.
   *
   * @param namespace used when the object names none (the request's namespace)
   * @param name used when the object names none (the request's name)
   */
  public Verdict check(JsonNode object, String namespace, String name) {
    String problem = decodeProblem(object);
    if (problem != null) {
      return Verdict.deny(Verdict.YAML_DECODE_ERROR, "cannot decode configuration: " + problem);
    }
    String apiVersion = object.path("apiVersion").asText("");
    String kindName = object.path("kind").asText("");
    Optional<ConfigKind> kind = findKind(apiVersion, kindName);
    if (kind.isEmpty()) {
      return Verdict.deny(
          Verdict.UNKNOWN_TYPE, "unrecognized type " + gvkString(apiVersion, kindName));
    }

    ObjectNode doc = JSON.createObjectNode();
    doc.put("apiVersion", kind.get().apiVersion());
    doc.put("kind", kind.get().kind());
    ObjectNode metadata =
        object.path("metadata").isObject()
            ? ((ObjectNode) object.get("metadata")).deepCopy()
            : JSON.createObjectNode();
    if (metadata.path("name").asText("").isEmpty() && name != null && !name.isEmpty()) {
      metadata.put("name", name);
    }
    if (metadata.path("namespace").asText("").isEmpty()) {
      metadata.put("namespace", namespace == null || namespace.isEmpty() ? "default" : namespace);
    }
    doc.set("metadata", metadata);
    if (object.has("spec")) {
      doc.set("spec", object.get("spec"));
    }
    ParseResult parsed = parser.parse(doc, "admission request");
    if (!parsed.errors().isEmpty() || parsed.configs().size() != 1) {
      return Verdict.deny(
          Verdict.CRD_CONVERSION_ERROR,
          "error decoding configuration: " + conversionErrors(parsed.errors()));
    }
    Config config = parsed.configs().get(0);

    if (config.meta().annotations().containsKey(ALWAYS_REJECT)) {
      return Verdict.deny(
          Verdict.INVALID_RESOURCE,
          "configuration is invalid: \"" + ALWAYS_REJECT + "\" annotation found, rejecting");
    }
    List<ValidationMessage> findings;
    try {
      findings = validator.validate(config);
    } catch (Deadline.Exceeded e) {
      throw e;
    } catch (RuntimeException e) {
      // A validator bug must deny this object, never admit it unchecked or fail the request.
      return Verdict.deny(
          Verdict.INVALID_RESOURCE, "configuration is invalid: validation failed: " + e);
    }
    List<String> errors = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    for (ValidationMessage m : findings) {
      (m.isError() ? errors : warnings).add(m.toString());
    }
    if (!errors.isEmpty()) {
      return Verdict.deny(
          Verdict.INVALID_RESOURCE, "configuration is invalid: " + String.join("; ", errors));
    }

    Iterator<String> fields = object.fieldNames();
    while (fields.hasNext()) {
      String field = fields.next();
      if (!TOP_LEVEL_FIELDS.contains(field)) {
        return Verdict.deny(
            Verdict.INVALID_RESOURCE,
            "unknown field \""
                + field
                + "\" on "
                + config.meta().kind().kind()
                + " resource "
                + config.namespace()
                + "/"
                + config.name());
      }
    }
    Verdict schemaDenial = crdSchemaDenial(kind.get(), object, name);
    if (schemaDenial != null) {
      return schemaDenial;
    }
    if (analysis != null) {
      analysis.analyze(config).forEach(m -> warnings.add(m.toString()));
    }
    return Verdict.allow(warnings);
  }

  /**
   * The API server checks an object against the CRD schema (OpenAPI keywords and CEL rules) before
   * it calls this webhook; doing the same here makes a dry run and {@code istiod validate} deny
   * what a cluster with our {@code crds/} denies, with the API server's message. Null when the
   * schema holds.
   */
  private Verdict crdSchemaDenial(ConfigKind kind, JsonNode object, String requestName) {
    List<FieldError> errors = crdSchema.validate(kind, object);
    if (errors.isEmpty()) {
      return null;
    }
    String objectName = object.path("metadata").path("name").asText("");
    return Verdict.deny(
        Verdict.INVALID_RESOURCE,
        CrdSchemaValidator.invalidMessage(
            kind, objectName.isEmpty() && requestName != null ? requestName : objectName, errors));
  }

  /** Whether {@code group/version} and {@code kind} name one of this istiod's kinds. */
  public Optional<ConfigKind> findKind(String apiVersion, String kindName) {
    String group = groupOf(apiVersion);
    for (ConfigKind k : kinds) {
      if (k.group().equals(group) && k.kind().equals(kindName)) {
        return Optional.of(k);
      }
    }
    return Optional.empty();
  }

  /** Whether {@code apiVersion} is in one of the API groups of this istiod's kinds. */
  public boolean isIstioGroup(String apiVersion) {
    String group = groupOf(apiVersion);
    return kinds.stream().anyMatch(k -> k.group().equals(group));
  }

  /** What Go's json.Unmarshal into Istio's IstioKind would refuse. */
  private static String decodeProblem(JsonNode object) {
    if (object == null || !object.isObject()) {
      return "expected a Kubernetes object, got "
          + (object == null ? "nothing" : object.getNodeType().toString().toLowerCase(Locale.ROOT));
    }
    for (String field : List.of("apiVersion", "kind")) {
      JsonNode v = object.get(field);
      if (v != null && !v.isNull() && !v.isTextual()) {
        return field + ": expected a string";
      }
    }
    for (String field : List.of("metadata", "spec")) {
      JsonNode v = object.get(field);
      if (v != null && !v.isNull() && !v.isObject()) {
        return field + ": expected an object";
      }
    }
    return null;
  }

  private static String conversionErrors(List<ConfigError> errors) {
    if (errors.isEmpty()) {
      return "no object";
    }
    return errors.stream()
        .map(e -> e.field().isEmpty() ? e.message() : e.field() + ": " + e.message())
        .collect(Collectors.joining("; "));
  }

  private static String groupOf(String apiVersion) {
    int slash = apiVersion.indexOf('/');
    return slash < 0 ? "" : apiVersion.substring(0, slash);
  }

  /** Go's {@code schema.GroupVersionKind.String()}: {@code group/version, Kind=kind}. */
  private static String gvkString(String apiVersion, String kind) {
    int slash = apiVersion.indexOf('/');
    String group = slash < 0 ? "" : apiVersion.substring(0, slash);
    String version = slash < 0 ? apiVersion : apiVersion.substring(slash + 1);
    return group + "/" + version + ", Kind=" + kind;
  }
}

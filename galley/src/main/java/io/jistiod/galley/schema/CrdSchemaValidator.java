package io.jistiod.galley.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jistiod.galley.config.ConfigKind;
import io.jistiod.galley.crd.CrdGenerator;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the API server enforces on an Istio object from our CRD's schema ({@link CrdGenerator}, the
 * same schema {@code crds/} installs), before it calls the validation webhook: the OpenAPI keywords
 * ({@link OpenApiValidator}), then, unless one of those findings blocks them (as the API server's
 * {@code hasBlockingErr}), the CEL rules ({@link CelValidation}).
 *
 * <p>Lets {@code istiod validate} and a direct webhook call give the verdict a real cluster gives.
 * Thread-safe; schemas are built once per kind.
 */
public final class CrdSchemaValidator {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> OBJECT_FIELDS = Set.of("apiVersion", "kind", "metadata");

  private final Map<String, JsonNode> schemas = new ConcurrentHashMap<>();
  private final OpenApiValidator openApi = new OpenApiValidator();
  private final CelValidation rules = new CelValidation(new KubernetesCel());

  /** The findings on {@code object} (a whole Kubernetes object) of {@code kind}; empty if valid. */
  public List<FieldError> validate(ConfigKind kind, JsonNode object) {
    JsonNode schema =
        schemas.computeIfAbsent(
            kind.group() + "/" + kind.kind(),
            k -> JSON.valueToTree(CrdGenerator.openApiSchema(kind)));
    JsonNode body = object;
    if (object != null && object.isObject()) {
      // apiVersion, kind and metadata are checked by the API server itself, not by the schema.
      ObjectNode copy = ((ObjectNode) object).deepCopy();
      copy.remove(OBJECT_FIELDS);
      pruneNulls(copy, schema);
      body = copy;
    }
    // The API server checks the object's metadata itself, then the schema; one answer lists both.
    List<FieldError> errors =
        new ArrayList<>(
            ObjectMetaValidator.validate(object == null ? null : object.get("metadata")));
    errors.addAll(openApi.validate(body, schema, ""));
    if (errors.stream().anyMatch(e -> e.type().blocksRules() && e.path().startsWith("spec"))) {
      errors.add(
          new FieldError(
              FieldError.Type.INVALID,
              "<nil>",
              null,
              "some validation rules were not checked because the object was invalid; correct"
                  + " the existing errors to complete validation"));
    } else {
      errors.addAll(rules.validate(body, schema, ""));
    }
    return errors;
  }

  /**
   * Drops null values of object properties whose schema is not nullable, as the API server does
   * when it decodes an object (before validation); array items are kept.
   */
  private static void pruneNulls(JsonNode node, JsonNode schema) {
    if (schema == null) {
      return;
    }
    if (node.isObject()) {
      java.util.Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> f = fields.next();
        JsonNode propSchema = schema.path("properties").get(f.getKey());
        if (propSchema == null && schema.path("additionalProperties").isObject()) {
          propSchema = schema.get("additionalProperties");
        }
        if (f.getValue().isNull()) {
          if (propSchema != null && !propSchema.path("nullable").asBoolean(false)) {
            fields.remove();
          }
        } else {
          pruneNulls(f.getValue(), propSchema);
        }
      }
    } else if (node.isArray()) {
      for (JsonNode item : node) {
        pruneNulls(item, schema.get("items"));
      }
    }
  }

  /**
   * The API server's answer for an object with {@code errors}: {@code <Kind>.<group> "<name>" is
   * invalid: <error>} or, for several, {@code [<error>, <error>]} (duplicates once).
   */
  public static String invalidMessage(ConfigKind kind, String name, List<FieldError> errors) {
    Set<String> texts = new LinkedHashSet<>();
    errors.forEach(e -> texts.add(e.toString()));
    String all = texts.size() == 1 ? texts.iterator().next() : "[" + String.join(", ", texts) + "]";
    return kind.kind() + "." + kind.group() + " " + FieldError.quote(name) + " is invalid: " + all;
  }
}

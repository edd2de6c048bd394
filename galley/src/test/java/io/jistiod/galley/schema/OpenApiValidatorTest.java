package io.jistiod.galley.schema;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each OpenAPI keyword on its own, with the API server's wording. */
class OpenApiValidatorTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private final OpenApiValidator validator = new OpenApiValidator();

  private List<String> errors(String schema, String value) throws Exception {
    JsonNode s = YAML.readTree(schema);
    JsonNode v = YAML.readTree(value);
    return validator.validate(v, s, "spec.f").stream().map(FieldError::toString).toList();
  }

  @Test
  void type() throws Exception {
    assertThat(errors("{type: integer}", "abc"))
        .containsExactly(
            "spec.f: Invalid value: \"string\": spec.f in body must be of type integer: \"string\"");
    assertThat(errors("{type: integer}", "3")).isEmpty();
    assertThat(errors("{type: integer}", "3.0")).isEmpty();
    assertThat(errors("{type: integer}", "3.5")).hasSize(1);
    assertThat(errors("{type: string}", "{a: 1}")).singleElement().asString().contains("object");
    assertThat(errors("{type: boolean}", "\"true\"")).hasSize(1);
    assertThat(errors("{type: string}", "null")).singleElement().asString().contains("\"null\"");
    assertThat(errors("{type: string, nullable: true}", "null")).isEmpty();
  }

  @Test
  void intOrStringAndPreserveUnknown() throws Exception {
    String ios = "{x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: string}]}";
    assertThat(errors(ios, "8080")).isEmpty();
    assertThat(errors(ios, "http")).isEmpty();
    assertThat(errors(ios, "true")).hasSize(1);
    assertThat(errors("{type: object, x-kubernetes-preserve-unknown-fields: true}", "{a: {b: 1}}"))
        .isEmpty();
  }

  @Test
  void enumIsUnsupportedValue() throws Exception {
    assertThat(errors("{type: string, enum: [A, B]}", "C"))
        .containsExactly("spec.f: Unsupported value: \"C\": supported values: \"A\", \"B\"");
    assertThat(errors("{type: string, enum: [A, B]}", "B")).isEmpty();
  }

  @Test
  void stringLengthsInCharactersAndPattern() throws Exception {
    assertThat(errors("{type: string, maxLength: 3}", "abcd"))
        .containsExactly("spec.f: Too long: may not be more than 3 bytes");
    assertThat(errors("{type: string, maxLength: 3}", "äöü")).isEmpty();
    assertThat(errors("{type: string, minLength: 1}", "\"\""))
        .containsExactly(
            "spec.f: Invalid value: \"\": spec.f in body should be at least 1 chars long");
    assertThat(errors("{type: string, pattern: '^[a-z]+$'}", "Ab"))
        .containsExactly("spec.f: Invalid value: \"Ab\": spec.f in body should match '^[a-z]+$'");
    // Unanchored, as Go's MatchString.
    assertThat(errors("{type: string, pattern: '[0-9]'}", "a1b")).isEmpty();
  }

  @Test
  void itemsAndProperties() throws Exception {
    assertThat(errors("{type: array, maxItems: 2, items: {type: string}}", "[a, b, c]"))
        .containsExactly("spec.f: Too many: 3: must have at most 2 items");
    assertThat(errors("{type: array, minItems: 1, items: {type: string}}", "[]"))
        .containsExactly("spec.f: Invalid value: 0: spec.f in body should have at least 1 items");
    assertThat(errors("{type: array, items: {type: integer}}", "[1, x]"))
        .singleElement()
        .asString()
        .startsWith("spec.f[1]: Invalid value: \"string\"");
    String map = "{type: object, additionalProperties: {type: string, maxLength: 1}}";
    assertThat(
            errors(
                "{type: object, maxProperties: 1, additionalProperties: {type: string}}",
                "{a: x, b: y}"))
        .containsExactly("spec.f: Too many: 2: must have at most 1 items");
    assertThat(errors("{type: object, minProperties: 1}", "{}"))
        .containsExactly(
            "spec.f: Invalid value: 0: spec.f in body should have at least 1 properties");
    assertThat(errors(map, "{k: long}"))
        .containsExactly("spec.f.k: Too long: may not be more than 1 bytes");
  }

  @Test
  void numericBounds() throws Exception {
    assertThat(errors("{type: integer, minimum: 1}", "0"))
        .containsExactly(
            "spec.f: Invalid value: 0: spec.f in body should be greater than or equal to 1");
    assertThat(errors("{type: integer, maximum: 4294967295}", "4294967296"))
        .containsExactly(
            "spec.f: Invalid value: 4294967296: spec.f in body should be less than or equal to"
                + " 4.294967295e+09");
    assertThat(errors("{type: number, maximum: 100}", "100")).isEmpty();
    assertThat(errors("{type: number, maximum: 100, exclusiveMaximum: true}", "100"))
        .containsExactly("spec.f: Invalid value: 100: spec.f in body should be less than 100");
    assertThat(errors("{type: number, minimum: 0, exclusiveMinimum: true}", "0"))
        .containsExactly("spec.f: Invalid value: 0: spec.f in body should be greater than 0");
  }

  @Test
  void requiredAndUnknownFields() throws Exception {
    String s = "{type: object, required: [host], properties: {host: {type: string}}}";
    assertThat(errors(s, "{other: 1}")).containsExactly("spec.f.host: Required value");
    assertThat(errors(s, "{host: a, other: 1}")).as("unknown fields are pruned").isEmpty();
  }

  @Test
  void oneOfAnyOfAllOfNot() throws Exception {
    String oneof =
        "{type: object, properties: {a: {type: string}, b: {type: string}}, oneOf: [{not: {anyOf:"
            + " [{required: [a]}, {required: [b]}]}}, {required: [a]}, {required: [b]}]}";
    assertThat(errors(oneof, "{}")).isEmpty();
    assertThat(errors(oneof, "{a: x}")).isEmpty();
    assertThat(errors(oneof, "{a: x, b: y}"))
        .containsExactly(
            "<nil>: Invalid value: \"\": \"spec.f\" must validate one and only one schema (oneOf)."
                + " Found 2 valid alternatives");
    assertThat(errors("{type: object, anyOf: [{required: [a]}, {required: [b]}]}", "{c: 1}"))
        .containsExactly(
            "<nil>: Invalid value: \"\": \"spec.f\" must validate at least one schema (anyOf)");
    assertThat(errors("{type: object, not: {required: [a]}}", "{a: 1}"))
        .containsExactly(
            "<nil>: Invalid value: \"\": \"spec.f\" must not validate the schema (not)");
    assertThat(errors("{type: object, allOf: [{required: [a]}, {required: [b]}]}", "{a: 1}"))
        .containsExactly(
            "<nil>: Invalid value: \"\": \"spec.f\" must validate all the schemas (allOf)");
  }

  @Test
  void listMapKeysAreUnique() throws Exception {
    String s =
        "{type: array, x-kubernetes-list-type: map, x-kubernetes-list-map-keys: [name], items:"
            + " {type: object, properties: {name: {type: string}}}}";
    assertThat(errors(s, "[{name: a}, {name: b}]")).isEmpty();
    assertThat(errors(s, "[{name: a}, {name: a}]"))
        .containsExactly("spec.f[1]: Duplicate value: map[string]interface {}{\"name\":\"a\"}");
  }
}

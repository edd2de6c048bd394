package io.jistiod.galley.schema;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.jistiod.galley.config.IstioKinds;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The API server's metadata checks on a custom resource, as part of the verdict the CRD schema
 * validator gives (Istio's own test data has objects named {@code BACKEND} that only these refuse).
 */
class ObjectMetaValidatorTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private final CrdSchemaValidator validator = new CrdSchemaValidator();

  private List<String> errors(String metadata) throws Exception {
    String doc =
        "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: "
            + metadata
            + "\nspec: {hosts: [a.example.com], resolution: DNS}";
    return validator.validate(IstioKinds.SERVICE_ENTRY, YAML.readTree(doc)).stream()
        .map(FieldError::toString)
        .toList();
  }

  @Test
  void lowerCaseNamesAndNamespacesPass() throws Exception {
    assertThat(errors("{name: backend.v1, namespace: prod-1}")).isEmpty();
    assertThat(
            errors(
                "{name: a, labels: {app: x, example.com/tier: front_1, empty: ''},"
                    + " annotations: {Example.com/Note: anything goes here}}"))
        .isEmpty();
  }

  @Test
  void anUpperCaseNameIsRefusedWithTheApiServersMessage() throws Exception {
    assertThat(errors("{name: BACKEND}"))
        .containsExactly(
            "metadata.name: Invalid value: \"BACKEND\": a lowercase RFC 1123 subdomain must"
                + " consist of lower case alphanumeric characters, '-' or '.', and must start and"
                + " end with an alphanumeric character (e.g. 'example.com', regex used for"
                + " validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  }

  @Test
  void badNamespacesLabelsAndAnnotationsAreRefused() throws Exception {
    assertThat(errors("{name: a, namespace: Prod}"))
        .singleElement()
        .asString()
        .startsWith("metadata.namespace: Invalid value: \"Prod\": a lowercase RFC 1123 label");
    assertThat(errors("{name: a, labels: {'bad key': x}}"))
        .singleElement()
        .asString()
        .startsWith("metadata.labels: Invalid value: \"bad key\": name part must consist of");
    assertThat(errors("{name: a, labels: {app: 'not ok'}}"))
        .singleElement()
        .asString()
        .startsWith("metadata.labels: Invalid value: \"not ok\": a valid label must be an empty");
    assertThat(errors("{name: a, annotations: {'/x': y}}"))
        .containsExactly(
            "metadata.annotations: Invalid value: \"/x\": prefix part must be non-empty");
    assertThat(errors("{name: " + "a".repeat(254) + "}"))
        .first()
        .asString()
        .endsWith("must be no more than 253 characters");
  }

  @Test
  void metadataFindingsComeFirstAndDoNotHideTheSchemas() throws Exception {
    String doc =
        "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: BACKEND}\n"
            + "spec: {hosts: [], resolution: DNS}";
    List<String> all =
        validator.validate(IstioKinds.SERVICE_ENTRY, YAML.readTree(doc)).stream()
            .map(FieldError::toString)
            .toList();
    assertThat(all).hasSizeGreaterThan(1);
    assertThat(all.get(0)).startsWith("metadata.name: Invalid value: \"BACKEND\"");
    assertThat(all.subList(1, all.size())).anyMatch(e -> e.startsWith("spec.hosts"));
  }
}

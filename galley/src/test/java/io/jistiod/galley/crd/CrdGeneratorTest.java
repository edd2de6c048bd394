package io.jistiod.galley.crd;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import io.jistiod.galley.config.ConfigKind;
import io.jistiod.galley.config.IstioKinds;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CrdGeneratorTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The v1-or-only version's openAPIV3Schema of a kind, as a JSON tree. */
  private static JsonNode schema(ConfigKind kind) {
    return JSON.valueToTree(CrdGenerator.openApiSchema(kind));
  }

  private static JsonNode spec(ConfigKind kind) {
    return schema(kind).path("properties").path("spec");
  }

  private static JsonNode crd(ConfigKind kind) {
    return JSON.valueToTree(CrdGenerator.customResourceDefinition(kind));
  }

  @Test
  void virtualServiceRouteWeightIsAnInt32() {
    JsonNode weight =
        spec(IstioKinds.VIRTUAL_SERVICE)
            .at("/properties/http/items/properties/route/items/properties/weight");
    assertThat(weight.path("type").asText()).isEqualTo("integer");
    assertThat(weight.path("format").asText()).isEqualTo("int32");
    JsonNode route = spec(IstioKinds.VIRTUAL_SERVICE).at("/properties/http/items/properties/route");
    assertThat(route.path("type").asText()).isEqualTo("array");
    assertThat(route.at("/items/required").toString()).isEqualTo("[\"destination\"]");
  }

  @Test
  void requiredFieldsComeFromTheProtoOption() {
    assertThat(spec(IstioKinds.DESTINATION_RULE).path("required").toString())
        .isEqualTo("[\"host\"]");
    assertThat(spec(IstioKinds.SERVICE_ENTRY).path("required").toString()).isEqualTo("[\"hosts\"]");
    assertThat(spec(IstioKinds.VIRTUAL_SERVICE).has("required")).isFalse();
  }

  @Test
  void enumsAreStringsLimitedToTheValueNames() {
    JsonNode simple =
        spec(IstioKinds.DESTINATION_RULE)
            .at("/properties/trafficPolicy/properties/loadBalancer/properties/simple");
    assertThat(simple.path("type").asText()).isEqualTo("string");
    List<String> values = new ArrayList<>();
    simple.path("enum").forEach(v -> values.add(v.asText()));
    assertThat(values).contains("UNSPECIFIED", "ROUND_ROBIN", "LEAST_REQUEST");
  }

  @Test
  void durationsAreStringsOfAtLeastOneMillisecondUnlessIstioAllowsZero() {
    JsonNode timeout =
        spec(IstioKinds.VIRTUAL_SERVICE).at("/properties/http/items/properties/timeout");
    assertThat(timeout.path("type").asText()).isEqualTo("string");
    assertThat(timeout.at("/x-kubernetes-validations/0/rule").asText())
        .isEqualTo("duration(self) >= duration('1ms')");
    JsonNode ttl =
        spec(IstioKinds.DESTINATION_RULE)
            .at(
                "/properties/trafficPolicy/properties/loadBalancer/properties/consistentHash"
                    + "/properties/httpCookie/properties/ttl");
    assertThat(ttl.path("type").asText()).isEqualTo("string");
    assertThat(ttl.has("x-kubernetes-validations")).isFalse();
  }

  @Test
  void wrappersAreNullableScalars() {
    JsonNode mirrorPercent =
        spec(IstioKinds.VIRTUAL_SERVICE).at("/properties/http/items/properties/mirrorPercent");
    assertThat(mirrorPercent.path("type").asText()).isEqualTo("integer");
    assertThat(mirrorPercent.path("nullable").asBoolean()).isTrue();
    assertThat(mirrorPercent.path("maximum").asLong()).isEqualTo(4294967295L);
    // Istio also accepts the deprecated field under its proto name.
    assertThat(
            spec(IstioKinds.VIRTUAL_SERVICE).at("/properties/http/items/properties/mirror_percent"))
        .isEqualTo(mirrorPercent);
  }

  @Test
  void oneofsAllowAtMostOneField() {
    JsonNode lb =
        spec(IstioKinds.DESTINATION_RULE).at("/properties/trafficPolicy/properties/loadBalancer");
    JsonNode oneOf = lb.path("oneOf");
    assertThat(oneOf.get(0).at("/not/anyOf/0/required/0").asText()).isEqualTo("simple");
    assertThat(oneOf.get(1).at("/required/0").asText()).isEqualTo("simple");
    assertThat(oneOf.get(2).at("/required/0").asText()).isEqualTo("consistentHash");
    // ConsistentHashLB has two oneofs: hash key and algorithm.
    JsonNode hash = lb.at("/properties/consistentHash");
    assertThat(hash.path("allOf")).hasSize(2);
  }

  @Test
  void structAndMapsAndStatus() {
    JsonNode value =
        spec(IstioKinds.ENVOY_FILTER)
            .at("/properties/configPatches/items/properties/patch/properties/value");
    assertThat(value.path("type").asText()).isEqualTo("object");
    assertThat(value.path("x-kubernetes-preserve-unknown-fields").asBoolean()).isTrue();
    JsonNode labels =
        spec(IstioKinds.DESTINATION_RULE).at("/properties/subsets/items/properties/labels");
    assertThat(labels.path("type").asText()).isEqualTo("object");
    assertThat(labels.at("/additionalProperties/type").asText()).isEqualTo("string");
    JsonNode status = schema(IstioKinds.VIRTUAL_SERVICE).at("/properties/status");
    assertThat(status.path("type").asText()).isEqualTo("object");
    assertThat(status.path("x-kubernetes-preserve-unknown-fields").asBoolean()).isTrue();
    assertThat(status.at("/properties/observedGeneration/x-kubernetes-int-or-string").asBoolean())
        .isTrue();
  }

  @Test
  void namesVersionsColumnsAndMetadata() {
    JsonNode vs = crd(IstioKinds.VIRTUAL_SERVICE);
    assertThat(vs.at("/metadata/name").asText()).isEqualTo("virtualservices.networking.istio.io");
    assertThat(vs.at("/metadata/annotations/helm.sh~1resource-policy").asText()).isEqualTo("keep");
    assertThat(vs.at("/metadata/labels/app").asText()).isEqualTo("istio-pilot");
    assertThat(vs.at("/spec/scope").asText()).isEqualTo("Namespaced");
    assertThat(vs.at("/spec/names/shortNames").toString()).isEqualTo("[\"vs\"]");
    assertThat(vs.at("/spec/names/listKind").asText()).isEqualTo("VirtualServiceList");
    assertThat(vs.at("/spec/names/singular").asText()).isEqualTo("virtualservice");
    assertThat(vs.at("/spec/names/categories").toString())
        .isEqualTo("[\"istio-io\",\"networking-istio-io\"]");
    List<String> versions = new ArrayList<>();
    List<String> storage = new ArrayList<>();
    for (JsonNode v : vs.at("/spec/versions")) {
      versions.add(v.path("name").asText());
      assertThat(v.path("served").asBoolean()).isTrue();
      assertThat(v.at("/subresources/status").isObject()).isTrue();
      if (v.path("storage").asBoolean()) {
        storage.add(v.path("name").asText());
      }
      List<String> columns = new ArrayList<>();
      v.path("additionalPrinterColumns").forEach(c -> columns.add(c.path("name").asText()));
      assertThat(columns).containsExactly("Gateways", "Hosts", "Age");
    }
    assertThat(versions).containsExactly("v1", "v1alpha3", "v1beta1");
    assertThat(storage).containsExactly("v1");

    JsonNode ap = crd(IstioKinds.AUTHORIZATION_POLICY);
    assertThat(ap.at("/metadata/labels/istio").asText()).isEqualTo("security");
    for (JsonNode v : ap.at("/spec/versions")) {
      assertThat(v.path("storage").asBoolean())
          .isEqualTo(v.path("name").asText().equals("v1beta1"));
    }
    assertThat(crd(IstioKinds.GATEWAY).at("/spec/versions/0").has("additionalPrinterColumns"))
        .isFalse();
    assertThat(schema(IstioKinds.SERVICE_ENTRY).path("required").toString())
        .isEqualTo("[\"spec\"]");
  }

  @Test
  void renderIsDeterministicAndSortedByGroupThenName() throws Exception {
    String text = CrdGenerator.render();
    assertThat(CrdGenerator.render()).isEqualTo(text);
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    List<String> names = new ArrayList<>();
    for (var it = yaml.readerFor(JsonNode.class).readValues(text); it.hasNext(); ) {
      JsonNode doc = (JsonNode) it.next();
      names.add(doc.at("/spec/group").asText() + " " + doc.at("/metadata/name").asText());
    }
    assertThat(names).hasSize(IstioKinds.ALL.size()).isSorted();
  }

  @Test
  void everyMarkerNamesARealField() {
    Set<String> fields = new HashSet<>();
    for (ConfigKind kind : IstioKinds.ALL) {
      collect(kind.specPrototype().getDescriptorForType(), fields, new HashSet<>());
    }
    var m = IstioCrdConventions.MARKERS;
    assertThat(fields)
        .containsAll(m.altNames().keySet())
        .containsAll(m.listMapKeys().keySet())
        .containsAll(m.extras().keySet())
        .containsAll(m.itemExtras().keySet())
        .containsAll(m.durationsWithoutRule());
    Set<String> messages = new HashSet<>();
    for (ConfigKind kind : IstioKinds.ALL) {
      messages.add(kind.kind());
      collectMessages(kind.specPrototype().getDescriptorForType(), messages);
    }
    assertThat(messages)
        .containsAll(m.messageExtras().keySet())
        .containsAll(IstioCrdRules.SPECS.keySet());
  }

  @Test
  void recursiveMessagesAreCut() {
    // google.protobuf.Struct is the only recursion in Istio's API and has a fixed schema; a
    // self-referencing message (DescriptorProto contains DescriptorProto) must still terminate.
    Map<String, Object> schema =
        new OpenApiSchemas(false, OpenApiSchemas.FieldMarkers.NONE)
            .message(com.google.protobuf.DescriptorProtos.DescriptorProto.getDescriptor());
    JsonNode nested = JSON.valueToTree(schema).at("/properties/nestedType/items");
    assertThat(nested.path("type").asText()).isEqualTo("object");
    assertThat(nested.path("x-kubernetes-preserve-unknown-fields").asBoolean()).isTrue();
  }

  private static void collectMessages(Descriptor type, Set<String> out) {
    if (!out.add(type.getFullName())) {
      return;
    }
    for (FieldDescriptor f : type.getFields()) {
      if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        collectMessages(f.getMessageType(), out);
      }
    }
  }

  private static void collect(Descriptor type, Set<String> out, Set<Descriptor> seen) {
    if (!seen.add(type)) {
      return;
    }
    for (FieldDescriptor f : type.getFields()) {
      out.add(f.getFullName());
      if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        collect(f.getMessageType(), out, seen);
      }
    }
  }
}

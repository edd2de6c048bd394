package io.jistiod.injector.template;

/**
 * How Java values look to a template (the Go types they stand for). Contract, implemented by the
 * engine:
 *
 * <ul>
 *   <li>{@code null}: nil. {@link java.util.Map}: a Go map (missing key gives "no value"). {@link
 *       java.util.List}: a slice. String, Boolean, Long/Integer (int), Double (float64).
 *   <li>{@link GoStruct}: a Go struct, fields by their Go names; give it its Go type name (e.g.
 *       {@code *inject.SidecarTemplateData}) for Go's error messages. A null field reads as nil.
 *   <li>protobuf {@link com.google.protobuf.Message}: the generated Go struct (fields by Go name,
 *       {@code GetX} getters that are nil-safe, wrapper types, enums with {@code String}).
 *   <li>fabric8 Kubernetes models ({@code io.fabric8.kubernetes.api.model.*}): the k8s.io/api Go
 *       struct, fields by Go name ({@code HTTPGet}, {@code UID}, ...) with Go zero values; fields
 *       Go declares as pointers are nil when unset (printed "nil", as their String() does) and,
 *       when set, true even if zero ({@code RunAsUser: 0}). Not reproduced: printing a whole
 *       non-nil Kubernetes struct (Go uses its generated String()) or a pointer given to a printing
 *       function (Go shows an address).
 *   <li>JSON decoded as Go's encoding/json decodes into {@code interface{}}: {@link
 *       #fromJson(com.fasterxml.jackson.databind.JsonNode)} (numbers become float64).
 * </ul>
 */
public final class GoValues {
  private GoValues() {}

  /** JSON as Go's {@code json.Unmarshal} into {@code map[string]any}: objects, arrays, float64. */
  public static Object fromJson(com.fasterxml.jackson.databind.JsonNode json) {
    if (json == null || json.isNull() || json.isMissingNode()) {
      return null;
    }
    if (json.isObject()) {
      java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
      json.fields().forEachRemaining(e -> m.put(e.getKey(), fromJson(e.getValue())));
      return m;
    }
    if (json.isArray()) {
      java.util.List<Object> l = new java.util.ArrayList<>();
      json.forEach(e -> l.add(fromJson(e)));
      return l;
    }
    if (json.isNumber()) {
      return json.doubleValue();
    }
    if (json.isBoolean()) {
      return json.booleanValue();
    }
    return json.asText();
  }
}

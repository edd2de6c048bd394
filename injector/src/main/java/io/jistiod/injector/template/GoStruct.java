package io.jistiod.injector.template;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Go struct value built in Java: its fields by Go name, in declaration order, and optionally its
 * Go type name as errors show it (e.g. {@code *inject.SidecarTemplateData}).
 */
public final class GoStruct {
  private final String typeName;
  private final Map<String, Object> fields;

  public GoStruct(Map<String, Object> fields) {
    this(null, fields);
  }

  /** {@code typeName} is what Go's errors call the type; null for an anonymous struct. */
  public GoStruct(String typeName, Map<String, Object> fields) {
    this.typeName = typeName;
    this.fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
  }

  public Map<String, Object> fields() {
    return fields;
  }

  /** The Go type name, or null. */
  public String typeName() {
    return typeName;
  }
}
